"""A run that floods its result, through the API (issue 15, finding 5): 150,000 trades over 400,000 bars
of policy-passing code leave /health answering, the API process small and the stored run bounded, with
warnings that say what was left out."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import psutil

from tests.services.sandbox.test_result_bounds import FLOOD
from tests.utils.factories import create_strategy, execute, register, wait_final


async def test_a_flooding_run_leaves_the_service_responsive_and_its_run_bounded(
    app: Any, client: httpx.AsyncClient
) -> None:
    from app.models.backtest import BacktestRun

    headers = await register(client)
    strategy = await create_strategy(client, headers)
    # One ordinary run first: the agent pipeline loads (imports, the memory store) on first need, and that
    # start-up is not what is measured here.
    warm = await wait_final(client, headers, (await execute(client, headers, strategy["id"]))["id"])
    assert warm["status"] == "completed", warm["error_message"]
    me = psutil.Process()
    rss_before, cpu_before = me.memory_info().rss, sum(me.cpu_times()[:2])
    run = asyncio.create_task(
        wait_final(client, headers, (await execute(client, headers, strategy["id"], code=FLOOD))["id"], 300)
    )
    latencies = []
    while not run.done():
        started = time.perf_counter()
        assert (await client.get("/health")).status_code == 200
        latencies.append(time.perf_counter() - started)
        await asyncio.sleep(0.02)
    final = await run
    rss_growth_mb = (me.memory_info().rss - rss_before) / 2**20
    cpu_s = sum(me.cpu_times()[:2]) - cpu_before  # this process only: the sandbox's work is in its own
    assert final["status"] == "completed", final["error_message"]
    results = (await client.get(f"/executions/{final['id']}/results", headers=headers)).json()
    async with app.state.session_factory() as session:
        row = await session.get(BacktestRun, results["id"])
        assert row is not None
        stored = len(
            json.dumps(
                [row.equity_series, row.benchmark_series, row.drawdown_series, row.full_series, row.trades]
            )
        )
    print(
        f"\nflood through the API: /health max {max(latencies) * 1000:.0f} ms over {len(latencies)} calls, "
        f"API process CPU {cpu_s:.2f} s, RSS +{rss_growth_mb:.0f} MB, stored run {stored / 1e6:.1f} MB"
    )
    warnings = " ".join(results["metrics"]["warnings"])
    assert "The equity curve has 400,000 bars" in warnings
    assert "The run made 150,000 trades; only the first 5,000 were kept" in warnings
    assert max(latencies) < 0.5, f"/health took {max(latencies):.2f} s"
    assert rss_growth_mb < 300
    assert stored < 8_000_000  # was ~79 MB per run
