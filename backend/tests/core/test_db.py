"""The embedded SQLite engine's connection settings, read back from a real connection."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from app.core.config import Settings
from app.core.db import create_engine


async def test_sqlite_runs_in_wal_with_normal_sync_and_foreign_keys(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    engine = create_engine(settings)
    try:
        async with engine.connect() as conn:
            pragmas = {
                name: (await conn.execute(text(f"PRAGMA {name}"))).scalar()
                for name in ("journal_mode", "synchronous", "foreign_keys")
            }
    finally:
        await engine.dispose()
    # synchronous 1 = NORMAL: durable across a crash of the service in WAL mode, no fsync per commit.
    assert pragmas == {"journal_mode": "wal", "synchronous": 1, "foreign_keys": 1}
