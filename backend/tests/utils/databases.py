"""A fresh, migrated database per test run: a SQLite file, or a new PostgreSQL database on 127.0.0.1:5432."""

from __future__ import annotations

import asyncio
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from alembic.config import Config

from alembic import command

BACKEND = Path(__file__).resolve().parents[2]
PG_ADMIN_DSN = os.environ.get("TEST_POSTGRES_ADMIN", "postgresql://postgres@127.0.0.1:5432/test")


@dataclass
class TestDatabase:
    __test__ = False  # a data class, not a test
    kind: str
    url: str
    name: str | None = None

    def drop(self) -> None:
        if self.kind == "postgres" and self.name:
            asyncio.run(_pg_execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))


async def _pg_execute(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def migrate(url: str) -> None:
    """Runs the real Alembic migrations (in this thread; env.py has its own event loop)."""
    previous = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url
    try:
        command.upgrade(Config(str(BACKEND / "alembic.ini")), "head")
    finally:
        if previous is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = previous


def create_test_database(kind: str, data_dir: Path) -> TestDatabase:
    if kind == "sqlite":
        db = TestDatabase("sqlite", f"sqlite+aiosqlite:///{data_dir / 'test.db'}")
    elif kind == "postgres":
        name = f"stratcrew_test_{os.getpid()}_{secrets.token_hex(3)}"
        asyncio.run(_pg_execute(f'CREATE DATABASE "{name}"'))
        db = TestDatabase("postgres", f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}", name)
    else:
        raise ValueError(f"TEST_DATABASE must be sqlite or postgres, not {kind!r}")
    migrate(db.url)
    return db
