"""The bundled real data through the whole load path, checked against the file read directly with pandas."""

from __future__ import annotations

import hashlib
import os
import stat
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from app.core.errors import InvalidInput
from app.services.market_data import (
    DataUnavailable,
    MarketData,
    NotEnoughBars,
    UnknownSymbol,
    UnsupportedInterval,
)

DATASETS = Path(__file__).resolve().parents[3] / "app" / "datasets"


def raw_spx() -> pd.DataFrame:
    raw = pd.read_csv(DATASETS / "SPX.csv.gz")
    raw.index = pd.to_datetime(raw.pop("date")).dt.tz_localize("UTC")
    return raw


def test_bundled_files_are_small_and_real() -> None:
    total = sum(p.stat().st_size for p in DATASETS.iterdir())
    assert total < 2_000_000
    raw = raw_spx()
    assert len(raw) == 5031
    # The S&P 500 closed 2018 at 2506.85 and opened 1999 near 1229 (public record).
    assert raw["close"].iloc[-1] == pytest.approx(2506.85, abs=0.01)
    assert raw.index[0] == pd.Timestamp("1999-01-04", tz="UTC")


async def test_load_matches_the_file_and_is_canonical(md: MarketData) -> None:
    bars = await md.load("SPX", "1d", date(2010, 1, 4), date(2012, 12, 31), None)
    raw = raw_spx()
    expected = raw[(raw.index >= "2010-01-04") & (raw.index <= "2012-12-31")]
    frame = bars.frame
    assert list(frame.columns) == ["open", "high", "low", "close", "volume"]
    assert all(frame[c].dtype == np.float64 for c in frame.columns)
    assert str(frame.index.tz) == "UTC" and frame.index.name == "timestamp"
    assert frame.index.is_monotonic_increasing and frame.index.is_unique
    # Inclusive at both ends: both dates are trading days.
    assert frame.index[0] == pd.Timestamp("2010-01-04", tz="UTC")
    assert frame.index[-1] == pd.Timestamp("2012-12-31", tz="UTC")
    np.testing.assert_array_equal(frame.index.asi8, pd.DatetimeIndex(expected.index).as_unit("ns").asi8)
    np.testing.assert_allclose(frame.to_numpy(), expected[list(frame.columns)].to_numpy())
    assert bars.source == "bundled:SPX"


async def test_parquet_file_is_the_frame_named_by_its_hash(md: MarketData, md_dir: Path) -> None:
    bars = await md.load("SPX", "1d", date(2015, 1, 1), date(2015, 12, 31), None)
    path = bars.parquet_path
    assert path.is_relative_to(md_dir / "market")
    assert path.name == f"{bars.content_hash}.parquet"
    assert not os.stat(path).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    back = pq.read_table(path).to_pandas()
    pd.testing.assert_frame_equal(back, bars.frame, check_freq=False)
    # The hash is sha256 of the int64 timestamps then each named float64 column.
    digest = hashlib.sha256(back.index.as_unit("ns").asi8.astype("<i8").tobytes())
    for column in ["open", "high", "low", "close", "volume"]:
        digest.update(column.encode())
        digest.update(back[column].to_numpy().astype("<f8").tobytes())
    assert digest.hexdigest() == bars.content_hash


async def test_aliases_give_the_same_bars_and_the_cache_counts_hits(md: MarketData) -> None:
    a = await md.load("SPX", "1d", date(2016, 1, 1), date(2016, 6, 30), None)
    assert (md.stats.hits, md.stats.misses, len(md.stats.fetches)) == (0, 1, 1)
    b = await md.load("^gspc", "1d", date(2016, 1, 1), date(2016, 6, 30), None)
    c = await md.load("SP500", "1d", date(2001, 1, 1), date(2001, 12, 31), None)
    assert a.content_hash == b.content_hash
    assert len(c.frame) > 200
    # The bundled series was read once, whole; every later range is a hit.
    assert (md.stats.hits, md.stats.misses, len(md.stats.fetches)) == (2, 1, 1)
    ixic = await md.load("NASDAQ", "1d", date(2016, 1, 1), date(2016, 6, 30), None)
    assert ixic.source == "bundled:IXIC"


