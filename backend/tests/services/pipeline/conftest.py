"""The typed steps on real parts: the bundled market data (its cache on a temporary SQLite file), the
session's warm sandbox pool, memory switched off (the agents' tests run mem0), and an event recorder."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

import app.models  # noqa: F401  (the tables market data keeps its cache in)
from app.models.params import ExecutionParams
from app.models.status import ExecutionStatus, Milestone
from app.services.language import GraphLimits
from app.services.market_data import MarketData
from app.services.memory import MemoryService
from app.services.pipeline import Job, RunContext
from app.services.sandbox import SandboxPool

PARAMS = ExecutionParams(symbols=["SPX"], start_date=date(2015, 1, 1), end_date=date(2016, 12, 31))
MA_CROSS = {
    "nodes": [
        {"id": "e1", "type": "entry_condition", "meta": {"rules": ["SMA(10) crosses above SMA(30)"]}},
        {"id": "x1", "type": "exit_condition", "meta": {"rules": ["SMA(10) crosses below SMA(30)"]}},
        {"id": "sl", "type": "stop_loss", "meta": {"stop_pct": 5}},
    ]
}


class Recorder:
    """The run's event log, kept in memory: (status or "log", message, milestone)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, Milestone | None]] = []

    async def stage(self, status: ExecutionStatus, message: str) -> None:
        self.events.append((status, message, None))

    async def log(self, message: str, milestone: Milestone | None = None) -> None:
        self.events.append(("log", message, milestone))

    def messages(self) -> list[str]:
        return [message for _, message, _ in self.events]


def job(graph: dict[str, Any] = MA_CROSS, edited_code: str | None = None, **params: Any) -> Job:
    return Job(
        "exec_step",
        "user_step",
        "strat_step",
        "MA cross",
        graph,
        PARAMS.model_copy(update=params),
        edited_code,
    )


@pytest.fixture(scope="module")
async def market(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[MarketData]:
    folder = tmp_path_factory.mktemp("steps-market")
    engine = create_async_engine(f"sqlite+aiosqlite:///{folder / 'md.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
    yield MarketData(folder, async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False))
    await engine.dispose()


@pytest.fixture
def make_ctx(market: MarketData, tmp_path: Path) -> Any:
    def make(sandbox: SandboxPool | None = None, **overrides: Any) -> RunContext:
        values: dict[str, Any] = {
            "events": Recorder(),
            "cancel": asyncio.Event(),
            "market_data": market,
            "sandbox": sandbox,
            "memory": MemoryService(enabled=False, data_dir=tmp_path),
            "limits": GraphLimits(max_nodes=200, max_rules_per_node=50),
            "similar_k": 3,
            "repair_attempts": 2,
            "summary": False,
        }
        values.update(overrides)
        return RunContext(**values)

    return make
