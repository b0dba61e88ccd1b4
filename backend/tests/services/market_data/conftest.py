"""Market data fixtures: a fresh data directory and SQLite database per test, and no network.

yfinance's default transport is curl_cffi (libcurl in C, below Python's socket audit hook), so it is
blocked here as well: only a test-supplied replay session can answer yfinance.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

import app.models
import app.models.market_data  # noqa: F401
from app.services.market_data import MarketData
from app.services.market_data.providers import BundledProvider
from tests.agents.network_guard import NetworkAccessBlocked, _no_network_attempts, install_network_guard
from tests.services.market_data.yahoo_replay import YahooReplay

install_network_guard()
__all__ = ["_no_network_attempts"]

SessionFactory = async_sessionmaker[AsyncSession]


@pytest.fixture(autouse=True)
def _no_curl(monkeypatch: pytest.MonkeyPatch) -> None:
    from curl_cffi.requests import Session

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise NetworkAccessBlocked("curl_cffi request in a test")

    monkeypatch.setattr(Session, "request", refuse)


@pytest.fixture
def md_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'md.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
def session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


@pytest.fixture
def md(md_dir: Path, session_factory: SessionFactory) -> MarketData:
    return MarketData(md_dir, session_factory)


@pytest.fixture
def yahoo() -> YahooReplay:
    from yfinance.data import YfData

    # yfinance keeps past-range answers in a process-wide LRU cache; start each test without them.
    YfData.cache_get.cache_clear()
    return YahooReplay.with_fixtures()


@pytest.fixture
def no_bundles(tmp_path: Path) -> BundledProvider:
    """No bundled sets, so ^GSPC resolves to yfinance."""
    folder = tmp_path / "no-bundles"
    folder.mkdir()
    (folder / "manifest.json").write_text("[]")
    return BundledProvider(folder)


@pytest.fixture
def online_md(
    md_dir: Path, session_factory: SessionFactory, yahoo: YahooReplay, no_bundles: BundledProvider
) -> Iterator[MarketData]:
    yield MarketData(
        md_dir,
        session_factory,
        offline=False,
        yfinance_session=yahoo.session(),
        bundled=no_bundles,
        yfinance_timeout_s=2,
    )
