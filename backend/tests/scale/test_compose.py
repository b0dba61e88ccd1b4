"""The deployment file is valid for Compose, with and without a `.env` (both database passes).

These machines have no Docker engine: `docker-compose config` (Debian's docker-compose) parses, validates and
interpolates the file, which is what can be checked here. The values are checked too: the replicas, the
one-shot migration step ahead of every app container, and that every setting in `.env.example` reaches the
containers (so `.env` really configures the deployment).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
IN_CI = os.environ.get("CI", "").lower() not in ("", "0", "false", "no")
# Set by compose itself or by the image, not by .env.
NOT_FROM_ENV = {
    "PORT",
    "HOST",
    "DATA_DIR",
    "DATABASE_URL",
    "REDIS_URL",
    "QUEUE",
    "START_WORKER",
    "WARM_AGENTS_ON_START",
    "FRONTEND_DIST",
    "SANDBOX_ALLOW_UNSANDBOXED",
    "SANDBOX_ENFORCE_POLICY",  # pinned: a deployment never runs code without the AST policy
    "SANDBOX_NUMBA_CACHE_DIR",
    "SANDBOX_PYTHON_PREFIX",  # the image's Python
    "SANDBOX_SITE_PACKAGES",
    "MEMORY_QDRANT_PATH",
    # compose-level (the postgres service, replicas, ports), not app settings
    "POSTGRES_USER",
    "POSTGRES_PASSWORD",
    "POSTGRES_DB",
    "API_REPLICAS",
    "API_PORTS",
}


def compose_config(tmp_path: Path, env_file: str | None) -> dict:  # type: ignore[type-arg]
    binary = shutil.which("docker-compose")
    if binary is None:
        if IN_CI:
            pytest.fail("docker-compose is not installed (scripts/install.sh installs it)")
        pytest.skip("NOTICE: docker-compose is not installed: compose file not validated")
    shutil.copy(REPO / "docker-compose.yml", tmp_path / "docker-compose.yml")
    if env_file is not None:
        (tmp_path / ".env").write_text(env_file)
    env = {k: v for k, v in os.environ.items() if not k.isupper() or k in ("PATH", "HOME")}
    quiet = subprocess.run([binary, "config", "-q"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert quiet.returncode == 0, quiet.stderr
    full = subprocess.run([binary, "config"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert full.returncode == 0, full.stderr
    return dict(yaml.safe_load(full.stdout))


def test_compose_file_is_valid_without_a_dotenv(tmp_path: Path) -> None:
    config = compose_config(tmp_path, None)
    services = config["services"]
    assert {"postgres", "redis", "migrate", "api", "worker"} <= set(services)
    assert services["api"]["deploy"]["replicas"] == 2
    for name in ("api", "worker"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert "healthcheck" in services[name]
    assert services["migrate"]["command"] == ["alembic", "upgrade", "head"]
    assert services["worker"]["command"] == ["stratcrew-worker"]
    assert "SYS_ADMIN" in services["worker"]["cap_add"] and "cap_add" not in services["api"]
    api_env = services["api"]["environment"]
    assert api_env["QUEUE"] == "dramatiq" and api_env["START_WORKER"] == "false"
    assert api_env["DATABASE_URL"] == "postgresql+asyncpg://stratcrew:stratcrew@postgres:5432/stratcrew"


def test_every_documented_setting_reaches_the_containers_from_dotenv(tmp_path: Path) -> None:
    names = re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (REPO / ".env.example").read_text(), flags=re.M)
    settable = [name for name in names if name not in NOT_FROM_ENV]
    assert len(settable) > 30
    # A distinct value per setting, so a setting wired to the wrong variable is caught too.
    values = {name: f"v{index}" for index, name in enumerate(settable)}
    config = compose_config(tmp_path, "".join(f"{name}={value}\n" for name, value in values.items()))
    for service in ("api", "worker"):
        env = config["services"][service]["environment"]
        missing = [name for name, value in values.items() if str(env.get(name)) != value]
        assert not missing, f"{service} does not take these from .env: {missing}"
