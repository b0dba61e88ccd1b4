"""The collector's view of the service heap: what lives for the process is frozen, once, at two moments."""

from __future__ import annotations

import asyncio
import gc
import threading

import pytest

from app.services import heap


def test_the_startup_heap_is_frozen_once() -> None:
    heap.freeze_startup_heap()
    frozen = gc.get_freeze_count()
    assert frozen > 0
    heap.freeze_startup_heap()
    assert gc.get_freeze_count() == frozen  # once per process: later calls leave later objects alone


async def test_the_first_runs_heap_is_frozen_once_after_its_events_went_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(heap, "_first_run_frozen", threading.Event())  # as in a process that ran nothing yet
    monkeypatch.setattr(heap, "FIRST_RUN_FREEZE_DELAY_S", 0.05)
    built_by_the_first_run = [[i] for i in range(20_000)]
    before = gc.get_freeze_count()

    heap.freeze_after_first_run()
    assert gc.get_freeze_count() == before  # not while the run's last events are on their way
    await asyncio.sleep(0.3)
    after = gc.get_freeze_count()
    assert after >= before + len(built_by_the_first_run)
    assert not any(o is built_by_the_first_run for o in gc.get_objects())  # out of the collector's walks

    built_by_a_later_run = [[i] for i in range(5_000)]
    heap.freeze_after_first_run()  # every later run calls it too
    await asyncio.sleep(0.3)
    assert gc.get_freeze_count() < after + len(built_by_a_later_run)  # nothing frozen again
