"""All service settings, in one place. Every field can be set from the environment or `.env`
(see `.env.example`, which lists each one).
"""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.agents.settings import AgentSettings
from app.services.sandbox.settings import SandboxSettings

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_DATA_DIR = REPO_ROOT / "data"
PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_ignore_empty=True)

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

    max_body_bytes: int = 2_000_000
    max_strategy_nodes: int = 200
    max_rules_per_node: int = 50

    queue: Literal["inprocess", "dramatiq"] = "inprocess"
    redis_url: str = ""
    worker_concurrency: int = 2
    max_execution_attempts: int = 2
    max_execution_interruptions: int = Field(
        default=8, ge=0, description="Runs cut short by a database outage before the execution is failed."
    )
    execution_timeout_s: float = 120.0
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

    sandbox: SandboxSettings = Field(default_factory=SandboxSettings, description="SANDBOX_* variables.")
    agents: AgentSettings = Field(default_factory=AgentSettings, description="LLM and memory settings.")

    # The MCP face at /mcp (docs/mcp.md).
    mcp_enabled: bool = Field(default=True, description="Serve the MCP endpoint at /mcp.")
    mcp_allowed_hosts: str = Field(
        default="", description="Comma-separated Host values /mcp accepts (host:port, host:*); empty: any."
    )
    mcp_max_sessions: int = Field(default=1000, gt=0, description="Open MCP sessions at most.")
    mcp_session_idle_timeout_s: float = Field(default=1800.0, gt=0, description="An idle MCP session ends.")
    mcp_run_wait_s: float = Field(
        default=600.0, gt=0, description="run_backtest waits this long for the end, then answers the status."
    )

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

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def resolved_secret_key(self) -> str:
        """The JWT key: the configured one, else a random key kept in the data directory (dev and test)."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / ".secret_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()
