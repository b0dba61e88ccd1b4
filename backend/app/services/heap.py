"""Keeping the cyclic garbage collector's full collections short in a long-running service.

A full collection walks every object the collector tracks; in this process that was, at first, the millions
crewai, torch and mem0 allocate, then the ~90,000 the first execution builds for every later one (pydantic
validators of the response models, SQLAlchemy's compiled statements, pandas and vectorbt internals). Each
walk is a pause of the event loop that lands in whatever request or run allocates at that moment: 0.3-0.7 s
before the startup freeze, ~60 ms every third execution before the first-run freeze, ~2 ms after both.
`gc.freeze()` moves what exists out of the collector's reach; `gc.collect()` first, so no garbage is frozen.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import threading

log = logging.getLogger(__name__)
FIRST_RUN_FREEZE_DELAY_S = 1.0  # after the run's last events reach its watchers
_startup_frozen = threading.Event()
_first_run_frozen = threading.Event()


def freeze_startup_heap() -> None:
    """Once per process, after crewai, torch and mem0 are loaded."""
    if _startup_frozen.is_set():
        return
    _startup_frozen.set()
    _collect_and_freeze("startup heap")


def freeze_after_first_run() -> None:
    """Once per process, shortly after its first execution ended (called by every run; cheap after that)."""
    if _first_run_frozen.is_set():
        return
    _first_run_frozen.set()
    asyncio.get_running_loop().call_later(FIRST_RUN_FREEZE_DELAY_S, _collect_and_freeze, "first run's heap")


def _collect_and_freeze(what: str) -> None:
    gc.collect()
    gc.freeze()
    log.info("%s frozen: %d objects out of the collector's reach", what, gc.get_freeze_count())
