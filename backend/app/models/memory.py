"""What memory answers: remembered items, a user's preferences, similar past strategies (API shapes)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from app.models._types import Published


class MemoryItem(Published):
    id: str
    kind: str
    text: str
    metadata: dict[str, Any] = Field(default_factory=dict)
    created_at: str | None = None
    score: float | None = None


class Preferences(Published):
    risk_tolerance: Literal["low", "medium", "high"] | None = None
    max_drawdown: float | None = Field(default=None, gt=0, le=100, description="Largest drawdown, in %.")


class SimilarStrategy(Published):
    execution_id: str | None
    similarity: float = Field(description="Cosine similarity of the pattern texts, 0 to 1.")
    sharpe_ratio: float | None = None
    total_return: float | None = Field(default=None, description="Percent: 25.5 means 25.5 %.")
    summary: str
