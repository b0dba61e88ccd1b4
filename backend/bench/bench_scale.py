"""Scale-out benchmark: throughput and latency with 1, 2 and 4 worker processes against the embedded default,
measured in the same run on this machine (real PostgreSQL, a private redis-server, real processes).

Each configuration gets the same burst of N executions submitted at once (`BENCH_SCALE_N`, default 40),
running the warm-kernel strategy of the scale tests; throughput is N over the time from the first submit to
the last completion, latency is each execution's `completed_at - created_at` as the database stored it.
Resident memory is read from /proc (psutil) for each worker process, alone and with its sandbox zygotes.

    cd backend && ../.venv/bin/python -m bench.bench_scale
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from dataclasses import dataclass

import httpx
import psutil

from tests.scale.clients import WARM_CODE, Database, submit, user_and_strategy, wait_all_final
from tests.scale.topology import PYTHON, Proc, Topology, free_port

N = int(os.environ.get("BENCH_SCALE_N", "40"))
WORKER_COUNTS = (1, 2, 4)


@dataclass
class Row:
    name: str
    processes: str
    per_min: float
    p50_s: float
    p95_s: float
    rss_mb: str


def rss_mb(pid: int) -> tuple[float, float]:
    """(the process alone, the process with all its descendants) in MB."""
    process = psutil.Process(pid)
    own = process.memory_info().rss
    total = own + sum(child.memory_info().rss for child in process.children(recursive=True))
    return own / 2**20, total / 2**20


async def burst(topology: Topology, api: Proc, name: str, processes: str, pids: list[int]) -> Row:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{api.port}", timeout=60) as client:
        headers, strategy_id = await user_and_strategy(client)
        # One warm-up run, so every configuration starts with its data cache filled.
        first = await submit(client, headers, strategy_id, WARM_CODE)
        await wait_all_final(client, headers, [first], timeout_s=120)
        started = time.perf_counter()
        ids = await asyncio.gather(*(submit(client, headers, strategy_id, WARM_CODE) for _ in range(N)))
        final = await wait_all_final(client, headers, list(ids), timeout_s=600)
        elapsed = time.perf_counter() - started
    assert all(body["status"] == "completed" for body in final.values()), "a run did not complete"
    rows = await Database(topology).fetch(
        "SELECT extract(epoch FROM completed_at - created_at) AS s FROM strategy_executions "
        "WHERE id = ANY($1)",
        list(ids),
    )
    latencies = sorted(float(row["s"]) for row in rows)
    memory = [rss_mb(pid) for pid in pids]
    rss = ", ".join(f"{own:.0f} ({total:.0f} w/ sandbox)" for own, total in memory)
    return Row(
        name,
        processes,
        N / elapsed * 60,
        statistics.median(latencies),
        latencies[max(0, round(0.95 * len(latencies)) - 1)],
        rss,
    )


async def run() -> list[Row]:
    topology = await asyncio.to_thread(Topology.create)
    rows: list[Row] = []
    try:
        port = free_port()
        embedded = Proc(
            "embedded",
            [PYTHON, "-m", "uvicorn", "app.main:app", "--port", str(port), "--log-level", "warning"],
            topology.env(QUEUE="inprocess", REDIS_URL="", START_WORKER="true", WORKER_CONCURRENCY="2"),
            topology.data_dir / "embedded.log",
            port=port,
        )
        embedded.start()
        await topology.wait_ready([embedded])
        rows.append(await burst(topology, embedded, "embedded (default)", "1 API+worker", [embedded.pid]))
        embedded.stop()

        api = topology.add_api()
        await topology.wait_ready([api])
        for count in WORKER_COUNTS:
            new = [topology.add_worker() for _ in range(count - len(topology.workers))]
            await topology.wait_ready(new)
            pids = [worker.pid for worker in topology.workers]
            rows.append(await burst(topology, api, f"scale-out, {count} worker(s)", f"1 API + {count}", pids))
    finally:
        await asyncio.to_thread(topology.close)
    return rows


def main() -> None:
    import shutil
    import socket

    with socket.socket() as sock:
        postgres = sock.connect_ex(("127.0.0.1", 5432)) == 0
    if not postgres or shutil.which("redis-server") is None:
        print("NOTICE: bench_scale needs PostgreSQL on 127.0.0.1:5432 and redis-server: skipped")
        return
    rows = asyncio.run(run())
    print(f"\n{N} executions per configuration, submitted at once; {os.cpu_count()} cores")
    print("| configuration | processes | executions/min | p50 latency s | p95 latency s | worker RSS MB |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row.name} | {row.processes} | {row.per_min:.0f} | {row.p50_s:.2f} | {row.p95_s:.2f} "
            f"| {row.rss_mb} |"
        )


if __name__ == "__main__":
    main()
