"""Process environment for CrewAI and mem0, set before either is imported.

Both libraries read their switches at import time, and both phone home unless told not to:
CrewAI stalls for about 15 s on telemetry and tracing look-ups offline unless all three of
``CREWAI_DISABLE_TELEMETRY``, ``OTEL_SDK_DISABLED`` and ``CREWAI_TRACING_ENABLED`` say no, and mem0
computes its home directory when `mem0` is first imported. So the worker calls
`configure_runtime_env(data_dir)` once, before the first lazy `import crewai` / `import mem0`.

It also gives both libraries a home under the service's data directory (CrewAI writes under
``~/.local/share``, mem0 under ``~/.mem0``, Hugging Face under ``~/.cache``), so the service never writes
into the real home of whoever runs it.

>>> import os, tempfile
>>> home = configure_runtime_env(tempfile.mkdtemp())
>>> os.environ["CREWAI_TRACING_ENABLED"], os.environ["XDG_DATA_HOME"].startswith(str(home))
('false', True)
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

# Held while crewai or mem0 is first imported (and mem0 built). Both pull in qdrant_client, torch and more,
# each in its own order; two threads importing them at once (the agent warm-up and a `/memory` request at
# start) can meet in the import system's module locks: `_DeadlockError` in one, a half-imported
# `qdrant_client` (`KeyError`) in the other, leaving memory and the pipeline down until restart.
HEAVY_IMPORTS = threading.RLock()

# Switched off whatever the environment says: these are the service's policy, not a preference.
FORCED: dict[str, str] = {
    "CREWAI_DISABLE_TELEMETRY": "true",
    "OTEL_SDK_DISABLED": "true",
    "CREWAI_TRACING_ENABLED": "false",
    "CREWAI_DISABLE_VERSION_CHECK": "true",
    "CREWAI_STORAGE_DIR": "stratcrew",
    "MEM0_TELEMETRY": "False",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TOKENIZERS_PARALLELISM": "false",
}


def agents_home(data_dir: str | Path) -> Path:
    return Path(data_dir).resolve() / "agents_home"


def configure_runtime_env(data_dir: str | Path) -> Path:
    """Sets the switches above and points HOME/XDG/MEM0_DIR under ``data_dir``; returns that home.

    Idempotent. HOME itself is replaced because some of these libraries call `expanduser("~")`
    directly instead of reading XDG variables.
    """
    home = agents_home(data_dir)
    dirs = {
        "HOME": home,
        "XDG_DATA_HOME": home / ".local" / "share",
        "XDG_CACHE_HOME": home / ".cache",
        "XDG_CONFIG_HOME": home / ".config",
        "MEM0_DIR": home / ".mem0",
        "HF_HOME": home / ".cache" / "huggingface",
    }
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    os.environ.update(FORCED)
    os.environ.update({name: str(path) for name, path in dirs.items()})
    return home
