"""Portfolios: a 2-10 symbol shared-cash run of the seed strategy against a one-symbol run (target: p50
within 1.5x, nothing compiled at run time).

Run from backend/: ``python -m bench.bench_portfolio`` (as root, with bubblewrap installed).

The seed example ("Enter on a 5% price drop from the 20-day moving average", take-profit 7 %, stop-loss 5 %)
compiled by the language for 1, 2, 5 and 10 symbols, run through a warm sandbox pool started as the
service starts it (with the compiler's warm-up scripts), 15 runs each after one untimed run. The symbols
are the bundled S&P 500 and NASDAQ bars and copies of them with their returns scaled (same calendar,
different prices), 2,500 daily bars each. The baseline, measured in the same run, is the one-symbol run.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from app.core.config_sandbox import SandboxSettings
from app.models.params import ExecutionParams
from app.services.language import build_spec, compile_spec, parse_graph, warmup_scripts
from app.services.sandbox import SandboxPool

REPO = Path(__file__).resolve().parents[2]
DATASETS = REPO / "backend" / "app" / "datasets"
SEED = {
    "nodes": [
        {
            "id": "entry",
            "type": "entry_condition",
            "meta": {"rules": ["Enter on a 5% price drop from the 20-day moving average"]},
        },
        {"id": "tp", "type": "take_profit", "meta": {"target_pct": 7.0}},
        {"id": "sl", "type": "stop_loss", "meta": {"stop_pct": 5.0}},
    ]
}
RUNS = 15


def symbol_files(directory: Path, count: int) -> dict[str, Path]:
    out = {}
    for k in range(count):
        base = "SPX" if k % 2 == 0 else "IXIC"
        raw = pd.read_csv(DATASETS / f"{base}.csv.gz", index_col="date", parse_dates=["date"]).tail(2500)
        frame = raw[["open", "high", "low", "close", "volume"]].astype("float64")
        if k >= 2:  # a different price path on the same calendar: returns scaled around the first close
            scale = 1.0 + 0.15 * k
            factor = np.exp(np.log(frame["close"] / frame["close"].iloc[0]) * scale) / (
                frame["close"] / frame["close"].iloc[0]
            )
            frame[["open", "high", "low", "close"]] = frame[["open", "high", "low", "close"]].mul(
                factor, axis=0
            )
        frame.index = pd.DatetimeIndex(frame.index, name="timestamp").tz_localize("UTC")
        path = directory / f"S{k}.parquet"
        frame.to_parquet(path)
        out[f"S{k}" if k >= 2 else base] = path
    return out


def code_for(symbols: list[str]) -> str:
    params = ExecutionParams(symbols=symbols, start_date=date(2009, 1, 1), end_date=date(2018, 12, 31))
    return compile_spec(build_spec(parse_graph(SEED), cast(Any, params)))


async def measure() -> dict[int, list[float]]:
    pool = SandboxPool(
        SandboxSettings(numba_cache_dir=REPO / ".cache" / "numba", pool_size=1),
        warmup_scripts=warmup_scripts(),
    )
    await pool.start()
    await pool.wait_ready(900)
    out: dict[int, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        files = symbol_files(Path(tmp), 10)
        names = list(files)
        for count in (1, 2, 5, 10):
            chosen = {n: files[n] for n in names[:count]}
            code = code_for(list(chosen))
            await pool.run(code, chosen)  # one untimed run: the slot's first touch of this shape
            times = []
            for _ in range(RUNS):
                started = time.perf_counter()
                result = await pool.run(code, chosen)
                times.append(time.perf_counter() - started)
            assert len(result.equity) > 2000
            out[count] = times
    await pool.close()
    return out


def main() -> None:
    times = asyncio.run(measure())
    base = statistics.median(times[1])
    for count, values in times.items():
        p50 = statistics.median(values)
        print(
            f"{count:>2} symbol(s), shared cash: p50 {p50 * 1000:6.0f} ms, max {max(values) * 1000:6.0f} ms, "
            f"{p50 / base:.2f}x the one-symbol run"
        )


if __name__ == "__main__":
    main()
