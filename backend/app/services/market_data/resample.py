"""Intervals, UTC normalisation and OHLCV aggregation from finer to coarser bars.

Daily and coarser bars are labelled by their session date at 00:00 UTC, whatever the exchange's zone:
Yahoo labels an S&P 500 day `2018-01-02 00:00-05:00`, which is `05:00 UTC`; moving that to `2018-01-02
00:00 UTC` keeps the calendar date, so two markets' daily bars (a strategy and its benchmark) line up.
Intraday bars are converted to UTC as they are.

Aggregation: open = first, high = max, low = min, close = last, volume = sum. Weeks start on Monday and
months on the 1st, each labelled by its first calendar day (Yahoo's convention); periods with no bars are
dropped, not filled.

>>> import pandas as pd
>>> idx = pd.DatetimeIndex(["2024-01-05", "2024-01-08", "2024-01-09"], tz="UTC")  # Fri, Mon, Tue
>>> f = pd.DataFrame({"open": [1., 2, 3], "high": [5., 6, 4], "low": [.5, 1, 2], "close": [2., 3, 3.5],
...                   "volume": [10., 20, 30]}, index=idx)
>>> resample(f, "1wk")[["open", "close", "volume"]].to_dict("list")
{'open': [1.0, 2.0], 'close': [2.0, 3.5], 'volume': [10.0, 50.0]}
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from app.services.market_data.errors import UnsupportedInterval
from app.services.market_data.frames import INDEX_NAME, canonical

INTERVALS: tuple[str, ...] = ("1h", "1d", "1wk", "1mo")
_RANK = {name: rank for rank, name in enumerate(INTERVALS)}
_RULES = {"1h": "1h", "1d": "1D", "1wk": "W-MON", "1mo": "MS"}
# Nominal spacing, used to classify an upload's native interval and to judge gaps.
SPACING = {
    "1h": timedelta(hours=1),
    "1d": timedelta(days=1),
    "1wk": timedelta(weeks=1),
    "1mo": timedelta(days=30),
}


def reachable_intervals(native: str) -> list[str]:
    """The intervals bars of ``native`` spacing can be served at: itself and every coarser one
    (daily bars give 1d, 1wk and 1mo; they cannot give 1h).

    >>> reachable_intervals("1d")
    ['1d', '1wk', '1mo']
    """
    rank = _RANK.get(native)
    return [] if rank is None else [name for name in INTERVALS if _RANK[name] >= rank]


_AGG = {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}


def check_interval(interval: str) -> str:
    if interval not in _RANK:
        raise UnsupportedInterval(interval, f"use one of {', '.join(INTERVALS)}")
    return interval


def is_daily_or_coarser(interval: str) -> bool:
    return _RANK[interval] >= _RANK["1d"]


def can_make(target: str, native: str) -> bool:
    """True when `target` bars can be aggregated from `native` bars (same or coarser)."""
    return _RANK[target] >= _RANK[native]


def normalise_index(frame: pd.DataFrame, interval: str, *, naive_tz: str = "UTC") -> pd.DataFrame:
    """Give the frame a UTC index per the rules above; naive timestamps are read in `naive_tz`."""
    index = pd.DatetimeIndex(frame.index)
    if index.tz is None:
        index = index.tz_localize(naive_tz)
    if is_daily_or_coarser(interval):
        # Keep the local session date: drop the zone, take the date, call it UTC midnight.
        index = index.tz_localize(None).normalize().tz_localize("UTC")
    else:
        index = index.tz_convert("UTC")
    out = frame.copy()
    out.index = index.as_unit("ns").rename(INDEX_NAME)
    return out


def classify_spacing(index: pd.DatetimeIndex) -> str | None:
    """The interval whose spacing matches the median gap between bars, or None if finer than an hour."""
    if len(index) < 2:
        return "1d"
    median = pd.Series(index).diff().dropna().median()
    if median < SPACING["1h"]:
        return None
    if median < timedelta(hours=20):
        return "1h"
    if median <= timedelta(days=4):
        return "1d"
    if median <= timedelta(days=10):
        return "1wk"
    return "1mo"


def resample(frame: pd.DataFrame, interval: str, *, source_interval: str = "1d") -> pd.DataFrame:
    """Aggregate canonical `frame` to `interval`; a no-op when the interval is the source's own."""
    check_interval(interval)
    if interval == source_interval:
        return frame
    if not can_make(interval, source_interval):
        raise UnsupportedInterval(interval, f"cannot be made from {source_interval} bars (only coarser)")
    return aggregate(frame, interval)


def aggregate(frame: pd.DataFrame, interval: str) -> pd.DataFrame:
    """Aggregate canonical bars of any finer spacing to `interval`, without checking the source spacing."""
    # closed/label left: a bin [Mon, next Mon) is labelled by the Monday it opens, not the one closing it.
    grouped = frame.resample(_RULES[interval], label="left", closed="left")
    out = grouped.agg(_AGG)
    counts = grouped["close"].count()
    out = out[counts > 0]
    return canonical(out)
