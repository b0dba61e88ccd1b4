"""The layers contract (pyproject.toml, run by `make lint`): the code keeps it, and it catches the upward
imports this code base used to have (each injected into a copy of the package, which must then fail)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BACKEND = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(BACKEND / "pyproject.toml")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_code_keeps_the_layers() -> None:
    result = lint(BACKEND)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("core/config.py", "import app.agents.crew", "app.core is not allowed to import app.agents"),
        (
            "services/memory.py",
            "import app.agents.pipeline",
            "app.services is not allowed to import app.agents",
        ),
        (
            "api/deps.py",
            "from app.services.execution_runner import claim",
            "app.api is not allowed to import app.services.execution_runner",
        ),
        (
            "services/language/spec.py",
            "import app.services.executions",
            "app.services.language is not allowed to import app.services.executions",
        ),
        (
            "models/stops.py",
            "import app.services.results",
            "app.models is not allowed to import app.services",
        ),
    ],
    ids=["core->agents", "memory->agents", "api->runner", "language->executions", "models->services"],
)
def test_an_upward_import_breaks_the_contract(tmp_path: Path, module: str, line: str, broken: str) -> None:
    shutil.copytree(BACKEND / "app", tmp_path / "app", ignore=shutil.ignore_patterns("__pycache__"))
    target = tmp_path / "app" / module
    target.write_text(target.read_text() + f"\n{line}  # injected by the test\n")
    result = lint(tmp_path)
    assert result.returncode != 0
    assert broken in result.stdout, result.stdout[-3000:]
