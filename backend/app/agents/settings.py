"""Settings of the agents and their memory (nested by the lead into `app.core.config.Settings`).

Read from the environment under their plain names (``ANTHROPIC_API_KEY``, ``LLM_MODEL``...), so the key a
user already exports for other tools is the one used here.

>>> s = AgentSettings(anthropic_api_key=None)
>>> s.llm_mode
False
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class AgentSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_prefix="")

    anthropic_api_key: SecretStr | None = Field(
        default=None, description="Set to run the agents on Claude (LLM mode); empty: offline mode."
    )
    llm_model: str = Field(default="anthropic/claude-sonnet-4-5", description="CrewAI model id.")
    llm_timeout_s: float = Field(default=60.0, gt=0, description="Timeout of one LLM call.")
    llm_max_retries: int = Field(default=2, ge=0, le=10, description="Retries after a failed LLM call.")
    llm_backoff_s: float = Field(default=1.0, ge=0, description="First retry delay; doubles each retry.")
    llm_max_tokens: int = Field(default=2048, gt=0, description="Largest answer of one LLM call.")
    llm_token_budget: int = Field(default=60_000, gt=0, description="Tokens (in + out) per execution.")
    llm_cost_budget_usd: float = Field(default=0.50, gt=0, description="Estimated USD per execution.")
    llm_usd_per_mtok_in: float = Field(default=3.0, ge=0, description="Price per million input tokens.")
    llm_usd_per_mtok_out: float = Field(default=15.0, ge=0, description="Price per million output tokens.")
    llm_cache_size: int = Field(default=512, ge=0, description="Answers kept by input hash (0: no cache).")
    llm_summary: bool = Field(default=True, description="Executor writes agent_insights.summary (LLM mode).")
    code_repair_attempts: int = Field(default=2, ge=0, le=5, description="LLM repairs of failing code.")
    agents_max_iter: int = Field(default=4, ge=1, le=20, description="Tool-use steps per agent task.")

    memory_enabled: bool = Field(default=True, description="Remember strategies per user with mem0.")
    memory_qdrant_path: Path | None = Field(
        default=None, description="Qdrant local path; default DATA_DIR/memory/qdrant."
    )
    memory_qdrant_url: str = Field(default="", description="Qdrant server URL (scale-out); overrides path.")
    memory_collection: str = "stratcrew_memories"
    memory_similar_k: int = Field(default=3, ge=1, le=20, description="Similar strategies shown.")
    memory_min_similarity: float = Field(default=0.2, ge=0, le=1, description="Lowest similarity shown.")

    @property
    def llm_mode(self) -> bool:
        return bool(self.anthropic_api_key and self.anthropic_api_key.get_secret_value().strip())
