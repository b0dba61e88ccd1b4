"""Agents' tests: CrewAI's switches set before crewai is imported, and no network, ever."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from app.core.runtime_env import configure_runtime_env

# Before any test module imports crewai (they do at collection).
configure_runtime_env(
    os.environ.get("STRATCREW_TEST_AGENTS_HOME") or tempfile.mkdtemp(prefix="stratcrew-agents-")
)
os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(__file__).resolve().parents[3] / ".cache" / "numba"))

from tests.agents.network_guard import _no_network_attempts, install_network_guard  # noqa: E402

install_network_guard()
__all__ = ["_no_network_attempts"]
