"""End to end on a warm embedded server: the seed example from POST to `completed`.

Prints p50/p95 over 20 sequential runs, throughput with 60 submitted at once, and, measured in the same run,
the original design's baseline: a fresh `python` process that imports vectorbt and runs the same generated
code, with numba's on-disk cache already warm (the kindest case for the baseline: one discarded run fills
it first) and once with an empty cache (what a fresh machine or container pays).

The server runs in this process on its own event loop, as `make run` serves it; the client (HTTP + WebSocket,
timing each run) is a separate process, as a browser would be, so its work does not queue on the server's
loop.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

import httpx
import websockets

RUNS = 20
BURST = 60
BASELINE_RUNS = 3
PARAMS = {"symbols": ["SPX"], "start_date": "2009-01-01", "end_date": "2018-12-31"}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def run_once(http: httpx.AsyncClient, ws_url: str, headers: dict[str, str], strategy_id: str) -> float:
    token = headers["Authorization"].split()[1]
    started = time.perf_counter()
    response = await http.post(
        f"/executions/strategies/{strategy_id}/execute", json={"params": PARAMS}, headers=headers
    )
    execution_id = response.json()["id"]
    async with websockets.connect(f"{ws_url}/executions/{execution_id}/ws?token={token}") as ws:
        async for raw in ws:
            message = json.loads(raw)
            if message["type"] == "end":
                if message["status"] != "completed":
                    raise RuntimeError(f"{execution_id} ended {message['status']}")
                break
    return time.perf_counter() - started


def baseline(code: str, parquet: Path, numba_cache: str | None = None) -> float:
    """The original design: `python file.py` in a fresh process, vectorbt imported each time."""
    loader = textwrap.dedent(
        f"""
        import pandas as _pd
        def load_data(symbol):
            frame = _pd.read_parquet({str(parquet)!r})
            return frame.rename(columns=str.capitalize)
        """
    )
    body = "\n".join(line for line in code.splitlines())
    script = Path(tempfile.mkdtemp()) / "strategy.py"
    script.write_text(loader + "\n" + body.replace("def load_data(", "def _unused_load_data(", 1))
    started = time.perf_counter()
    env = dict(os.environ)
    if numba_cache is not None:
        env["NUMBA_CACHE_DIR"] = numba_cache
    subprocess.run([sys.executable, str(script)], check=True, capture_output=True, env=env)
    return time.perf_counter() - started


async def main_async() -> None:
    from app.core.config import Settings
    from app.main import create_app
    from tests.utils.databases import migrate
    from tests.utils.factories import create_strategy, register
    from tests.utils.live_server import LiveServer

    data_dir = Path(tempfile.mkdtemp(prefix="bench-e2e-"))
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
                sys.executable,
                "-m",
                "bench.bench_end_to_end",
                "--client",
                json.dumps(target),
                stdout=subprocess.PIPE,
            )
            out, _ = await client.communicate()
            if client.returncode != 0:
                raise RuntimeError(f"the client process failed ({client.returncode})")
            timings = json.loads(out.decode().strip().splitlines()[-1])
            latencies, burst_s = timings["latencies"], timings["burst_s"]
            listed = await http.get(f"/executions/strategies/{strategy['id']}/executions", headers=headers)
            last = listed.json()[0]
            code = (await http.get(f"/executions/{last['id']}/code", headers=headers)).json()["code"]
        bars = await app.state.market_data.load("SPX", "1d", *_dates(), None)
        await server.stop()

    baseline(code, bars.parquet_path)  # fills numba's on-disk cache: the measured runs find it warm
    base = [baseline(code, bars.parquet_path) for _ in range(BASELINE_RUNS)]
    cold = baseline(code, bars.parquet_path, numba_cache=tempfile.mkdtemp(prefix="numba-cold-"))
    p50, p95 = pct(latencies, 0.5), pct(latencies, 0.95)
    base_med = statistics.median(base)
    print(f"end-to-end (POST -> completed), {RUNS} runs: p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")
    print(
        f"throughput: {BURST} submitted at once finished in {burst_s:.1f} s = {BURST / burst_s * 60:.0f}/min"
    )
    print(f"baseline (fresh python process + import vectorbt, warm numba cache): median {base_med:.1f} s")
    print(f"ratio baseline / p50: {base_med / p50:.0f}x faster")
    print(f"baseline with an empty numba cache (a fresh machine): {cold:.1f} s = {cold / p50:.0f}x p50")


def _dates() -> tuple[object, object]:
    from datetime import date

    return date.fromisoformat(PARAMS["start_date"]), date.fromisoformat(PARAMS["end_date"])  # type: ignore[arg-type]


async def client_async(target: dict[str, Any]) -> None:
    """The client process: 3 warm-up runs, RUNS sequential runs, then BURST at once; prints JSON."""
    headers, strategy_id, ws_url = target["headers"], target["id"], target["ws"]
    async with httpx.AsyncClient(base_url=target["http"], timeout=120) as http:
        for _ in range(3):  # warm-up: caches, first-call paths
            await run_once(http, ws_url, headers, strategy_id)
        latencies = [await run_once(http, ws_url, headers, strategy_id) for _ in range(RUNS)]
        burst_started = time.perf_counter()
        await asyncio.gather(*(run_once(http, ws_url, headers, strategy_id) for _ in range(BURST)))
        burst_s = time.perf_counter() - burst_started
    print(json.dumps({"latencies": latencies, "burst_s": burst_s}))


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--client":
        asyncio.run(client_async(json.loads(sys.argv[2])))
        return
    asyncio.run(main_async())


if __name__ == "__main__":
    main()
