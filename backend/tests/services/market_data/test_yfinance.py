"""yfinance through its real code, with Yahoo's HTTP answers replayed (see yahoo_replay.py)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import requests

from app.services.market_data import DataUnavailable, MarketData, UnknownSymbol
from app.services.market_data.providers import BundledProvider
from tests.services.market_data.conftest import SessionFactory
from tests.services.market_data.test_bundled import raw_spx
from tests.services.market_data.yahoo_replay import YahooReplay


def ny_midnight(day: str) -> int:
    return int(pd.Timestamp(day, tz="America/New_York").timestamp())


def expected_spx(start: str, end: str) -> pd.DataFrame:
    raw = raw_spx()
    return raw[(raw.index >= start) & (raw.index <= end)]


def assert_same_bars(frame: pd.DataFrame, expected: pd.DataFrame) -> None:
    np.testing.assert_array_equal(frame.index.asi8, pd.DatetimeIndex(expected.index).as_unit("ns").asi8)
    np.testing.assert_allclose(
        frame[["open", "high", "low", "close", "volume"]].to_numpy(),
        expected[["open", "high", "low", "close", "volume"]].to_numpy(),
        rtol=1e-9,
    )


async def test_daily_bars_land_on_utc_midnight_of_the_session_date(
    online_md: MarketData, yahoo: YahooReplay
) -> None:
    bars = await online_md.load("^GSPC", "1d", date(2018, 2, 1), date(2018, 3, 30), None)
    assert bars.source == "yfinance:^GSPC"
    # Yahoo stamps each day 09:30 New York; the bars keep the date, at 00:00 UTC, like the bundled set.
    assert_same_bars(bars.frame, expected_spx("2018-02-01", "2018-03-30"))
    [req] = yahoo.history_requests("^GSPC")
    assert req.params["interval"] == "1d"
    assert int(req.params["period1"]) == ny_midnight("2018-02-01")
    assert int(req.params["period2"]) == ny_midnight("2018-03-31")  # Yahoo's end is exclusive


async def test_same_range_is_never_downloaded_twice(online_md: MarketData, yahoo: YahooReplay) -> None:
    first = await online_md.load("^GSPC", "1d", date(2018, 2, 1), date(2018, 3, 30), None)
    again = await online_md.load("^GSPC", "1d", date(2018, 2, 1), date(2018, 3, 30), None)
    inner = await online_md.load("^GSPC", "1wk", date(2018, 2, 5), date(2018, 3, 2), None)
    assert len(yahoo.history_requests("^GSPC")) == 1
    assert (online_md.stats.hits, online_md.stats.misses) == (2, 1)
    assert again.content_hash == first.content_hash and len(inner.frame) == 4


async def test_overlapping_range_downloads_only_the_missing_part(
    online_md: MarketData, yahoo: YahooReplay
) -> None:
    await online_md.load("^GSPC", "1d", date(2018, 2, 1), date(2018, 3, 30), None)
    bars = await online_md.load("^GSPC", "1d", date(2018, 1, 15), date(2018, 4, 30), None)
    requests_made = yahoo.history_requests("^GSPC")
    assert len(requests_made) == 3
    spans = sorted((int(r.params["period1"]), int(r.params["period2"])) for r in requests_made[1:])
    assert spans == [
        (ny_midnight("2018-01-15"), ny_midnight("2018-02-01")),
        (ny_midnight("2018-03-31"), ny_midnight("2018-05-01")),
    ]
    assert_same_bars(bars.frame, expected_spx("2018-01-15", "2018-04-30"))
    assert [(f.start, f.end) for f in online_md.stats.fetches[1:]] == [
        (date(2018, 1, 15), date(2018, 1, 31)),
        (date(2018, 3, 31), date(2018, 4, 30)),
    ]


async def test_a_gap_without_bars_is_remembered(online_md: MarketData, yahoo: YahooReplay) -> None:
    await online_md.load("^GSPC", "1d", date(2018, 1, 8), date(2018, 1, 12), None)
    # 13 and 14 January 2018 are a weekend: Yahoo answers with no bars; the cache records that.
    week = await online_md.load("^GSPC", "1d", date(2018, 1, 8), date(2018, 1, 14), None)
    await online_md.load("^GSPC", "1d", date(2018, 1, 8), date(2018, 1, 14), None)
    assert len(week.frame) == 5
    assert len(yahoo.history_requests("^GSPC")) == 2


async def test_cached_data_reproduces_offline(
    online_md: MarketData, md_dir: Path, session_factory: SessionFactory, no_bundles: BundledProvider
) -> None:
    online = await online_md.load("^GSPC", "1d", date(2018, 2, 1), date(2018, 3, 30), None)
    offline = MarketData(md_dir, session_factory, offline=True, bundled=no_bundles)
    again = await offline.load("^GSPC", "1d", date(2018, 2, 1), date(2018, 3, 30), None)
    assert again.content_hash == online.content_hash and again.source == "yfinance:^GSPC"
    with pytest.raises(DataUnavailable, match="offline") as err:
        await offline.load("^GSPC", "1d", date(2018, 1, 1), date(2018, 3, 30), None)
    assert "2018-01-01..2018-01-31" in err.value.message
    infos = {i.symbol: i for i in await offline.list_symbols(None)}
    assert infos["^GSPC"].bars == len(online.frame) and infos["^GSPC"].provider == "yfinance (cached)"
    with pytest.raises(UnknownSymbol):
        await offline.load("MSFT", "1d", date(2018, 1, 1), date(2018, 3, 30), None)


async def test_bare_btc_asks_yahoo_for_btc_usd_and_fails_clearly(
    online_md: MarketData, yahoo: YahooReplay
) -> None:
    with pytest.raises(DataUnavailable, match="yfinance") as err:
        await online_md.load("BTC", "1d", date(2021, 1, 1), date(2021, 3, 31), None)
    assert err.value.fields["symbol"] == "BTC-USD"
    assert {r.symbol for r in yahoo.seen} == {"BTC-USD"}
    # Nothing is cached for a symbol that had no bars: the next try asks again.
    assert await online_md.cache.segments("yfinance") == []


async def test_range_without_bars_is_a_failure_not_an_empty_frame(online_md: MarketData) -> None:
    with pytest.raises(DataUnavailable, match="yfinance"):
        await online_md.load("^GSPC", "1d", date(2016, 1, 1), date(2016, 3, 31), None)


async def test_timeout_names_the_provider(online_md: MarketData, yahoo: YahooReplay) -> None:
    yahoo.fail_with = requests.exceptions.ReadTimeout("read timed out")
    with pytest.raises(DataUnavailable, match=r"yfinance.*timed out"):
        await online_md.load("^GSPC", "1d", date(2018, 2, 1), date(2018, 3, 30), None)
    yahoo.fail_with = requests.exceptions.ConnectionError("connection reset")
    with pytest.raises(DataUnavailable, match="ConnectionError"):
        await online_md.load("^GSPC", "1d", date(2018, 2, 1), date(2018, 3, 30), None)
    assert await online_md.cache.segments("yfinance") == []
