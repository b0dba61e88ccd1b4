"""Frames for a generated sweep script's ``signals`` function: one column per combination and symbol.

The rules of a sweep are the normal run's own pandas expressions; they run on frames whose columns are the
block's combinations (combination-major: column ``j * symbols + k``), so a price frame is widened, an
indicator that moves with a parameter is picked per combination from its table, and a number that moves
is a row of values that broadcasts over the columns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd


def block_size(p: Mapping[str, np.ndarray]) -> int:
    return len(next(iter(p.values()))) if p else 1


def widen(frame: pd.DataFrame, count: int) -> pd.DataFrame:
    """``frame``'s columns repeated for each of ``count`` combinations."""
    values = np.tile(frame.to_numpy(), (1, count))
    return pd.DataFrame(values, index=frame.index, columns=pd.RangeIndex(values.shape[1]))


def _keys(p: Mapping[str, np.ndarray], names: Sequence[str], count: int) -> list[tuple[float, ...]]:
    return list(zip(*(p[n].tolist() for n in names), strict=True)) if names else [()] * count


def pick(
    table: Mapping[tuple[float, ...], pd.DataFrame], p: Mapping[str, np.ndarray], names: Sequence[str]
) -> pd.DataFrame:
    """Each combination's own frame from ``table`` (keyed by the values of ``names``), side by side."""
    count = block_size(p)
    frames = [table[key].to_numpy() for key in _keys(p, names, count)]
    first = next(iter(table.values()))
    values = np.concatenate(frames, axis=1)
    return pd.DataFrame(values, index=first.index, columns=pd.RangeIndex(values.shape[1]))


def per_column(
    table: Mapping[tuple[float, ...], float], p: Mapping[str, np.ndarray], names: Sequence[str], symbols: int
) -> np.ndarray:
    """Each combination's own number, repeated for its symbols: broadcasts over a block frame's columns."""
    count = block_size(p)
    return np.repeat(np.array([table[key] for key in _keys(p, names, count)], dtype=np.float64), symbols)


def by_value(table: Mapping[float, Any], values: np.ndarray) -> np.ndarray:
    """A simulation field per combination from its parameter's value."""
    return np.array([table[float(v)] for v in values.tolist()])


def rows(frame: Any, in_window: np.ndarray) -> np.ndarray:
    """A block frame's signals on the backtest window, one row per column (the simulator's layout)."""
    values = np.asarray(frame.to_numpy() if hasattr(frame, "to_numpy") else frame, dtype=bool)
    return np.ascontiguousarray(values[in_window].T)
