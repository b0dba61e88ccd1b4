"""Backtest time of the execution-side features, in process on S&P 500 bars 1999-2018 (5,031 bars).

Run from backend/: ``python -m bench.bench_fills``.

Baseline, measured in the same run: the seed example as every run compiled it before (long only, percent
stops, vectorbt's ``from_signals``). Then the same script with: a short side (both signal pairs, stop frames,
reversals), stops in ATR multiples, slippage on stop fills, and the order loop the compiler writes for
``reenter_on_exit_bar`` (plain Python over the bars). Each figure is the median of the script's run (prices,
indicators, signals, simulation and ``portfolio.value()``, with the sandbox's shape-check patch), cases run
round robin; the ratio is against the baseline's median.
"""

from __future__ import annotations

import ast
import os
import statistics
import time
from datetime import date
from pathlib import Path
from typing import Any

os.environ.setdefault("NUMBA_CACHE_DIR", str(Path(__file__).resolve().parents[2] / ".cache" / "numba"))

SEED = [
    {"id": "e", "type": "entry_condition", "meta": {"rules": ["close is 5% below the 20-day SMA"]}},
    {"id": "tp", "type": "take_profit", "meta": {"target_pct": 7.0}},
    {"id": "sl", "type": "stop_loss", "meta": {"stop_pct": 5.0}},
]
SHORT = {"id": "s", "type": "short_entry_condition", "meta": {"rules": ["close is 5% above the 20-day SMA"]}}
ATR_SL = {"id": "sl", "type": "stop_loss", "meta": {"stop_atr": 2.0}}

REPEAT = 15
CASES: dict[str, tuple[list[dict[str, Any]], dict[str, Any]]] = {
    "baseline: seed, long only": (SEED, {}),
    "long and short": ([*SEED, SHORT], {}),
    "ATR stop-loss": ([SEED[0], SEED[1], ATR_SL], {}),
    "stop_slippage": (SEED, {"stop_slippage": True}),
    "reenter_on_exit_bar (order loop)": (SEED, {"reenter_on_exit_bar": True}),
    "long and short, exposure 0.5 (order loop)": ([*SEED, SHORT], {"exposure": 0.5}),
}


def _sp500() -> Any:
    from pathlib import Path

    import arch
    import pandas as pd

    path = Path(arch.__file__).parent / "data" / "sp500" / "sp500.csv.gz"
    frame = pd.read_csv(path, index_col="Date")
    frame.index = pd.to_datetime(frame.index, format="%m/%d/%Y").tz_localize("UTC")
    return frame[["Open", "High", "Low", "Close", "Volume"]].astype(float)


def main() -> None:
    from app.models.params import ExecutionParams
    from app.services.language import build_spec, compile_spec, parse_graph
    from app.services.sandbox.harness.script import strip_stub
    from app.services.sandbox.harness.warmup import speed_up_shape_checks

    speed_up_shape_checks()  # as the sandbox's zygote does, so the figures are those of a run
    frame = _sp500()
    runs: dict[str, Any] = {}
    for name, (nodes, extra) in CASES.items():
        params = ExecutionParams(start_date=date(1999, 1, 1), end_date=date(2018, 12, 31), **extra)
        source = compile_spec(build_spec(parse_graph({"nodes": nodes}), params))
        code = compile(strip_stub(ast.parse(source)), name, "exec")

        def run(code: Any = code) -> None:
            namespace: dict[str, Any] = {"load_data": lambda symbol: frame}
            exec(code, namespace)
            namespace["portfolio"].value()

        run()  # numba compiles on the first call of each argument signature: out of the measurement
        runs[name] = run
    # Round robin, so that a busy machine slows every case alike and the ratios stay fair.
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(REPEAT):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            times[name].append((time.perf_counter() - start) * 1000)
    medians = {name: statistics.median(values) for name, values in times.items()}
    base = medians["baseline: seed, long only"]
    for name, median in medians.items():
        print(f"{name:44s} median {median:7.1f} ms   x{median / base:.2f}")


if __name__ == "__main__":
    main()
