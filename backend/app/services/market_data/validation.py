"""Checks every frame before a run: repair what is safe (and say so), refuse the rest naming the rows.

| problem | what happens |
|---|---|
| unsorted index | sorted; note |
| duplicated timestamp, identical rows | extra copies dropped; note |
| duplicated timestamp, differing rows | refused: which one is right is unknowable |
| bar with no prices at all (NaN open, high, low, close) | dropped (a holiday placeholder); note |
| some prices missing in a bar | refused |
| missing volume | set to 0; note |
| price <= 0, negative volume | refused |
| high < low | refused |
| open/close outside [low, high] by at most 0.01 % | high/low widened to include them (rounding); note |
| open/close outside [low, high] by more | refused |
| missing bars (a gap far above the interval's spacing) | reported in a note, never filled |
| zero-volume stretch of 5+ bars in a series that has volume | reported in a note |

>>> import pandas as pd
>>> idx = pd.DatetimeIndex(["2020-01-02", "2020-01-03"], tz="UTC", name="timestamp")
>>> f = pd.DataFrame({"open": [10.0, 10.0], "high": [11.0, 10.5], "low": [9.0, 9.5],
...                   "close": [10.5, 10.5000001], "volume": [100.0, 100.0]}, index=idx)
>>> fixed, notes = validate(f, "1d")
>>> float(fixed["high"].iloc[1]), notes
(10.5000001, ['1 bar had open/close beyond high/low by rounding (<= 0.01%); high/low widened: 2020-01-03'])
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

from app.services.market_data.errors import BadMarketData
from app.services.market_data.frames import PRICE_COLUMNS
from app.services.market_data.resample import SPACING

ROUNDING_TOLERANCE = 1e-4
ZERO_VOLUME_STRETCH = 5
# A gap is "missing bars" beyond normal closures: long weekends and holidays for daily bars, the
# overnight and weekend break for hourly bars.
GAP_LIMIT = {
    "1h": timedelta(days=4),
    "1d": timedelta(days=6),
    "1wk": timedelta(days=15),
    "1mo": timedelta(days=62),
}
_SHOW = 5


def _stamp(ts: pd.Timestamp) -> str:
    if ts.hour == 0 and ts.minute == 0 and ts.second == 0:
        return ts.strftime("%Y-%m-%d")
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def _stamps(index: pd.Index) -> list[str]:
    return [_stamp(ts) for ts in index]


def _listed(index: pd.Index) -> str:
    shown = ", ".join(_stamps(index[:_SHOW]))
    return shown + (f" and {len(index) - _SHOW} more" if len(index) > _SHOW else "")


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def validate(
    frame: pd.DataFrame, interval: str, *, symbol: str | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """Return the repaired frame and the notes on what was repaired or is worth knowing."""
    notes: list[str] = []
    out = frame
    if not out.index.is_monotonic_increasing:
        out = out.sort_index(kind="stable")
        notes.append("bars were out of order; sorted by timestamp")
    out, dup_notes = _dedupe(out, symbol)
    notes += dup_notes
    out, nan_notes = _missing_values(out, symbol)
    notes += nan_notes
    _refuse(out, symbol)
    out, range_notes = _repair_ranges(out, symbol)
    notes += range_notes
    notes += _gaps(out, interval) + _zero_volume(out)
    return out, notes


def _dedupe(frame: pd.DataFrame, symbol: str | None) -> tuple[pd.DataFrame, list[str]]:
    dup = frame.index.duplicated(keep=False)
    if not dup.any():
        return frame, []
    block = frame[dup]
    # Copies that agree on every value are harmless; copies that differ are a conflict.
    distinct = block.reset_index().drop_duplicates()
    conflicting = distinct[distinct.duplicated(subset=[block.index.name or "index"], keep=False)]
    if len(conflicting):
        stamps = pd.DatetimeIndex(conflicting.iloc[:, 0]).unique()
        raise BadMarketData(_stamps(stamps), "duplicated timestamps with different values", symbol=symbol)
    extra = frame.index.duplicated(keep="first")
    stamps = frame.index[extra].unique()
    note = f"{_plural(int(extra.sum()), 'duplicated bar')} (identical copies) dropped: {_listed(stamps)}"
    return frame[~extra], [note]


def _missing_values(frame: pd.DataFrame, symbol: str | None) -> tuple[pd.DataFrame, list[str]]:
    notes: list[str] = []
    prices = frame[list(PRICE_COLUMNS)]
    all_missing = prices.isna().all(axis=1).to_numpy()
    some_missing = prices.isna().any(axis=1).to_numpy() & ~all_missing
    if some_missing.any():
        raise BadMarketData(
            _stamps(frame.index[some_missing]), "bars with some prices missing (NaN)", symbol=symbol
        )
    out = frame
    if all_missing.any():
        notes.append(
            f"{_plural(int(all_missing.sum()), 'bar')} without any price dropped (no trading): "
            f"{_listed(frame.index[all_missing])}"
        )
        out = out[~all_missing]
    no_volume = out["volume"].isna().to_numpy()
    if no_volume.any():
        out = out.copy()
        out.loc[no_volume, "volume"] = 0.0
        notes.append(f"{_plural(int(no_volume.sum()), 'bar')} without volume set to volume 0")
    return out, notes


def _refuse(frame: pd.DataFrame, symbol: str | None) -> None:
    prices = frame[list(PRICE_COLUMNS)].to_numpy()
    non_positive = (prices <= 0).any(axis=1)
    if non_positive.any():
        raise BadMarketData(_stamps(frame.index[non_positive]), "non-positive prices", symbol=symbol)
    negative_volume = (frame["volume"] < 0).to_numpy()
    if negative_volume.any():
        raise BadMarketData(_stamps(frame.index[negative_volume]), "negative volume", symbol=symbol)
    if not np.isfinite(prices).all() or not np.isfinite(frame["volume"].to_numpy()).all():
        bad = ~np.isfinite(frame[[*PRICE_COLUMNS, "volume"]].to_numpy()).all(axis=1)
        raise BadMarketData(_stamps(frame.index[bad]), "infinite values", symbol=symbol)
    inverted = (frame["high"] < frame["low"]).to_numpy()
    if inverted.any():
        raise BadMarketData(_stamps(frame.index[inverted]), "high below low", symbol=symbol)


def _repair_ranges(frame: pd.DataFrame, symbol: str | None) -> tuple[pd.DataFrame, list[str]]:
    body_high = np.maximum(frame["open"].to_numpy(), frame["close"].to_numpy())
    body_low = np.minimum(frame["open"].to_numpy(), frame["close"].to_numpy())
    high = frame["high"].to_numpy()
    low = frame["low"].to_numpy()
    above = body_high > high
    below = body_low < low
    outside = above | below
    if not outside.any():
        return frame, []
    excess = np.maximum(body_high / high - 1.0, 1.0 - body_low / low)
    beyond = outside & (excess > ROUNDING_TOLERANCE)
    if beyond.any():
        raise BadMarketData(
            _stamps(frame.index[beyond]),
            "open or close outside [low, high] by more than rounding",
            symbol=symbol,
        )
    out = frame.copy()
    out["high"] = np.maximum(high, body_high)
    out["low"] = np.minimum(low, body_low)
    note = (
        f"{_plural(int(outside.sum()), 'bar')} had open/close beyond high/low by rounding "
        f"(<= {ROUNDING_TOLERANCE:.2%}); high/low widened: {_listed(frame.index[outside])}"
    )
    return out, [note]


def _gaps(frame: pd.DataFrame, interval: str) -> list[str]:
    if len(frame) < 2:
        return []
    limit = GAP_LIMIT.get(interval, SPACING.get(interval, timedelta(days=1)) * 4)
    diffs = np.diff(pd.DatetimeIndex(frame.index).as_unit("ns").asi8)
    big = np.nonzero(diffs > int(limit.total_seconds() * 1e9))[0]
    if not len(big):
        return []
    spans = [f"{_stamp(frame.index[i])} to {_stamp(frame.index[i + 1])}" for i in big[:_SHOW]]
    more = f" and {len(big) - _SHOW} more" if len(big) > _SHOW else ""
    return [
        f"{_plural(len(big), 'gap')} longer than {limit.days} days (missing bars, not filled): "
        + "; ".join(spans)
        + more
    ]


def _zero_volume(frame: pd.DataFrame) -> list[str]:
    zero = (frame["volume"] == 0).to_numpy()
    if not zero.any():
        return []
    if zero.all():
        return [
            "volume is 0 on every bar (usual for indices and FX): volume-based indicators are meaningless"
        ]
    # Lengths of runs of consecutive zero-volume bars.
    edges = np.diff(np.concatenate(([0], zero.astype(np.int8), [0])))
    starts = np.nonzero(edges == 1)[0]
    ends = np.nonzero(edges == -1)[0]
    long = [(s, e) for s, e in zip(starts, ends, strict=True) if e - s >= ZERO_VOLUME_STRETCH]
    if not long:
        return []
    spans = [
        f"{_stamp(frame.index[s])} to {_stamp(frame.index[e - 1])} ({e - s} bars)" for s, e in long[:_SHOW]
    ]
    return [f"{_plural(len(long), 'stretch', 'stretches')} of zero volume (stale data?): " + "; ".join(spans)]
