"""`execute` on the session's warm sandbox pool and the bundled S&P 500: data (with the indicators' warm-up
before the start date), the run, and results checked against the bars themselves."""

from __future__ import annotations

from typing import Any

import pytest

from app.models.status import ExecutionStatus, Milestone
from app.services.market_data import MarketData, NotEnoughBars
from app.services.pipeline import ExecutionCancelled, analyze, execute, generate
from app.services.sandbox import SandboxPool
from tests.services.pipeline.conftest import PARAMS, job

# Buy on the first bar, never sell: the equity is the buy-and-hold of the bars, computable here.
BUY_AND_HOLD = {"nodes": [{"id": "e1", "type": "entry_condition", "meta": {"rules": ["close above 0"]}}]}
# Longer than all the bundled data (1999-2018, 5,031 bars), warm-up included.
LONG_WINDOW = {
    "nodes": [{"id": "e1", "type": "entry_condition", "meta": {"rules": ["close above SMA(6000)"]}}]
}


async def test_a_buy_and_hold_script_runs_and_its_results_match_the_bars(
    make_ctx: Any, sandbox_pool: SandboxPool, market: MarketData
) -> None:
    ctx = make_ctx(sandbox_pool)
    the_job = job(BUY_AND_HOLD, fees=0.0, slippage=0.0)
    script = await generate(await analyze(the_job, ctx), ctx)
    backtest = await execute(script, the_job, ctx)

    bars = await market.load("SPX", "1d", PARAMS.start_date, PARAMS.end_date, None)
    close = bars.frame["close"]
    first = close.index[0]
    metrics = backtest.results.metrics
    # Bought at the first close of the window (no costs), held to the last: the index's own return.
    assert metrics.total_return == pytest.approx((close.iloc[-1] / close.iloc[0] - 1) * 100, rel=1e-6)
    assert metrics.trades == 1 and metrics.start.startswith(str(first.date()))
    assert backtest.script is script and backtest.data["SPX"].source == bars.source
    assert backtest.library_versions["vectorbt"]

    messages = [(status, message, milestone) for status, message, milestone in ctx.events.events]
    assert (ExecutionStatus.executing, "Executor: loading data and running the backtest", None) in messages
    spx_line = next(m for _, m, _ in messages if m.startswith("Executor: SPX: "))
    assert spx_line.startswith(f"Executor: SPX: {len(close)} bars from {bars.source}")
    assert [m for _, _, m in messages if m is not None] == [Milestone.backtest_ran, Milestone.results_ready]


async def test_too_few_bars_for_the_slowest_indicator_is_refused_before_running(
    make_ctx: Any, sandbox_pool: SandboxPool
) -> None:
    ctx = make_ctx(sandbox_pool)
    the_job = job(LONG_WINDOW)
    script = await generate(await analyze(the_job, ctx), ctx)
    with pytest.raises(NotEnoughBars) as info:
        await execute(script, the_job, ctx)
    assert info.value.fields["window"] == 6000 and info.value.fields["bars"] <= 5031


async def test_a_cancelled_run_stops_before_the_sandbox(make_ctx: Any, sandbox_pool: SandboxPool) -> None:
    ctx = make_ctx(sandbox_pool)
    script = await generate(await analyze(job(), ctx), ctx)
    ctx.cancel.set()
    with pytest.raises(ExecutionCancelled):
        await execute(script, job(), ctx)
