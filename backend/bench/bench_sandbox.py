"""Sandbox round trip vs the original design (a fresh `python` per run), and the pool's memory.

Run from backend/: ``python -m bench.bench_sandbox`` (as root, with bubblewrap installed).

Measures, in one run:
- the pure sandbox round trip (`await pool.run(...)` of an MA-crossover backtest with stops on 2,500 daily
  S&P 500 bars from the `arch` package), 20 runs, p50 and p95;
- the baseline: a fresh `python` process that imports vectorbt and runs the same code (warm numba cache,
  as the original design would have at best), 3 runs, median; and the ratio;
- resident memory (RSS and PSS) of a 4-slot pool while 4 runs execute concurrently.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pandas as pd

from app.services.sandbox import SandboxPool, SandboxSettings

REPO = Path(__file__).resolve().parents[2]
NUMBA_CACHE = REPO / ".cache" / "numba"

CODE = """
import numpy as np
import pandas as pd
import vectorbt as vbt

data = load_data("SPX")
close = data["Close"]
fast = vbt.MA.run(close, 20)
slow = vbt.MA.run(close, 50)
entries = fast.ma_crossed_above(slow)
exits = fast.ma_crossed_below(slow)
portfolio = vbt.Portfolio.from_signals(
    close, entries, exits, init_cash=10_000, fees=0.001, sl_stop=0.08, tp_stop=0.2, freq="1D"
)
"""

BASELINE = """
import sys, time
t0 = time.perf_counter()
import pandas as pd
import vectorbt as vbt
frame = pd.read_parquet(sys.argv[1])
def load_data(symbol):
    return frame.rename(columns=str.capitalize)
exec(compile(sys.argv[2], "<strategy>", "exec"))
portfolio.value()
portfolio.trades.records_readable
"""


def sp500_parquet(directory: Path) -> Path:
    import arch.data.sp500

    raw = pd.read_csv(Path(arch.data.sp500.__file__).with_name("sp500.csv.gz")).tail(2500)
    index = pd.DatetimeIndex(pd.to_datetime(raw["Date"], format="%m/%d/%Y"), name="timestamp").tz_localize(
        "UTC"
    )
    frame = raw[["Open", "High", "Low", "Close", "Volume"]].set_axis(index).astype("float64")
    frame.columns = [c.lower() for c in frame.columns]
    path = directory / "spx.parquet"
    frame.to_parquet(path)
    return path


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def sandbox_round_trips(path: Path, runs: int) -> list[float]:
    pool = SandboxPool(SandboxSettings(numba_cache_dir=NUMBA_CACHE, pool_size=2))
    await pool.start()
    await pool.wait_ready(600)
    await pool.run(CODE, {"SPX": path})  # first run per slot touches a few lazily built pandas objects
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = await pool.run(CODE, {"SPX": path})
        times.append(time.perf_counter() - started)
    assert len(result.equity) == 2500
    started = time.perf_counter()
    await asyncio.gather(*(pool.run(CODE, {"SPX": path}) for _ in range(20)))
    print(f"throughput, 2 slots: {20 / (time.perf_counter() - started) * 60:.0f} runs/minute")
    await pool.close()
    return times


def baseline_runs(path: Path, runs: int) -> list[float]:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(NUMBA_CACHE)}
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", BASELINE, str(path), CODE], check=True, env=env, capture_output=True
        )
        times.append(time.perf_counter() - started)
    return times


async def pool_memory(path: Path) -> dict[str, int]:
    # Generous limits: 4 heavy runs share 2 cores here; this measures memory, not speed.
    settings = SandboxSettings(numba_cache_dir=NUMBA_CACHE, pool_size=4, wall_timeout_s=180, cpu_limit_s=180)
    pool = SandboxPool(settings)
    await pool.start()
    await pool.wait_ready(600)
    idle = pool.memory_kb()
    heavy = CODE + textwrap.dedent("""
        for w in range(5, 200, 5):
            ma = vbt.MA.run(close, w)
            vbt.Portfolio.from_signals(close, ma.ma_crossed_above(slow), exits, freq="1D").value()
    """)
    runs = asyncio.gather(*(pool.run(heavy, {"SPX": path}) for _ in range(4)))
    peak = {"rss": 0, "pss": 0}
    while not runs.done():
        sample = pool.memory_kb()
        peak = {k: max(peak[k], sample[k]) for k in peak}
        await asyncio.sleep(0.02)
    await runs
    await pool.close()
    return {
        "idle_rss": idle["rss"],
        "idle_pss": idle["pss"],
        "peak_rss": peak["rss"],
        "peak_pss": peak["pss"],
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = sp500_parquet(Path(tmp))
        times = asyncio.run(sandbox_round_trips(path, 20))
        base = baseline_runs(path, 3)
        memory = asyncio.run(pool_memory(path))
    p50, p95 = statistics.median(times), percentile(times, 0.95)
    base_median = statistics.median(base)
    print(f"sandbox round trip, 20 runs: p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")
    print(f"baseline (fresh python + import vectorbt), 3 runs: median {base_median:.2f} s")
    print(f"speed-up at p50: {base_median / p50:.0f}x")
    print(
        "pool memory, 4 slots: idle RSS {idle_rss_mb:.0f} MB (PSS {idle_pss_mb:.0f} MB); "
        "4 concurrent runs peak RSS {peak_rss_mb:.0f} MB (PSS {peak_pss_mb:.0f} MB)".format(
            **{f"{k}_mb": v / 1024 for k, v in memory.items()}
        )
    )


if __name__ == "__main__":
    main()
