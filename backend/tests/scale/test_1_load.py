"""Load: 200 executions submitted at once across both API processes, run by both workers.

Each ends `completed` exactly once (one final event, one BacktestRun, one attempt), none is lost, and a
watcher on the *other* API process receives every event of it, in order, as the database holds them.
"""

from __future__ import annotations

import asyncio
import os
import time

import pytest

from tests.scale.clients import (
    Database,
    Watch,
    http,
    submit,
    user_and_strategy,
    wait_all_final,
    watch,
)
from tests.scale.topology import Topology

pytestmark = pytest.mark.postgres_only  # the scale-out topology runs on PostgreSQL only

EXECUTIONS = int(os.environ.get("SCALE_LOAD_EXECUTIONS", "200"))


async def test_200_executions_across_two_apis_and_two_workers(topology: Topology) -> None:
    api0, api1 = topology.apis
    async with http(api0) as c0, http(api1) as c1:
        headers, strategy_id = await user_and_strategy(c0)
        token = headers["Authorization"].split()[1]
        started = time.perf_counter()

        async def one(index: int) -> tuple[str, asyncio.Task[Watch]]:
            submit_via, watch_via = (c0, api1) if index % 2 == 0 else (c1, api0)
            execution_id = await submit(submit_via, headers, strategy_id)  # the seed example, generated
            return execution_id, asyncio.create_task(watch(watch_via, execution_id, token, timeout_s=240))

        submitted = await asyncio.gather(*(one(i) for i in range(EXECUTIONS)))
        ids = [execution_id for execution_id, _ in submitted]
        watches = await asyncio.wait_for(asyncio.gather(*(task for _, task in submitted)), timeout=260)
        final = await wait_all_final(c0, headers, ids, timeout_s=60)
        elapsed = time.perf_counter() - started

    assert len(set(ids)) == EXECUTIONS
    failed = {i: body["error_message"] for i, body in final.items() if body["status"] != "completed"}
    assert not failed, f"{len(failed)} did not complete: {list(failed.items())[:3]}"

    db = Database(topology)
    stored = await db.event_seqs(ids)
    rows = await db.executions(ids)
    finals = await db.final_event_counts(ids)
    runs = await db.runs_per_execution(ids)
    for result in watches:
        execution_id = result.execution_id
        assert result.end == "completed", (execution_id, result)
        # Every stored event arrived at the watcher on the other API process, once, in order.
        assert result.seqs == stored[execution_id], execution_id
        assert stored[execution_id] == list(range(1, len(stored[execution_id]) + 1))
        assert rows[execution_id]["status"] == "completed"
        assert rows[execution_id]["attempts"] == 1, rows[execution_id]
        assert finals[execution_id] == 1 and runs[execution_id] == 1, execution_id
    workers = {row["worker_id"] for row in rows.values()}
    assert len(workers) == 2, f"both workers should have taken work: {workers}"
    print(f"\n{EXECUTIONS} executions in {elapsed:.1f} s ({EXECUTIONS / elapsed * 60:.0f}/min) on {workers}")
