from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, field_serializer
from pydantic import Field as PField
from sqlmodel import Field, SQLModel

from app.models._types import JSONType, Published, as_utc, tz_datetime, utcnow
from app.models.insights import AgentInsights
from app.models.params import ExecutionParams
from app.models.status import (
    FINAL_STATUSES,
    NOT_FINAL_STATUSES,
    RUNNING_STATUSES,
    ExecutionStatus,
)


class ExecutionKind(StrEnum):
    """A backtest gives one result; a sweep (research) runs a grid of parameters as one execution."""

    backtest = "backtest"
    sweep = "sweep"


class StrategyExecution(SQLModel, table=True):
    __tablename__ = "strategy_executions"

    id: str = Field(primary_key=True, max_length=40)
    strategy_id: str = Field(foreign_key="strategies.id", index=True, max_length=40)
    user_id: str = Field(foreign_key="users.id", index=True, max_length=40)
    status: str = Field(default=ExecutionStatus.queued, index=True, max_length=20)
    kind: str = Field(
        default=ExecutionKind.backtest, max_length=16, sa_column_kwargs={"server_default": "backtest"}
    )
    params: dict[str, Any] = Field(sa_column=sa.Column(JSONType, nullable=False))
    submitted_code: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    generated_code: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    backtest_run_id: str | None = Field(default=None, max_length=40)
    error_message: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    agent_insights: dict[str, Any] = Field(
        default_factory=dict, sa_column=sa.Column(JSONType, nullable=False)
    )
    cancel_requested: bool = Field(default=False)
    attempts: int = Field(default=0)  # claims so far, this one included
    # Claims that ended because the database went away (the run released its lease, wrote nothing final):
    # not a lost worker, so they do not spend `max_execution_attempts`.
    interruptions: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    worker_id: str | None = Field(default=None, max_length=80)
    lease_expires_at: datetime | None = Field(default=None, sa_column=tz_datetime(nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_datetime(nullable=False, index=True))
    started_at: datetime | None = Field(default=None, sa_column=tz_datetime(nullable=True))
    completed_at: datetime | None = Field(default=None, sa_column=tz_datetime(nullable=True))


class ExecuteRequest(BaseModel):
    params: ExecutionParams = PField(default_factory=ExecutionParams)
    code: str | None = PField(
        default=None,
        max_length=200_000,
        description="Optional edited VectorBT code to run instead of the generated code "
        "(policy-checked and sandboxed like generated code).",
    )


class ExecutionPublic(Published):
    id: str
    strategy_id: str
    user_id: str
    status: ExecutionStatus
    kind: ExecutionKind = ExecutionKind.backtest
    params: ExecutionParams
    execution_logs: list[str] = PField(description="The messages of the execution's events, in order.")
    generated_code: str | None = PField(
        default=None, description="The code the generator compiled from the strategy's spec."
    )
    submitted_code: str | None = PField(
        default=None, description="Edited code the user asked to run instead (None: the generated code ran)."
    )
    backtest_run_id: str | None = None
    error_message: str | None = None
    agent_insights: AgentInsights
    created_at: datetime
    started_at: datetime | None = None
    completed_at: datetime | None = None

    @field_serializer("created_at")
    def _created_utc(self, value: datetime) -> datetime:
        return as_utc(value)

    @field_serializer("started_at", "completed_at")
    def _utc(self, value: datetime | None) -> datetime | None:
        return as_utc(value)


class CodePublic(Published):
    execution_id: str
    language: str = "python"
    code: str = PField(description="The code that ran: the user's edited code when there was one.")
    generated_code: str | None = PField(default=None, description="Compiled from the strategy's spec.")
    submitted_code: str | None = PField(default=None, description="The user's edited code, if any.")


__all__ = [
    "FINAL_STATUSES",
    "NOT_FINAL_STATUSES",
    "RUNNING_STATUSES",
    "CodePublic",
    "ExecuteRequest",
    "ExecutionKind",
    "ExecutionPublic",
    "ExecutionStatus",
    "StrategyExecution",
]
