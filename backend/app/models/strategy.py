from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, field_serializer, field_validator
from pydantic import Field as PField
from sqlmodel import Field, SQLModel

from app.models._types import JSONType, as_utc, storable_json, tz_datetime, utcnow


class Strategy(SQLModel, table=True):
    __tablename__ = "strategies"

    id: str = Field(primary_key=True, max_length=40)
    user_id: str = Field(foreign_key="users.id", index=True, max_length=40)
    name: str = Field(max_length=200)
    graph: dict[str, Any] = Field(sa_column=sa.Column(JSONType, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_datetime(nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=tz_datetime(nullable=False))


class StrategyBase(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    name: str = PField(min_length=1, max_length=200, description="A name for the strategy.")
    graph: dict[str, Any] = PField(
        alias="schema",
        description='The node graph: {"nodes": [{"id", "type", "meta"}, ...]}; see GET /strategies/schema.',
    )

    @field_validator("graph")
    @classmethod
    def _storable(cls, graph: dict[str, Any]) -> dict[str, Any]:
        return storable_json(graph)


class StrategyCreate(StrategyBase):
    pass


class StrategyUpdate(StrategyBase):
    pass


class StrategyIssue(BaseModel):
    """Something to fix before the strategy can run, on the node it belongs to (empty: the whole graph)."""

    node_id: str
    field: str | None = None
    rule: str | None = PField(default=None, description="The rule's text, for a rule that cannot be read.")
    detail: str
    position: int | None = PField(default=None, description="0-based offset in `rule` where reading stopped.")
    expected: list[str] = []
    suggestion: str | None = None
    blocking: bool = PField(description="True when a run would fail on it (the builder blocks Execute).")


class StrategyPublic(StrategyBase):
    id: str
    created_at: datetime
    updated_at: datetime
    issues: list[StrategyIssue] = PField(
        default_factory=list, description="Unfinished or unreadable parts of the draft; empty: it can run."
    )

    @field_serializer("created_at", "updated_at")
    def _utc(self, value: datetime) -> datetime:
        return as_utc(value)
