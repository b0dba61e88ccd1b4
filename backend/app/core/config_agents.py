"""Settings of the agents' LLM (`Settings.llm`, from `LLM_<FIELD>`) and of their memory (`Settings.memory`,
from `MEMORY_<FIELD>`). The key itself is `ANTHROPIC_API_KEY` (`Settings.anthropic_api_key`), the name a user
already exports for other tools.

>>> LLMSettings().model, MemorySettings().similar_k
('anthropic/claude-sonnet-4-5', 3)
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field


class LLMSettings(BaseModel):
    model: str = Field(default="anthropic/claude-sonnet-4-5", description="CrewAI model id.")
    timeout_s: float = Field(default=60.0, gt=0, description="Timeout of one LLM call.")
    max_retries: int = Field(default=2, ge=0, le=10, description="Retries after a failed LLM call.")
    backoff_s: float = Field(default=1.0, ge=0, description="First retry delay; doubles each retry.")
    max_tokens: int = Field(default=2048, gt=0, description="Largest answer of one LLM call.")
    token_budget: int = Field(default=60_000, gt=0, description="Tokens (in + out) per execution.")
    cost_budget_usd: float = Field(default=0.50, gt=0, description="Estimated USD per execution.")
    usd_per_mtok_in: float = Field(default=3.0, ge=0, description="Price per million input tokens.")
    usd_per_mtok_out: float = Field(default=15.0, ge=0, description="Price per million output tokens.")
    cache_size: int = Field(default=512, ge=0, description="Answers kept by input hash (0: no cache).")
    summary: bool = Field(default=True, description="Executor writes agent_insights.summary (LLM mode).")


class MemorySettings(BaseModel):
    enabled: bool = Field(default=True, description="Remember strategies per user with mem0.")
    qdrant_path: Path | None = Field(
        default=None, description="Qdrant local path; default DATA_DIR/memory/qdrant."
    )
    qdrant_url: str = Field(default="", description="Qdrant server URL (scale-out); overrides the path.")
    collection: str = "stratcrew_memories"
    similar_k: int = Field(default=3, ge=1, le=20, description="Similar past strategies shown per execution.")
    min_similarity: float = Field(default=0.2, ge=0, le=1, description="Lowest similarity shown.")
