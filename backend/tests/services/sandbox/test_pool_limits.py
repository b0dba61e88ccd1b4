"""The pool's own settings: a zygote is replaced after `max_runs_per_zygote` runs, and runs beyond
`max_queue` waiting for a slot are refused at once instead of piling up (back-pressure, not a fork bomb)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from app.services.sandbox import SandboxBusy, SandboxLimitExceeded
from tests.plugins.sandbox_pool import sandbox_test_settings, start_pool_or_skip
from tests.services.sandbox.test_pool import MA_CODE

BUSY_LOOP = "while True:\n    pass\n"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def test_a_zygote_is_replaced_after_its_run_budget(market_dir: Path) -> None:
    pool = await start_pool_or_skip(sandbox_test_settings(pool_size=1, max_runs_per_zygote=2))
    data = {"SPX": market_dir / "sp500.parquet"}
    try:
        first = pool.slots[0]
        first_pid = first.pid
        assert first_pid is not None
        results = [await pool.run(MA_CODE, data) for _ in range(2)]
        assert first.runs == 2
        results.append(await pool.run(MA_CODE, data))  # waits for the replacement to warm up
        (second,) = pool.slots
        assert second is not first and second.pid not in (None, first_pid)
        assert second.runs == 1
        assert not _alive(first_pid)  # the spent zygote's sandbox is gone, not merely idle
        assert results[0].equity == results[1].equity == results[2].equity
    finally:
        await pool.close()


async def test_runs_beyond_the_queue_are_refused_at_once(market_dir: Path) -> None:
    pool = await start_pool_or_skip(sandbox_test_settings(pool_size=1, max_queue=1))
    data = {"SPX": market_dir / "sp500.parquet"}
    try:
        running = asyncio.create_task(pool.run(BUSY_LOOP, {}, timeout_s=2.0))
        await asyncio.sleep(0.3)  # it holds the only slot
        waiting = asyncio.create_task(pool.run(MA_CODE, data))
        await asyncio.sleep(0.1)  # it is the one run allowed to wait
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(SandboxBusy) as info:
            await pool.run(MA_CODE, data)
        assert loop.time() - started < 0.5  # refused without waiting for a slot
        assert info.value.message.endswith(
            "1 backtests are already waiting for a sandbox slot; try again later"
        )
        with pytest.raises(SandboxLimitExceeded):
            await running
        assert len((await waiting).equity) > 5000  # the queued run was served once the slot was free
    finally:
        await pool.close()
