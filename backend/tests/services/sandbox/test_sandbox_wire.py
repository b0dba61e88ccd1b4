"""What crosses into a run and back out, checked against pandas and vectorbt's own readable records.

The bars wire format replaced a Parquet read in every child, and `extract` reads vectorbt's record arrays
instead of `records_readable`: both must give exactly what the slow, obvious code gives.
"""

from __future__ import annotations

import errno
import os
from typing import Any

import numpy as np
import pandas as pd
import pytest

from app.services.sandbox.bars import BarsCache, sealed_memfd
from app.services.sandbox.errors import SandboxUnavailable
from app.services.sandbox.harness.extract import extract
from app.services.sandbox.harness.timestamps import iso_times
from app.services.sandbox.harness.wire import decode_bars, encode_bars
from tests.services.sandbox.conftest import sp500_frame


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


def test_a_runs_data_memfd_cannot_be_changed() -> None:
    fd = sealed_memfd("bars-test", b"0123456789")
    try:
        for attempt in (
            lambda: os.write(fd, b"x"),
            lambda: os.ftruncate(fd, 0),
            lambda: os.ftruncate(fd, 99),
        ):
            with pytest.raises(PermissionError) as info:
                attempt()
            assert info.value.errno == errno.EPERM
        assert os.pread(fd, 100, 0) == b"0123456789"
    finally:
        os.close(fd)


async def test_bars_cache_encodes_a_file_again_when_it_changes(tmp_path: Any) -> None:
    path = tmp_path / "spx.parquet"
    frame = _bars(INDEXES["utc-us"])
    frame.to_parquet(path)
    cache = BarsCache(max_bytes=10**7)
    first = await cache.encoded("SPX", path)
    assert await cache.encoded("SPX", path) is first  # unchanged file: the same bytes, not read again
    # The market-data cache replaces a file atomically (a new inode), as done here.
    (frame.drop(columns="extra") * 2.0).to_parquet(tmp_path / "next.parquet")
    os.replace(tmp_path / "next.parquet", path)
    changed = decode_bars(await cache.encoded("SPX", path))
    assert changed["Close"].tolist() == (frame["close"] * 2.0).tolist()
    with pytest.raises(SandboxUnavailable, match="data file missing"):
        await cache.encoded("SPX", tmp_path / "gone.parquet")
    (tmp_path / "junk.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(SandboxUnavailable, match="data file for JUNK cannot be read"):
        await cache.encoded("JUNK", tmp_path / "junk.parquet")
    pd.DataFrame({"close": [1.0, 2.0]}).to_parquet(tmp_path / "no_ohlc.parquet")
    with pytest.raises(SandboxUnavailable, match="no Open, High, Low, Volume column"):
        await cache.encoded("BARE", tmp_path / "no_ohlc.parquet")


@pytest.mark.parametrize(
    "index",
    [
        *INDEXES.values(),
        pd.DatetimeIndex(["2020-01-01 00:00:00.25", "2020-01-02"], tz="UTC"),
        pd.RangeIndex(3),
    ],
    ids=[*sorted(INDEXES), "fractional-seconds", "integers"],
)
def test_iso_times_match_timestamp_isoformat(index: pd.Index) -> None:
    assert iso_times(index) == [pd.Timestamp(t).isoformat() for t in index]


def _readable(portfolio: Any, symbols: list[str]) -> list[dict[str, Any]]:
    """The trades as the harness used to build them, from `records_readable`."""
    out = []
    for row in portfolio.trades.records_readable.to_dict("records"):
        is_open = str(row["Status"]).lower() == "open"
        column = str(row["Column"])
        out.append(
            {
                "symbol": column if column in symbols or len(symbols) != 1 else symbols[0],
                "entry_time": pd.Timestamp(row["Entry Timestamp"]).isoformat(),
                "exit_time": None if is_open else pd.Timestamp(row["Exit Timestamp"]).isoformat(),
                "entry_price": float(row["Avg Entry Price"]),
                "exit_price": None if is_open else float(row["Avg Exit Price"]),
                "size": float(row["Size"]),
                "pnl": float(row["PnL"]),
                "return_pct": float(row["Return"]) * 100.0,
                "fees": float(row["Entry Fees"]) + float(row["Exit Fees"]),
                "status": "open" if is_open else "closed",
                "direction": str(row["Direction"]).lower(),
            }
        )
    return out


def _portfolios() -> dict[str, tuple[Any, list[str]]]:
    import vectorbt as vbt

    frame = sp500_frame().iloc[-1500:]
    close = frame["close"]
    fast, slow = close.rolling(10).mean(), close.rolling(40).mean()
    up, down = (fast > slow) & (fast.shift() <= slow.shift()), (fast < slow) & (fast.shift() >= slow.shift())
    both = pd.concat({"SPX": close, "HALF": close * 0.5}, axis=1)
    ma = both.rolling(30).mean()
    kwargs: dict[str, Any] = {"init_cash": 10_000, "fees": 0.001, "freq": "1D"}
    return {
        "long-with-stops": (
            vbt.Portfolio.from_signals(close, up, down, sl_stop=0.03, tp_stop=0.06, **kwargs),
            ["SPX"],
        ),
        "open-at-the-end": (vbt.Portfolio.from_signals(close, up, False, **kwargs), ["SPX"]),
        "short": (vbt.Portfolio.from_signals(close, down, up, direction="shortonly", **kwargs), ["SPX"]),
        "two-symbols-shared-cash": (
            vbt.Portfolio.from_signals(
                both, both > ma, both < ma, cash_sharing=True, group_by=True, size=0.5, size_type="percent",
                **kwargs,
            ),
            ["SPX", "HALF"],
        ),
    }  # fmt: skip


@pytest.mark.parametrize("case", ["long-with-stops", "open-at-the-end", "short", "two-symbols-shared-cash"])
def test_extract_matches_records_readable(case: str) -> None:
    portfolio, symbols = _portfolios()[case]
    entries = np.asarray(portfolio.orders.values["side"] == 0)
    out = extract({"portfolio": portfolio, "entries": entries}, symbols)

    expected = _readable(portfolio, symbols)
    assert expected, "each case must trade"
    assert out["trades"] == expected
    value = portfolio.value()
    if isinstance(value, pd.DataFrame):
        value = value.sum(axis=1)
    assert out["equity"] == [(pd.Timestamp(t).isoformat(), float(v)) for t, v in value.items()]
    assert out["signals"] == {"entries": int(entries.sum()), "exits": 0}
    if case == "open-at-the-end":
        assert out["trades"][-1]["status"] == "open" and out["trades"][-1]["exit_time"] is None
    if case == "short":
        assert {t["direction"] for t in out["trades"]} == {"short"}
