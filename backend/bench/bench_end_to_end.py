"""End to end on a warm embedded server: the seed example from POST to `completed`.

Two spans: SPX 2009-2018 (2,516 bars, the figure kept since stop 11) and 1999-2018 (5,031 bars, the
issue 17 target: p50 under 150 ms). For each, p50/p95 over 20 sequential runs and where a run's time goes
(when the client saw the POST answer and each stage's first event, medians); throughput with 60 submitted
at once (short span); and, measured in the same run,
the original design's baseline: a fresh `python` process that imports vectorbt and runs the same generated
code, with numba's on-disk cache already warm (the kindest case for the baseline: one discarded run fills
it first) and once with an empty cache (what a fresh machine or container pays).

The server runs in this process on its own event loop, as `make run` serves it; the client (HTTP + WebSocket,
timing each run) is a separate process, as a browser would be, so its work does not queue on the server's
loop.
"""

from __future__ import annotations

import asyncio
import itertools
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
LONG = {"symbols": ["SPX"], "start_date": "1999-01-01", "end_date": "2018-12-31"}
SPANS = {"2009-2018, 2,516 bars": PARAMS, "1999-2018, 5,031 bars": LONG}
STAGES = ("post", "analyzing", "generating_code", "executing", "completed")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def run_once(
    http: httpx.AsyncClient,
    ws_url: str,
    headers: dict[str, str],
    strategy_id: str,
    params: dict[str, Any] = PARAMS,
    seen: dict[str, float] | None = None,
) -> float:
    """One run's latency; ``seen`` gets when (s after the POST was sent) the client saw each stage."""
    token = headers["Authorization"].split()[1]
    started = time.perf_counter()
    response = await http.post(
        f"/executions/strategies/{strategy_id}/execute", json={"params": params}, headers=headers
    )
    execution_id = response.json()["id"]
    stamps = {"post": time.perf_counter() - started}
    async with websockets.connect(f"{ws_url}/executions/{execution_id}/ws?token={token}") as ws:
        async for raw in ws:
            message = json.loads(raw)
            if message.get("status") in STAGES:
                stamps.setdefault(message["status"], time.perf_counter() - started)
            if message["type"] == "end":
                if message["status"] != "completed":
                    raise RuntimeError(f"{execution_id} ended {message['status']}")
                break
    if seen is not None:
        seen.update(stamps)
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
            burst_s = timings["burst_s"]
            listed = await http.get(f"/executions/strategies/{strategy['id']}/executions", headers=headers)
            codes = {}
            for label, params in SPANS.items():  # each span's generated code, as its runs had it
                run = next(r for r in listed.json() if r["params"]["start_date"] == params["start_date"])
                codes[label] = (await http.get(f"/executions/{run['id']}/code", headers=headers)).json()[
                    "code"
                ]
        files = {}
        for label, params in SPANS.items():
            bars = await app.state.market_data.load("SPX", "1d", *_dates(params), None)
            files[label] = bars.parquet_path
        await server.stop()

    print(
        f"throughput: {BURST} submitted at once finished in {burst_s:.1f} s = {BURST / burst_s * 60:.0f}/min"
    )
    for label in SPANS:
        latencies = timings["latencies"][label]
        span_code = codes[label]
        baseline(span_code, files[label])  # fills numba's on-disk cache: the measured runs find it warm
        base = [baseline(span_code, files[label]) for _ in range(BASELINE_RUNS)]
        p50, p95 = pct(latencies, 0.5), pct(latencies, 0.95)
        base_med = statistics.median(base)
        print(
            f"{label}: end-to-end (POST -> completed), {RUNS} runs: "
            f"p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms"
        )
        stages = timings["stages"][label]
        steps = [
            f"{b} +{statistics.median(s[b] - s[a] for s in stages if a in s and b in s) * 1000:.0f}"
            for a, b in itertools.pairwise(STAGES)
        ]
        post = statistics.median(s["post"] for s in stages) * 1000
        print(
            f"  where it goes (client-seen, medians, ms): POST answered {post:.0f}, then " + ", ".join(steps)
        )
        print(
            f"  baseline (fresh python process + import vectorbt, warm numba cache): median {base_med:.1f} s"
        )
        print(f"  ratio baseline / p50: {base_med / p50:.0f}x faster")
    short = next(iter(SPANS))
    cold = baseline(codes[short], files[short], numba_cache=tempfile.mkdtemp(prefix="numba-cold-"))
    print(f"baseline with an empty numba cache (a fresh machine, short span): {cold:.1f} s")


def _dates(params: dict[str, Any]) -> tuple[Any, Any]:
    from datetime import date

    return date.fromisoformat(params["start_date"]), date.fromisoformat(params["end_date"])


async def client_async(target: dict[str, Any]) -> None:
    """The client process: per span 3 warm-up runs then RUNS sequential runs; then BURST at once (short
    span, whose code the server reports last); prints JSON."""
    headers, strategy_id, ws_url = target["headers"], target["id"], target["ws"]
    latencies: dict[str, list[float]] = {}
    stages: dict[str, list[dict[str, float]]] = {}
    async with httpx.AsyncClient(base_url=target["http"], timeout=120) as http:
        for label, params in reversed(SPANS.items()):
            for _ in range(3):  # warm-up: caches, first-call paths
                await run_once(http, ws_url, headers, strategy_id, params)
            seen: list[dict[str, float]] = [{} for _ in range(RUNS)]
            latencies[label] = [
                await run_once(http, ws_url, headers, strategy_id, params, seen[i]) for i in range(RUNS)
            ]
            stages[label] = seen
        burst_started = time.perf_counter()
        await asyncio.gather(*(run_once(http, ws_url, headers, strategy_id) for _ in range(BURST)))
        burst_s = time.perf_counter() - burst_started
    print(json.dumps({"latencies": latencies, "stages": stages, "burst_s": burst_s}))


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--client":
        asyncio.run(client_async(json.loads(sys.argv[2])))
        return
    asyncio.run(main_async())


if __name__ == "__main__":
    main()
