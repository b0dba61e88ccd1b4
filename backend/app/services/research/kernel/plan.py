"""What a sweep runs: the market, the grid, how a block of combinations becomes signals and orders.

The generated sweep script builds a `SweepPlan` in plain words (the grid, a ``signals`` function, the
simulation fields) and calls `run_sweep`; tests and the bench build one by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .grid import Constraint, Grid

# How each simulation field is given: a constant, or a function of the block's parameter values (one array
# per grid parameter, one entry per combination) returning one value per combination.
FieldValue = float | bool | str | Callable[[dict[str, np.ndarray]], Any]

SIZE_TYPES = {"amount": 0, "value": 1, "percent": 2}
STOP_EXIT_PRICES = {"stoplimit": 0, "stopmarket": 1, "price": 2, "close": 3}
FIELD_DEFAULTS: dict[str, FieldValue] = {
    # vectorbt's own defaults for from_signals
    "size": np.inf,
    "size_type": "amount",
    "fees": 0.0,
    "slippage": 0.0,
    "sl_stop": np.nan,
    "sl_trail": False,
    "tp_stop": np.nan,
    "stop_exit_price": "stoplimit",
}
# signals(p) -> {"entries": ..., "exits": ..., ["short_entries", "short_exits"]}: for the block's distinct
# signal tuples (p: one array per signal parameter), boolean arrays with one row per tuple and symbol
# (tuple-major: row j * symbols + k) and one column per bar.
SignalFunction = Callable[[dict[str, np.ndarray]], Mapping[str, Any]]
ProgressFunction = Callable[[int, int], None]


def writable(array: np.ndarray) -> np.ndarray:
    """A C-contiguous, writable array. pandas hands out read-only views (copy-on-write), and numba compiles
    a separate kernel for read-only arrays: in a sandboxed run, which cannot use the compile cache, that
    would be seconds of compiling."""
    return np.require(array, requirements=["C", "W"])


@dataclass(frozen=True)
class Market:
    """Bars of the symbols traded together, ``(bars, symbols)`` float arrays on one calendar."""

    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    index: pd.DatetimeIndex
    symbols: tuple[str, ...]

    @classmethod
    def from_frames(
        cls, open_: pd.DataFrame, high: pd.DataFrame, low: pd.DataFrame, close: pd.DataFrame
    ) -> Market:
        def arr(frame: pd.DataFrame) -> np.ndarray:
            return writable(frame.to_numpy(dtype=np.float64))

        return cls(
            arr(open_),
            arr(high),
            arr(low),
            arr(close),
            pd.DatetimeIndex(close.index),
            tuple(map(str, close.columns)),
        )

    @property
    def bars(self) -> int:
        return int(self.close.shape[0])

    @property
    def n_symbols(self) -> int:
        return int(self.close.shape[1])

    def filled_close(self) -> np.ndarray:
        """Close forward- then back-filled: what vectorbt values positions at."""
        return writable(pd.DataFrame(self.close).ffill().bfill().to_numpy(dtype=np.float64))


@dataclass(frozen=True)
class WalkForward:
    folds: int = 5
    in_sample: float = 0.7


@dataclass
class SweepPlan:
    grid: Grid
    signals: SignalFunction
    signal_params: Sequence[str]
    init_cash: float
    periods: float
    fields: Mapping[str, FieldValue] = field(default_factory=dict)
    risk_free_rate: float = 0.0
    objective: str = "sharpe_ratio"
    constraints: Sequence[Constraint] = ()
    walk_forward: WalkForward | None = None
    heatmap: tuple[str, str] | None = None
    cost_params: Sequence[str] = ()
    top_n: int = 100
    pbo_partitions: int = 16
    pbo_max_strategies: int = 1000
    threads: int = 2
    block_size: int = 512
    progress: ProgressFunction | None = None

    def exec_params(self) -> list[str]:
        return [n for n in self.grid.names if n not in self.signal_params]


def resolve_fields(plan: SweepPlan, values: dict[str, np.ndarray], count: int) -> dict[str, np.ndarray]:
    """One array per simulation field, one entry per combination of the block."""
    unknown = set(plan.fields) - set(FIELD_DEFAULTS)
    if unknown:
        raise ValueError(f"unknown simulation field(s) {sorted(unknown)}; known: {sorted(FIELD_DEFAULTS)}")
    out: dict[str, np.ndarray] = {}
    for name, default in FIELD_DEFAULTS.items():
        given = plan.fields.get(name, default)
        raw = given(values) if callable(given) else given
        if name == "size_type":
            raw = _enum(raw, SIZE_TYPES, name)
        elif name == "stop_exit_price":
            raw = _enum(raw, STOP_EXIT_PRICES, name)
        dtype = {"size_type": np.int64, "stop_exit_price": np.int64, "sl_trail": np.bool_}.get(
            name, np.float64
        )
        out[name] = np.array(np.broadcast_to(np.asarray(raw, dtype=dtype), (count,)), order="C")  # a copy
    for stop in ("sl_stop", "tp_stop"):
        if (out[stop] < 0).any():
            raise ValueError(f"{stop} must be 0 or more (a fraction of the entry price, 0.05 for 5 %)")
    return out


def _enum(raw: Any, names: dict[str, int], field_name: str) -> Any:
    if isinstance(raw, str):
        if raw.lower() not in names:
            raise ValueError(f"{field_name} {raw!r} is not one of {sorted(names)}")
        return names[raw.lower()]
    return raw
