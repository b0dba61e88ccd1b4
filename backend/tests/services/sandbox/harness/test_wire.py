"""The bars wire format (what crosses into a run): exact round trips, and clear refusals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from app.services.sandbox.harness.wire import decode_bars, encode_bars


def _bars(index: pd.DatetimeIndex) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    close = 100 + rng.normal(0, 1, len(index)).cumsum()
    return pd.DataFrame(
        {
            "open": close - 0.5,
            "high": close + 1,
            "low": close - 1,
            "close": close,
            "volume": rng.integers(1, 10**6, len(index)),  # int64 in, float64 out
            "extra": "ignored",
        },
        index=index,
    )


INDEXES = {
    "utc-us": pd.date_range("2020-01-01", periods=50, freq="D", tz="UTC", unit="us", name="timestamp"),
    "utc-ns": pd.date_range("2020-01-01", periods=50, freq="D", tz="UTC", unit="ns"),
    "naive-hourly": pd.date_range("2021-03-01 09:30", periods=50, freq="h"),
    "new-york": pd.date_range("2021-03-10", periods=50, freq="D", tz="America/New_York"),  # across DST
}


@pytest.mark.parametrize("kind", sorted(INDEXES))
def test_bars_round_trip_exactly(kind: str) -> None:
    frame = _bars(INDEXES[kind])
    frame.iloc[3, 0] = np.nan  # a gap in the open survives as NaN
    decoded = decode_bars(encode_bars(frame))
    expected = frame.rename(columns=str.capitalize)[["Open", "High", "Low", "Close", "Volume"]]
    # No `freq`: the bars come from Parquet files, which do not keep it either.
    pd.testing.assert_frame_equal(decoded, expected.astype("float64"), check_freq=False)
    assert decoded.index.dtype == frame.index.dtype  # unit and zone as sent (numba compiles per dtype)
    decoded.iloc[0, 3] = -1.0  # scripts may write into their bars (np.frombuffer alone is read-only)
    assert decoded["Close"].iloc[0] == -1.0


def test_bars_missing_a_column_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match="no Volume column"):
        encode_bars(_bars(INDEXES["utc-ns"]).drop(columns="volume"))


def test_truncated_bars_are_refused() -> None:
    data = encode_bars(_bars(INDEXES["utc-ns"]))
    with pytest.raises(ValueError, match="truncated"):
        decode_bars(data[:-8])
