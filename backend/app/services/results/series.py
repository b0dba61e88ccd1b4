"""Equity, benchmark and drawdown series as ``[timestamp, value]`` pairs, and downsampling for transport.

The API ships at most `MAX_POINTS` points per series; the CSV export keeps every bar. Downsampling keeps,
in order, the first and last point and the lowest and highest point of each of ``(max_points - 2) // 2``
equal buckets, so the global minimum (the max drawdown) and maximum survive and a chart drawn from the
result has the same envelope as one drawn from every bar.

>>> pts = [[i, v] for i, v in enumerate([5, 1, 9, 3, 4, 8, 2, 6])]
>>> downsample(pts, max_points=6)
[(0, 5), (1, 1), (2, 9), (5, 8), (6, 2), (7, 6)]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from app.services.results._inputs import utc_index
from app.services.sandbox.harness.timestamps import iso_times

MAX_POINTS = 5_000


def align_benchmark(close: pd.Series | None, index: pd.DatetimeIndex, capital: float) -> pd.Series | None:
    """Buy and hold of the benchmark on the strategy's bars, starting at ``capital``.

    Each strategy bar takes the benchmark's last close at or before it (forward fill, so a holiday on one
    calendar repeats the previous close); bars before the benchmark's first close are dropped.

    >>> idx = pd.date_range("2024-01-01", periods=4, freq="D", tz="UTC")
    >>> bench = pd.Series([10.0, 11.0, 12.0], index=idx[[1, 2, 3]])
    >>> align_benchmark(bench, idx, 1000.0).tolist()
    [1000.0, 1100.0, 1200.0]
    """
    if close is None or len(close) == 0:
        return None
    close = close.astype("float64")
    close.index = utc_index(close.index)
    close = close[~close.index.duplicated(keep="last")].sort_index()
    close = close[np.isfinite(close.to_numpy()) & (close.to_numpy() > 0)]
    if close.empty:
        return None
    aligned = close.reindex(close.index.union(index)).ffill().reindex(index).dropna()
    if aligned.empty:
        return None
    return (aligned / float(aligned.iloc[0]) * capital).rename("benchmark")


def pairs(series: pd.Series, labels: Sequence[str] | None = None) -> list[tuple[str, float | None]]:
    """``[(iso_timestamp, value), ...]``; ``labels`` reuses the caller's timestamp strings when given."""
    stamps = list(labels) if labels is not None else iso_times(series.index)
    array = series.to_numpy(dtype="float64")
    values: list[float | None] = array.tolist()
    for i in np.flatnonzero(~np.isfinite(array)).tolist():  # NaN and inf have no JSON form: null
        values[i] = None
    return list(zip(stamps, values, strict=True))


def downsample(
    points: Sequence[Sequence[Any]], max_points: int = MAX_POINTS, values: np.ndarray | None = None
) -> list[tuple[Any, ...]]:
    """At most ``max_points`` of ``points`` (a min/max-preserving bucket selection, order kept), each kept
    point as a tuple (the API models' point type, so a model built from them needs no conversion).
    ``values``: the points' values as floats, when the caller has them (`pairs`' array: NaN where a
    point's value is None), so they are not read back from the points."""
    if max_points < 4:
        raise ValueError(f"max_points must be at least 4, got {max_points}")
    n = len(points)
    if n <= max_points:
        return [tuple(p) for p in points]
    if values is None:
        values = np.array([np.nan if p[1] is None else float(p[1]) for p in points], dtype="float64")
    values = values[1:-1]
    n_buckets = (max_points - 2) // 2
    bucket = np.arange(n - 2) * n_buckets // (n - 2)  # equal buckets over the interior points, in order
    starts = np.r_[0, np.cumsum(np.bincount(bucket, minlength=n_buckets))[:-1]]
    # Sort by bucket, then by value: each bucket's first row is its extreme (ties and all-NaN: the earliest).
    lowest = np.lexsort((np.where(np.isnan(values), np.inf, values), bucket))[starts]
    highest = np.lexsort((-np.where(np.isnan(values), -np.inf, values), bucket))[starts]
    keep = np.unique(np.r_[0, lowest + 1, highest + 1, n - 1])
    return [tuple(points[i]) for i in keep]
