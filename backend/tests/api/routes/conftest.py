"""Route tests' own set-up, beside the session's app and `client` (tests/conftest.py): `data_client`, the
`/data` routes on a small app of their own with a real `MarketData` (its own data directory and SQLite file,
small upload limits); only the signed-in user is faked (header `X-Test-User`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

import app.models  # noqa: F401  (every table, for create_all)
from app.api.deps import get_current_user
from app.api.errors import add_exception_handlers
from app.api.routes.data import router
from app.models.user import User
from app.services.market_data import MarketData
from tests.utils.uploads import ALICE


@pytest.fixture
async def small_md(tmp_path: Path) -> AsyncIterator[MarketData]:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'md.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
    sessions = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
    yield MarketData(tmp_path / "data", sessions, max_upload_bytes=200_000, max_upload_rows=1_000)
    await engine.dispose()


@pytest.fixture
async def data_client(small_md: MarketData) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    add_exception_handlers(app)
    app.include_router(router)
    app.state.market_data = small_md

    def fake_user(request: Request) -> User:
        uid = request.headers.get("X-Test-User", ALICE)
        return User(id=uid, username=uid, hashed_password="-")

    app.dependency_overrides[get_current_user] = fake_user
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        yield http
