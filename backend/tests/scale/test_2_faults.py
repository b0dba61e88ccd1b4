"""Faults, on the running topology, in an order that leaves it usable for the next test: an API process
restarted under watchers, Redis restarted mid-run, PostgreSQL connections dropped, a worker SIGKILLed."""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter

import httpx
import pytest

from tests.scale.clients import (
    WARM_CODE,
    Database,
    Watch,
    http,
    slow_code,
    submit,
    user_and_strategy,
    wait_all_final,
    watch,
)
from tests.scale.topology import Topology

pytestmark = pytest.mark.postgres_only  # the scale-out topology runs on PostgreSQL only


async def _check_complete(topology: Topology, ids: list[str], watches: list[Watch]) -> None:
    """Every execution completed once, and every watcher saw every stored event once, in order."""
    db = Database(topology)
    stored = await db.event_seqs(ids)
    finals = await db.final_event_counts(ids)
    runs = await db.runs_per_execution(ids)
    for result in watches:
        assert result.end == "completed", result
        assert result.seqs == stored[result.execution_id], result
    for execution_id in ids:
        assert stored[execution_id] == list(range(1, len(stored[execution_id]) + 1))
        assert finals.get(execution_id) == 1 and runs.get(execution_id) == 1, execution_id


async def test_api_restart_under_watchers_misses_nothing(topology: Topology) -> None:
    api0, api1 = topology.apis
    async with http(api0) as c0:
        headers, strategy_id = await user_and_strategy(c0)
        token = headers["Authorization"].split()[1]
        ids = [await submit(c0, headers, strategy_id, slow_code(1.5)) for _ in range(8)]
        watchers = [asyncio.create_task(watch(api1, i, token, timeout_s=150)) for i in ids]
        await asyncio.sleep(2.0)  # watchers connected, some runs under way
        assert api1.popen is not None
        api1.signal(signal.SIGTERM)
        api1.popen.wait(30)
        await asyncio.sleep(1.0)  # the API is down while events keep being written
        api1.start()
        await topology.wait_ready([api1], timeout_s=60)
        watches = await asyncio.wait_for(asyncio.gather(*watchers), timeout=160)
        await wait_all_final(c0, headers, ids, timeout_s=30)
    assert sum(w.connects for w in watches) > len(ids), "the watchers should have had to reconnect"
    await _check_complete(topology, ids, watches)


async def test_redis_restart_mid_run_loses_nothing(topology: Topology) -> None:
    api0, api1 = topology.apis
    async with http(api0) as c0:
        headers, strategy_id = await user_and_strategy(c0)
        token = headers["Authorization"].split()[1]
        ids = [await submit(c0, headers, strategy_id, slow_code(1.0)) for _ in range(12)]
        watchers = [asyncio.create_task(watch(api1, i, token, timeout_s=170)) for i in ids]
        await asyncio.sleep(2.0)
        # Redis keeps nothing on disk: the restart loses the queue, the job ledger and every subscription.
        topology.redis.stop()
        await asyncio.sleep(1.5)
        topology.redis.start()
        more = [await submit(c0, headers, strategy_id, WARM_CODE) for _ in range(4)]
        watchers += [asyncio.create_task(watch(api1, i, token, timeout_s=170)) for i in more]
        watches = await asyncio.wait_for(asyncio.gather(*watchers), timeout=180)
        await wait_all_final(c0, headers, ids + more, timeout_s=30)
    await _check_complete(topology, ids + more, watches)


async def test_postgres_connections_dropped_503_then_work_resumes(topology: Topology) -> None:
    api0, api1 = topology.apis
    db = Database(topology)
    statuses: Counter[int] = Counter()
    missing_retry_after = 0
    stop = asyncio.Event()
    async with http(api0) as c0, http(api1) as c1:
        headers, strategy_id = await user_and_strategy(c0)
        ids = [await submit(c0, headers, strategy_id, slow_code(0.5)) for _ in range(6)]

        paths = (f"/executions/{ids[0]}", "/strategies", f"/executions/strategies/{strategy_id}/executions")

        async def hammer(client: httpx.AsyncClient) -> None:
            nonlocal missing_retry_after
            while not stop.is_set():
                for path in paths:
                    response = await client.get(path, headers=headers)
                    statuses[response.status_code] += 1
                    if response.status_code == 503 and "retry-after" not in response.headers:
                        missing_retry_after += 1

        load = [asyncio.create_task(hammer(c)) for c in (c0, c1, c0, c1)]
        await asyncio.sleep(1.0)
        killed = 0
        for _ in range(5):  # several drops while requests and runs are in flight
            killed += await db.terminate_connections()
            await asyncio.sleep(0.4)
        await asyncio.sleep(1.0)
        stop.set()
        await asyncio.gather(*load)
        after = [await submit(c1, headers, strategy_id, WARM_CODE) for _ in range(2)]
        final = await wait_all_final(c0, headers, ids + after, timeout_s=120)
    assert killed > 0
    assert statuses[500] == 0, statuses
    assert set(statuses) <= {200, 503}, statuses
    assert missing_retry_after == 0
    not_completed = {
        i: (b["status"], b["error_message"]) for i, b in final.items() if b["status"] != "completed"
    }
    assert not not_completed, not_completed


async def test_sigkilled_worker_recovers_through_its_lease(topology: Topology) -> None:
    api0, _ = topology.apis
    victim, survivor = topology.workers
    db = Database(topology)
    async with http(api0) as c0:
        headers, strategy_id = await user_and_strategy(c0)
        ids = [await submit(c0, headers, strategy_id, slow_code(4.0)) for _ in range(4)]
        victim_id = None
        for _ in range(300):  # until the victim is mid-run on one of them
            rows = await db.executions(ids)
            running = [r for r in rows.values() if r["status"] == "executing" and r["worker_id"]]
            mine = [r for r in running if r["worker_id"].split(":")[1] == str(victim.pid)]
            if mine:
                victim_id = mine[0]["id"]
                break
            await asyncio.sleep(0.1)
        assert victim_id is not None, "the victim never started one of them"
        victim.signal(signal.SIGKILL)
        killed_at = time.monotonic()
        final = await wait_all_final(c0, headers, ids, timeout_s=90)
        recovered_in = time.monotonic() - killed_at
    assert all(body["status"] == "completed" for body in final.values()), final
    rows = await db.executions(ids)
    assert rows[victim_id]["attempts"] == 2
    assert rows[victim_id]["worker_id"].split(":")[1] == str(survivor.pid)
    await _check_complete(topology, ids, [])
    print(f"\nexecution {victim_id} re-run after SIGKILL; all done {recovered_in:.1f} s after the kill")
