from datetime import datetime

import sqlalchemy as sa
from pydantic import BaseModel, field_serializer
from sqlmodel import Field, SQLModel

from app.models._types import as_utc, tz_datetime, utcnow


class ExecutionEvent(SQLModel, table=True):
    """One progress event; `seq` numbers an execution's events from 1 without gaps."""

    __tablename__ = "execution_events"
    __table_args__ = (sa.UniqueConstraint("execution_id", "seq", name="uq_execution_event_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    execution_id: str = Field(foreign_key="strategy_executions.id", index=True, max_length=40)
    seq: int
    status: str = Field(max_length=20)
    stage: str = Field(max_length=40)
    message: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    progress: float = 0.0
    ts: datetime = Field(default_factory=utcnow, sa_column=tz_datetime(nullable=False))


class EventPublic(BaseModel):
    type: str = "event"
    seq: int
    status: str
    stage: str
    message: str
    progress: float
    ts: datetime

    @field_serializer("ts")
    def _utc(self, value: datetime) -> datetime:
        return as_utc(value)
