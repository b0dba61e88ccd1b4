"""The MCP face's cost over REST, on a warm embedded server, each measured against REST in the same run.

- the seed example to `completed`: REST (POST, then the WebSocket to its end) against MCP `run_backtest`
  (one call that waits, with progress notifications), and against the same call through `stratcrew-mcp`;
- a cheap read: `GET /data/symbols` against the `list_symbols` tool.

Prints p50/p95 and the MCP/REST ratios. The server runs in this process; the clients in a separate process,
as an agent would be, so their work does not queue on the server's loop.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.bench_end_to_end import PARAMS, pct, run_once

RUNS = 20
READS = 50
STDIO_RUNS = 20


async def main_async() -> None:
    from app.core.config import Settings
    from app.main import create_app
    from tests.utils.databases import migrate
    from tests.utils.factories import create_strategy, register
    from tests.utils.live_server import LiveServer

    data_dir = Path(tempfile.mkdtemp(prefix="bench-mcp-"))
    url = f"sqlite+aiosqlite:///{data_dir / 'bench.db'}"
    await asyncio.to_thread(migrate, url)
    app = create_app(Settings(data_dir=data_dir, database_url=url))
    async with app.router.lifespan_context(app):
        await app.state.sandbox_pool.wait_ready(300)
        await app.state.runtime.pipelines.get()
        server = LiveServer(app)
        await server.start()
        async with httpx.AsyncClient(base_url=server.http_url, timeout=120) as http:
            headers = await register(http)
            strategy = await create_strategy(http, headers)
        target = {"http": server.http_url, "ws": server.ws_url, "headers": headers, "id": strategy["id"]}
        client = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.bench_mcp", "--client", json.dumps(target), stdout=subprocess.PIPE
        )
        out, _ = await client.communicate()
        await server.stop()
    if client.returncode != 0:
        raise RuntimeError(f"the client process failed ({client.returncode})")
    t = json.loads(out.decode().strip().splitlines()[-1])
    for label, rest_key, mcp_key in (
        (f"seed example to completed ({RUNS} runs)", "rest_run", "mcp_run"),
        (f"symbols read ({READS} calls)", "rest_read", "mcp_read"),
    ):
        rest, mcp = t[rest_key], t[mcp_key]
        print(
            f"{label}: REST p50 {pct(rest, 0.5) * 1000:.1f} ms p95 {pct(rest, 0.95) * 1000:.1f} ms | "
            f"MCP p50 {pct(mcp, 0.5) * 1000:.1f} ms p95 {pct(mcp, 0.95) * 1000:.1f} ms | "
            f"MCP/REST p50 {pct(mcp, 0.5) / pct(rest, 0.5):.2f}x"
        )
    stdio = t["stdio_run"]
    print(
        f"seed example through stratcrew-mcp ({STDIO_RUNS} runs): p50 {pct(stdio, 0.5) * 1000:.0f} ms = "
        f"{pct(stdio, 0.5) / pct(t['mcp_run'], 0.5):.2f}x direct MCP, "
        f"{pct(stdio, 0.5) / pct(t['rest_run'], 0.5):.2f}x REST"
    )


async def client_async(target: dict[str, Any]) -> None:
    from tests.mcp.client import mcp_session, ok
    from tests.mcp.test_stdio import stdio_session

    headers, strategy_id = target["headers"], target["id"]
    arguments = {"strategy_id": strategy_id, "params": PARAMS}
    timings: dict[str, list[float]] = {}

    async def progress(_value: float, _total: float | None, _message: str | None) -> None:
        return None

    async def mcp_run(session: Any) -> float:
        started = time.perf_counter()
        ok(await session.call_tool("run_backtest", arguments, progress_callback=progress))
        return time.perf_counter() - started

    token = headers["Authorization"].split()[1]
    async with (
        httpx.AsyncClient(base_url=target["http"], timeout=120) as http,
        mcp_session(target["http"], headers) as session,
        stdio_session(url=target["http"], token=token) as relayed,
    ):
        for _ in range(3):  # warm-up: caches, first-call paths, on every face
            await run_once(http, target["ws"], headers, strategy_id)
            await mcp_run(session)
            await mcp_run(relayed)
        rest_run, mcp_run_times, stdio_run = [], [], []
        for i in range(RUNS):  # interleaved, so each face sees the same machine load
            rest_run.append(await run_once(http, target["ws"], headers, strategy_id))
            mcp_run_times.append(await mcp_run(session))
            if i < STDIO_RUNS:
                stdio_run.append(await mcp_run(relayed))
        rest_read, mcp_read = [], []
        for _ in range(READS):
            started = time.perf_counter()
            (await http.get("/data/symbols", headers=headers)).raise_for_status()
            rest_read.append(time.perf_counter() - started)
            started = time.perf_counter()
            ok(await session.call_tool("list_symbols", {}))
            mcp_read.append(time.perf_counter() - started)
    timings.update(
        rest_run=rest_run, mcp_run=mcp_run_times, rest_read=rest_read, mcp_read=mcp_read, stdio_run=stdio_run
    )
    print(json.dumps(timings))


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--client":
        asyncio.run(client_async(json.loads(sys.argv[2])))
        return
    asyncio.run(main_async())


if __name__ == "__main__":
    main()
