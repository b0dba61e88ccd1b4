"""The sweep kernel: runs inside the sandbox (numpy, pandas and numba only; relative imports, so it can be
loaded by its location) and on the host in tests and benches.

    outcome = run_sweep(Market.from_frames(open_, high, low, close), SweepPlan(grid=Grid({...}), ...))
    outcome.summary   # bounded, JSON-ready: top rows, heatmap, walk-forward, overfitting, cost break-even
"""

# Every numba kernel is decorated at import (so under the cache folder its loader chose), none lazily.
from . import progress as progress
from .block import run_block
from .cache import ensure_fresh
from .calendar import periods_per_year
from .engine import MINIMIZED, OBJECTIVES
from .export import TABLE_COLUMNS, export, unpack_table
from .frames import block_size, by_value, per_column, pick, rows, widen
from .grid import Constraint, Grid
from .metrics import METRIC_NAMES
from .plan import Market, SweepPlan, WalkForward
from .signals import IndicatorTable, crossed_above, crossed_below
from .sweep import SweepOutcome, run_sweep

ensure_fresh(run_block)


def child_setup() -> None:
    """In a sandboxed run's process, before its script: progress goes to stdout as marked lines."""
    from .progress import install, stdout_reporter

    install(stdout_reporter())


def warm() -> None:
    """Compile (or load from numba's cache) every kernel a sweep uses, on a few synthetic bars: the
    sandbox's zygote calls this at start-up, so a sweep's run compiles nothing."""
    import numpy as np
    import pandas as pd

    index = pd.date_range("2020-01-01", periods=300, freq="B", tz="UTC")
    close = 100 * np.cumprod(1 + np.random.default_rng(0).normal(0.0003, 0.01, (len(index), 2)), axis=0)
    for symbols in (1, 2):
        frame = pd.DataFrame(close[:, :symbols], index=index)
        market = Market.from_frames(frame * 0.999, frame * 1.01, frame * 0.99, frame)
        first = frame.iloc[:, 0]

        def sma(n: int, series: pd.Series = first) -> pd.Series:
            return series.rolling(n).mean()

        table = IndicatorTable([5, 10, 20], sma)

        def signals(
            p: dict[str, np.ndarray], count: int = symbols, table: IndicatorTable = table
        ) -> dict[str, np.ndarray]:
            fast, slow = table.pick(p["fast"]), table.pick(p["slow"])
            entries = np.repeat(crossed_above(fast, slow), count, axis=0)
            exits = np.repeat(crossed_below(fast, slow), count, axis=0)
            return {"entries": entries, "exits": exits, "short_entries": exits, "short_exits": entries}

        plan = SweepPlan(
            grid=Grid({"fast": [5, 10], "slow": [10, 20], "sl": [0.05, 0.1]}),
            signals=signals,
            signal_params=["fast", "slow"],
            init_cash=10_000.0,
            periods=252.0,
            fields={"size": 1000.0, "size_type": "value", "sl_stop": lambda p: p["sl"], "tp_stop": 0.1},
            constraints=[("fast", "<", "slow")],
            walk_forward=WalkForward(folds=2, in_sample=0.6),
            cost_params=["sl"],
            progress=lambda done, total: None,
            threads=1,
        )
        run_sweep(market, plan)


__all__ = [
    "METRIC_NAMES",
    "MINIMIZED",
    "OBJECTIVES",
    "TABLE_COLUMNS",
    "Constraint",
    "Grid",
    "IndicatorTable",
    "Market",
    "SweepOutcome",
    "SweepPlan",
    "WalkForward",
    "block_size",
    "by_value",
    "child_setup",
    "crossed_above",
    "crossed_below",
    "export",
    "per_column",
    "periods_per_year",
    "pick",
    "rows",
    "run_sweep",
    "unpack_table",
    "warm",
    "widen",
]
