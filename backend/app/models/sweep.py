"""A sweep execution's request and, once it completed, its reduced result and full table.

The execution itself is a `StrategyExecution` with ``kind="sweep"`` (same lifecycle, events, cancel and
ownership); this row holds what only a sweep has.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel

from app.models._types import JSONType, tz_datetime, utcnow
from app.models.params import ExecutionParams


class Sweep(SQLModel, table=True):
    __tablename__ = "sweeps"

    execution_id: str = SQLField(primary_key=True, foreign_key="strategy_executions.id", max_length=40)
    user_id: str = SQLField(foreign_key="users.id", index=True, max_length=40)
    request: dict[str, Any] = SQLField(sa_column=sa.Column(JSONType, nullable=False))
    summary: dict[str, Any] | None = SQLField(default=None, sa_column=sa.Column(JSONType, nullable=True))
    table_data: dict[str, Any] | None = SQLField(default=None, sa_column=sa.Column(JSONType, nullable=True))
    created_at: datetime = SQLField(default_factory=utcnow, sa_column=tz_datetime(nullable=False))


class GridRange(BaseModel):
    """Values from ``start`` to ``stop`` (inclusive) every ``step``."""

    model_config = ConfigDict(extra="forbid")

    start: float
    stop: float
    step: float = Field(gt=0)

    def values(self, limit: int) -> list[float]:
        count = int((self.stop - self.start) / self.step + 1e-9) + 1
        if self.stop < self.start:
            raise ValueError(f"stop {self.stop:g} is below start {self.start:g}")
        if count > limit:
            raise ValueError(f"{count} values, more than the {limit} a parameter may have")
        return [round(self.start + i * self.step, 10) for i in range(count)]


class WalkForwardValidation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: Literal["walk_forward"] = "walk_forward"
    folds: int = Field(default=5, ge=1, le=50)
    in_sample: float = Field(default=0.7, gt=0, lt=1)


class SweepRequest(BaseModel):
    """``POST /executions/strategies/{id}/sweep``. ``grid`` names the parameters: a rule's
    ``{name=default}`` (``fast``), a node's field (``sl.stop_pct``) or an execution parameter
    (``params.fees``), each with a list of values or a range."""

    model_config = ConfigDict(extra="forbid")

    params: ExecutionParams = Field(default_factory=ExecutionParams)
    grid: dict[str, list[float] | GridRange] = Field(min_length=1, max_length=8)
    objective: str = "sharpe_ratio"
    validation: WalkForwardValidation | None = Field(default_factory=WalkForwardValidation)
    heatmap: list[str] | None = Field(default=None, min_length=2, max_length=2)

    @model_validator(mode="after")
    def _check(self) -> SweepRequest:
        for name, values in self.grid.items():
            if isinstance(values, list) and not values:
                raise ValueError(f"parameter {name!r} has no values")
        return self


class SweepPublic(BaseModel):
    """``GET /executions/{id}/sweep``: see docs/research.md for what each part means."""

    execution_id: str
    status: str
    combinations: int
    evaluated: int
    skipped: int
    failed: int
    objective: str
    elapsed_s: float
    combos_per_s: float | None
    params: list[str]
    rows: list[dict[str, Any]]
    best: dict[str, Any] | None
    heatmap: dict[str, Any] | None
    walk_forward: dict[str, Any] | None
    overfitting: dict[str, Any] | None
    cost_breakeven: list[dict[str, Any]] | None
    warmup_bars: int | None = None
    optimization: dict[str, Any] | None = None