async def test_gaps_are_reported_not_filled(md: MarketData) -> None:
    bars = await md.load("SPX", "1d", date(2001, 9, 1), date(2001, 9, 30), None)
    # Markets closed 2001-09-11..14: a note names the gap, and no bar was invented.
    assert any("2001-09-10 to 2001-09-17" in n for n in bars.notes)
    assert not ((bars.frame.index > "2001-09-10") & (bars.frame.index < "2001-09-17")).any()


async def test_unknown_symbol_offline_lists_symbols_and_how_to_upload(md: MarketData) -> None:
    with pytest.raises(UnknownSymbol) as err:
        await md.load("AAPL", "1d", date(2015, 1, 1), date(2015, 12, 31), "usr_a")
    msg = err.value.message
    assert "AAPL" in msg and "offline" in msg and "SPX" in msg and "IXIC" in msg
    assert "POST /data/upload" in msg
    assert err.value.status_code == 404


async def test_bare_crypto_offline_is_unknown_without_network(md: MarketData) -> None:
    with pytest.raises(UnknownSymbol, match="BTC"):
        await md.load("BTC", "1d", date(2021, 1, 1), date(2021, 12, 31), None)


async def test_range_without_bars_fails_naming_the_provider(md: MarketData) -> None:
    with pytest.raises(DataUnavailable, match="bundled") as err:
        await md.load("SPX", "1d", date(2020, 1, 1), date(2020, 12, 31), None)
    assert err.value.status_code == 503


async def test_bad_arguments(md: MarketData) -> None:
    with pytest.raises(InvalidInput):
        await md.load("SPX", "1d", date(2016, 2, 1), date(2016, 1, 1), None)
    with pytest.raises(UnsupportedInterval, match="5m"):
        await md.load("SPX", "5m", date(2016, 1, 1), date(2016, 2, 1), None)
    with pytest.raises(UnsupportedInterval, match="1h"):
        await md.load("SPX", "1h", date(2016, 1, 1), date(2016, 2, 1), None)
    with pytest.raises(InvalidInput, match="Invalid symbol"):
        await md.load("../etc/passwd", "1d", date(2016, 1, 1), date(2016, 2, 1), None)


async def test_not_enough_bars_names_window_and_count(md: MarketData) -> None:
    bars = await md.load("SPX", "1d", date(2016, 1, 1), date(2016, 1, 31), None)
    assert len(bars.frame) == 19
    bars.check_enough(18)
    with pytest.raises(NotEnoughBars) as err:
        bars.check_enough(50)
    assert "19 bars" in err.value.message and "(50)" in err.value.message
    assert (err.value.window, err.value.bars) == (50, 19)


async def test_weekly_and_monthly_match_an_independent_aggregation(md: MarketData) -> None:
    start, end = date(2017, 1, 1), date(2018, 12, 31)
    raw = raw_spx()
    daily = raw[(raw.index >= "2017-01-01") & (raw.index <= "2018-12-31")]
    for interval, period in (("1wk", "W-SUN"), ("1mo", "M")):
        bars = await md.load("SPX", interval, start, end, None)
        keys = daily.index.tz_localize(None).to_period(period)
        g = daily.groupby(keys)
        expected = pd.DataFrame(
            {
                "open": g["open"].first(),
                "high": g["high"].max(),
                "low": g["low"].min(),
                "close": g["close"].last(),
                "volume": g["volume"].sum(),
            }
        )
        labels = pd.DatetimeIndex([p.start_time for p in expected.index]).tz_localize("UTC")
        np.testing.assert_array_equal(bars.frame.index.asi8, labels.as_unit("ns").asi8)
        np.testing.assert_allclose(bars.frame.to_numpy(), expected.to_numpy())
        assert any("aggregated from 1d" in n for n in bars.notes)
    # Weeks are labelled by their Monday.
    weekly = await md.load("SPX", "1wk", start, end, None)
    assert set(weekly.frame.index.day_of_week) == {0}


async def test_symbols_listing(md: MarketData) -> None:
    infos = {i.symbol: i for i in await md.list_symbols(None)}
    assert infos["SPX"].bars == 5031 and infos["SPX"].start == date(1999, 1, 4)
    assert infos["SPX"].end == date(2018, 12, 31) and infos["SPX"].provider == "bundled"
    assert "^GSPC" in infos["SPX"].aliases and "SPY" not in infos["SPX"].aliases
