"""Building blocks for a sweep's ``signals`` function, on arrays with one row per combination.

A sweep computes each indicator once per value of its parameters (an `IndicatorTable`), then, for a block
of combinations, picks each combination's row and evaluates the rules on ``(combinations, bars)`` arrays.
Plain numpy operators work on them as they do on a normal run's DataFrames (a price row broadcasts against
them); the helpers here are the ones that need the time axis, fused and without the GIL so two blocks
really run at once. NaN compares false, as in pandas, so no signal fires during an indicator's warm-up.

>>> t = IndicatorTable([2, 3], lambda n: np.arange(5.0) * n)
>>> t.pick(np.array([3.0, 2.0, 3.0]))[:, :3].tolist()
[[0.0, 3.0, 6.0], [0.0, 2.0, 4.0], [0.0, 3.0, 6.0]]
>>> crossed_above(np.array([[1.0, 3.0, 2.0]]), np.array([[2.0, 2.0, 2.0]])).tolist()
[[False, True, False]]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numba import njit


class IndicatorTable:
    """One indicator series per parameter value: ``compute(value)`` is the normal run's own expression
    (e.g. ``close.rolling(n).mean()``), so each row equals what a normal run with that value computes."""

    def __init__(self, values: Sequence[float], compute: Callable[[Any], Any]) -> None:
        self.values = [_plain(v) for v in values]
        rows = [np.asarray(compute(v), dtype=np.float64).reshape(-1) for v in self.values]
        self.table = np.ascontiguousarray(np.stack(rows))
        self._row = {v: i for i, v in enumerate(self.values)}

    def pick(self, values: np.ndarray) -> np.ndarray:
        """``(len(values), bars)``: the row of each combination's value."""
        rows = np.fromiter((self._row[_plain(v)] for v in values), dtype=np.int64, count=len(values))
        return take_rows(self.table, rows)


def _plain(value: Any) -> Any:
    """Grid values arrive as floats; a window of 20.0 is the integer 20 (pandas' rolling wants an int)."""
    number = float(value)
    return int(number) if number.is_integer() else number


@njit(cache=True, nogil=True)
def take_rows(table: np.ndarray, rows: np.ndarray) -> np.ndarray:
    out = np.empty((rows.shape[0], table.shape[1]))
    for j in range(rows.shape[0]):
        out[j, :] = table[rows[j], :]
    return out


@njit(cache=True, nogil=True)
def _cross(a: np.ndarray, b: np.ndarray, above: bool) -> np.ndarray:
    rows = max(a.shape[0], b.shape[0])
    out = np.zeros((rows, a.shape[1]), dtype=np.bool_)
    for j in range(rows):
        ja = j if a.shape[0] > 1 else 0
        jb = j if b.shape[0] > 1 else 0
        for i in range(1, a.shape[1]):
            if above:
                out[j, i] = a[ja, i] > b[jb, i] and a[ja, i - 1] <= b[jb, i - 1]
            else:
                out[j, i] = a[ja, i] < b[jb, i] and a[ja, i - 1] >= b[jb, i - 1]
    return out


def crossed_above(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a > b`` now and ``a <= b`` on the previous bar (a normal run's
    ``(a > b) & (a.shift(1) <= b.shift(1))``); ``(rows, bars)`` arrays, a single row stands for all."""
    return _cross(*_pair(a, b), True)


def crossed_below(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a < b`` now and ``a >= b`` on the previous bar."""
    return _cross(*_pair(a, b), False)


def _pair(a: Any, b: Any) -> tuple[np.ndarray, np.ndarray]:
    """Both operands as 2-D float arrays with the same number of bars (a constant fills a row)."""
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    bars = max(x.shape[-1] if x.ndim else 1, y.shape[-1] if y.ndim else 1)

    def rows(arr: np.ndarray) -> np.ndarray:
        if arr.ndim == 0:
            arr = np.full(bars, float(arr))
        return np.ascontiguousarray(arr.reshape(1, -1) if arr.ndim == 1 else arr)

    return rows(x), rows(y)


@njit(cache=True, nogil=True)
def shift(a: np.ndarray, bars: int) -> np.ndarray:
    """The value ``bars`` bars ago along each row (NaN before the first), like ``Series.shift``."""
    out = np.full(a.shape, np.nan)
    if bars < a.shape[1]:
        out[:, bars:] = a[:, : a.shape[1] - bars]
    return out
