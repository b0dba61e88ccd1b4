"""The executor loads bars before start_date for the indicators' warm-up, and still runs when the provider
has none that early (Yahoo keeps about two years of hourly bars and refuses an earlier start)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

import app.models  # noqa: F401  (registers every table)
from app.services.market_data import MarketData
from app.services.market_data.providers import BundledProvider
from app.services.pipeline.execute import _load_with_history
from tests.agents.network_guard import install_network_guard
from tests.services.market_data.yahoo_replay import YahooReplay

install_network_guard()
CUTOFF = int(__import__("pandas").Timestamp("2018-01-01", tz="UTC").timestamp())


class RecentOnly(YahooReplay):
    """Answers like Yahoo for a start too far back: HTTP 422 'data not available for startTime'."""

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if "/v8/finance/chart/" in (request.url or "") and "period1=" in (request.url or ""):
            start = int((request.url or "").split("period1=")[1].split("&")[0])
            if start < CUTOFF:
                body = {"chart": {"result": None, "error": {
                    "code": "Unprocessable Entity",
                    "description": "1d data not available for startTime=1. The requested range must be "
                    "within the last 730 days.",
                }}}  # fmt: skip
                return self._json(request, 422, body)
        return super().send(request, **kwargs)


@pytest.fixture
async def market(tmp_path: Path) -> Any:  # yfinance through the Yahoo replay (the internet's double)
    from yfinance.data import YfData

    YfData.cache_get.cache_clear()
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'md.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
    folder = tmp_path / "no-bundles"
    folder.mkdir()
    (folder / "manifest.json").write_text("[]")
    replay = RecentOnly.with_fixtures()
    yield MarketData(
        tmp_path / "data",
        async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False),
        offline=False,
        yfinance_session=replay.session(),
        bundled=BundledProvider(folder),
        yfinance_timeout_s=2,
    )
    await engine.dispose()


async def test_no_earlier_bars_from_the_provider_still_runs_from_start_date(market: MarketData) -> None:
    from tests.services.pipeline.conftest import Recorder, job

    events = Recorder()
    ctx = SimpleNamespace(market_data=market, events=events)
    the_job = job(symbols=["^GSPC"], start_date=date(2018, 2, 1), end_date=date(2018, 6, 29))
    bars = await _load_with_history(the_job, "^GSPC", date(2017, 6, 1), ctx)  # type: ignore[arg-type]
    assert bars.frame.index[0].date() == date(2018, 2, 1)  # the window itself, without the warm-up bars
    assert any("no bars before 2018-02-01 for the warm-up" in line for line in events.messages())
    earlier = await _load_with_history(the_job, "^GSPC", date(2018, 1, 2), ctx)  # type: ignore[arg-type]
    assert earlier.frame.index[0].date() == date(2018, 1, 2)  # when the provider has them, they come
