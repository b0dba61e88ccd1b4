"""All service settings, in one place: one `Settings`, read from the environment and `.env` (see
`.env.example`, which lists every one).

Sections are nested models read through `env_nested_delimiter="_"` split once, so the variable names stay
flat and familiar: `SANDBOX_WALL_TIMEOUT_S` is `settings.sandbox.wall_timeout_s`, `LLM_MODEL` is
`settings.llm.model`, `MEMORY_SIMILAR_K` is `settings.memory.similar_k`. A section is a plain model, not a
`BaseSettings` of its own, so `.env` reaches it like every other line.
"""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, PrivateAttr, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.core.config_agents import LLMSettings, MemorySettings
from app.core.config_mcp import McpSettings
from app.core.config_sandbox import SandboxSettings

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_DATA_DIR = REPO_ROOT / "data"
PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        extra="ignore",
        env_ignore_empty=True,
        env_nested_delimiter="_",
        env_nested_max_split=1,
    )

    environment: Literal["dev", "test", "production"] = "dev"
    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str = Field(
        default="",
        description="SQLAlchemy async URL; empty means the embedded SQLite file data_dir/stratcrew.db. "
        "Use postgresql+asyncpg://user@host/db for PostgreSQL.",
    )
    db_pool_size: int = 10

    secret_key: str = Field(default="", description="JWT signing key; generated and kept in data_dir in dev.")
    access_token_expire_minutes: int = 60 * 24
    report_link_expire_minutes: int = Field(
        default=60 * 24 * 7, gt=0, description="How long a signed report link opens without signing in."
    )

    max_body_bytes: int = Field(default=2_000_000, ge=1024, description="Larger request bodies answer 413.")
    max_strategy_nodes: int = Field(default=200, ge=1, description="Most nodes in one strategy graph.")
    max_rules_per_node: int = Field(default=50, ge=1, description="Most rules (and conditions) per node.")

    queue: Literal["inprocess", "dramatiq"] = "inprocess"
    redis_url: str = ""
    worker_concurrency: int = 2
    max_execution_attempts: int = 2
    max_execution_interruptions: int = Field(
        default=8, ge=0, description="Runs cut short by a database outage before the execution is failed."
    )
    execution_timeout_s: float = 120.0
    # Fairness and quotas (docs/security.md): one user's runs cannot hold everyone else's.
    max_running_per_user: int = Field(
        default=2, ge=1, description="Executions of one user running at once; the rest wait, users in turn."
    )
    max_executions_per_day: int = Field(
        default=500, ge=1, description="Executions (backtests, sweeps) one user may start in 24 h; then 429."
    )
    login_attempts_per_username: int = Field(
        default=10, ge=1, description="Failed sign-ins for one username within login_window_s; then 429."
    )
    login_attempts_per_address: int = Field(
        default=50, ge=1, description="Failed sign-ins from one address within login_window_s; then 429."
    )
    login_window_s: float = Field(default=900.0, gt=0, description="Window of the sign-in limits.")
    registrations_per_address: int = Field(
        default=20, ge=1, description="Registrations from one client address within registration_window_s."
    )
    registration_window_s: float = Field(
        default=3600.0, gt=0, description="Window of the registration limit."
    )
    max_sweep_combinations: int = Field(
        default=1_000_000, ge=1, description="Largest grid a sweep may run; larger ones answer 422."
    )
    sweep_timeout_s: float = Field(
        default=900.0, gt=0, description="Whole sweep execution, and its sandbox run."
    )
    # Scale-out (QUEUE=dramatiq) and leases; see docs/scaling.md.
    redis_prefix: str = Field(default="stratcrew", description="Prefix of every Redis key and channel.")
    lease_s: float = Field(
        default=30.0, gt=0, description="Lease of a running execution; renewed every third."
    )
    sweep_interval_s: float = Field(default=5.0, gt=0, description="How often expired leases are looked for.")
    requeue_after_s: float = Field(
        default=600.0, gt=0, description="A queued job not taken is re-sent after this."
    )
    worker_heartbeat_timeout_s: float = Field(
        default=60.0, gt=0, description="Silent worker: its jobs re-delivered."
    )
    worker_shutdown_grace_s: float = Field(
        default=30.0, ge=0, description="SIGTERM: time for running executions."
    )

    offline: bool = Field(default=True, description="Never touch the network for market data.")
    max_upload_bytes: int = Field(default=20_000_000, description="Largest market-data upload.")
    max_upload_rows: int = Field(default=2_000_000, description="Most rows in one market-data upload.")
    yfinance_timeout_s: float = 10.0

    anthropic_api_key: SecretStr | None = Field(
        default=None, description="Set to run the agents on Claude (LLM mode); empty: offline mode."
    )
    code_repair_attempts: int = Field(default=2, ge=0, le=5, description="LLM repairs of failing code.")
    agents_max_iter: int = Field(default=4, ge=1, le=20, description="Tool-use steps per agent task.")

    sandbox: SandboxSettings = Field(default_factory=SandboxSettings, description="SANDBOX_* variables.")
    llm: LLMSettings = Field(default_factory=LLMSettings, description="LLM_* variables.")
    memory: MemorySettings = Field(default_factory=MemorySettings, description="MEMORY_* variables.")

    mcp: McpSettings = Field(default_factory=McpSettings, description="MCP_* variables (the /mcp face).")

    frontend_dist: Path = REPO_ROOT / "frontend" / "dist"
    start_worker: bool = True
    warm_agents_on_start: bool = True

    @model_validator(mode="after")
    def _derive(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{self.data_dir / 'stratcrew.db'}"
        if "numba_cache_dir" not in self.sandbox.model_fields_set:
            # Kernels compiled once are reused by every later start (tests: the checkout's .cache/numba).
            self.sandbox.numba_cache_dir = Path(
                os.environ.get("NUMBA_CACHE_DIR") or self.data_dir / "numba-cache"
            )
        if self.redis_url and self.queue == "inprocess":
            self.queue = "dramatiq"
        if self.environment == "production" and self.secret_key.strip().lower() in PLACEHOLDER_SECRETS:
            raise ValueError("SECRET_KEY must be set to a real secret in production")
        return self

    _jwt_secret: str | None = PrivateAttr(default=None)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def llm_api_key(self) -> str | None:
        key = self.anthropic_api_key.get_secret_value().strip() if self.anthropic_api_key else ""
        return key or None

    @property
    def llm_mode(self) -> bool:
        return self.llm_api_key is not None

    def resolved_secret_key(self) -> str:
        """The JWT key: the configured one, else a random key kept in the data directory (dev and test).
        Read once per `Settings` (the app has one), not per request."""
        if self._jwt_secret is None:
            self._jwt_secret = self.secret_key or _dev_secret(self.data_dir)
        return self._jwt_secret


def _dev_secret(data_dir: Path) -> str:
    path = data_dir / ".secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()
