from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, field_serializer
from sqlmodel import Field, SQLModel

from app.models._types import JSONType, as_utc, tz_datetime, utcnow


class BacktestRun(SQLModel, table=True):
    __tablename__ = "backtest_runs"

    id: str = Field(primary_key=True, max_length=40)
    execution_id: str = Field(foreign_key="strategy_executions.id", index=True, unique=True, max_length=40)
    strategy_id: str = Field(foreign_key="strategies.id", index=True, max_length=40)
    user_id: str = Field(foreign_key="users.id", index=True, max_length=40)
    metrics: dict[str, Any] = Field(sa_column=sa.Column(JSONType, nullable=False))
    equity_series: list[Any] = Field(sa_column=sa.Column(JSONType, nullable=False))
    benchmark_series: list[Any] = Field(sa_column=sa.Column(JSONType, nullable=False))
    drawdown_series: list[Any] = Field(sa_column=sa.Column(JSONType, nullable=False))
    trades: list[Any] = Field(sa_column=sa.Column(JSONType, nullable=False))
    full_series: dict[str, Any] = Field(
        default_factory=dict, sa_column=sa.Column(JSONType, nullable=False)
    )  # full-resolution equity/benchmark for CSV export
    bundle: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(JSONType, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_datetime(nullable=False))


class BacktestRunPublic(BaseModel):
    id: str
    strategy_id: str
    execution_id: str
    metrics: dict[str, Any]
    equity_series: list[Any]
    benchmark_series: list[Any]
    drawdown_series: list[Any]
    trades: list[Any]
    created_at: datetime

    @field_serializer("created_at")
    def _utc(self, value: datetime) -> datetime:
        return as_utc(value)
