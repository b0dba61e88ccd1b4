"""Time from an event being written (committed to the database) to a WebSocket watcher receiving it.

Runs a real uvicorn server on loopback with the embedded SQLite default, writes 1,000 events through
the same code path the worker uses (`EventLog.log`), and prints p50/p95. Baseline measured in
the same run: the bare database commit of one event (the ratio shows what fan-out and WebSocket add).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import websockets

N_EVENTS = 1000


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def main_async() -> None:
    from app.core.config import Settings
    from app.main import create_app
    from app.models.execution import StrategyExecution
    from app.services.event_log import EventLog
    from tests.utils.databases import migrate
    from tests.utils.factories import create_strategy, execute, register
    from tests.utils.live_server import LiveServer

    data_dir = Path(tempfile.mkdtemp(prefix="bench-events-"))
    url = f"sqlite+aiosqlite:///{data_dir / 'bench.db'}"
    await asyncio.to_thread(migrate, url)
    settings = Settings(data_dir=data_dir, database_url=url, start_worker=False, warm_agents_on_start=False)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        server = LiveServer(app)
        await server.start()
        async with httpx.AsyncClient(base_url=server.http_url) as client:
            headers = await register(client)
            strategy = await create_strategy(client, headers)
            execution = await execute(client, headers, strategy["id"])
        token = headers["Authorization"].split()[1]
        progress = EventLog(app.state.session_factory, app.state.event_bus, execution["id"])
        sent_at: dict[int, float] = {}
        latencies: list[float] = []
        commit_times: list[float] = []

        async with websockets.connect(f"{server.ws_url}/executions/{execution['id']}/ws?token={token}") as ws:
            assert json.loads(await ws.recv())["seq"] == 1

            async def reader() -> None:
                while len(latencies) < N_EVENTS:
                    message = json.loads(await ws.recv())
                    if message.get("type") == "event":
                        latencies.append(time.perf_counter() - sent_at[message["seq"]])

            task = asyncio.create_task(reader())
            for i in range(N_EVENTS):
                seq = i + 2
                started = time.perf_counter()
                # sent_at is taken after the commit: what is measured is write -> receive.
                await progress.log(f"event {i}")
                sent_at[seq] = time.perf_counter()
                commit_times.append(sent_at[seq] - started)
                await asyncio.sleep(0)
            await asyncio.wait_for(task, 60)
        async with app.state.session_factory() as session:
            await session.get(StrategyExecution, execution["id"])
        await server.stop()

    p50, p95 = pct(latencies, 0.5) * 1000, pct(latencies, 0.95) * 1000
    base = statistics.median(commit_times) * 1000
    print(f"events: {N_EVENTS}")
    print(f"write->receive latency: p50 {p50:.2f} ms, p95 {p95:.2f} ms")
    print(
        f"baseline (one event's database commit): median {base:.2f} ms; ratio p50/baseline {p50 / base:.2f}"
    )


def main() -> None:
    asyncio.run(main_async())


if __name__ == "__main__":
    main()
