from __future__ import annotations

import os
import tempfile

from app.agents.runtime_env import configure_runtime_env

configure_runtime_env(
    os.environ.get("STRATCREW_TEST_AGENTS_HOME") or tempfile.mkdtemp(prefix="stratcrew-agents-")
)

from tests.agents.network_guard import _no_network_attempts, install_network_guard  # noqa: E402

install_network_guard()
__all__ = ["_no_network_attempts"]
