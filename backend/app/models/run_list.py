"""API shapes of the run list (`GET /executions`): one line per execution with what a user scans for."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, field_serializer

from app.models._types import as_utc
from app.models.execution import ExecutionKind, ExecutionStatus

# The metrics a run list shows; the full set is in the run's results.
HEADLINE_METRICS = (
    "total_return", "cagr", "sharpe_ratio", "max_drawdown", "win_rate", "trades", "vs_benchmark"
)  # fmt: skip


MAX_RUN_PAGE = 200  # most runs in one page of the list


class HeadlineMetrics(BaseModel):
    """Percent convention as everywhere: 25.5 means 25.5 %; `vs_benchmark` is in percentage points."""

    total_return: float | None = None
    cagr: float | None = None
    sharpe_ratio: float | None = None
    max_drawdown: float | None = None
    win_rate: float | None = None
    trades: int | None = None
    vs_benchmark: float | None = None


class RunSummary(BaseModel):
    id: str
    strategy_id: str
    strategy_name: str
    status: ExecutionStatus
    kind: ExecutionKind
    symbols: list[str]
    timeframe: str | None
    start_date: str | None
    end_date: str | None
    edited_code: bool = Field(description="True when edited code ran instead of the generated code.")
    backtest_run_id: str | None
    error_message: str | None
    metrics: HeadlineMetrics | None = Field(description="Headline metrics of a completed run, else None.")
    created_at: datetime
    completed_at: datetime | None

    @field_serializer("created_at")
    def _created_utc(self, value: datetime) -> datetime:
        return as_utc(value)

    @field_serializer("completed_at")
    def _utc(self, value: datetime | None) -> datetime | None:
        return as_utc(value)


class RunPage(BaseModel):
    items: list[RunSummary]
    total: int = Field(description="Runs matching the filters, over all pages.")
    limit: int
    offset: int


class ReportLink(BaseModel):
    path: str = Field(description="`/reports/<signed token>`, relative to this server.")
    url: str = Field(description="The same, absolute, as this request reached the server.")
    expires_at: datetime
