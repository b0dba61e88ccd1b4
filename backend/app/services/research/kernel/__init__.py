"""The sweep kernel: runs inside the sandbox (numpy, pandas and numba only; relative imports, so it can be
loaded by its location) and on the host in tests and benches.

    outcome = run_sweep(Market.from_frames(open_, high, low, close), SweepPlan(grid=Grid({...}), ...))
    outcome.summary   # bounded, JSON-ready: top rows, heatmap, walk-forward, overfitting, cost break-even
"""

from .block import run_block
from .cache import ensure_fresh
from .calendar import periods_per_year
from .engine import MINIMIZED, OBJECTIVES
from .frames import block_size, by_value, per_column, pick, rows, widen
from .grid import Constraint, Grid
from .metrics import METRIC_NAMES
from .plan import Market, SweepPlan, WalkForward
from .sweep import SweepOutcome, run_sweep

ensure_fresh(run_block)

__all__ = [
    "METRIC_NAMES",
    "MINIMIZED",
    "OBJECTIVES",
    "Constraint",
    "Grid",
    "Market",
    "SweepOutcome",
    "SweepPlan",
    "WalkForward",
    "block_size",
    "by_value",
    "per_column",
    "periods_per_year",
    "pick",
    "rows",
    "run_sweep",
    "widen",
]
