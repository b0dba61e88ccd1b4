"""The Alembic migrations build exactly the schema the models describe, on the database under test."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import app.models  # noqa: F401  (registers every table)
from app.core.config import Settings
from app.core.db import create_engine
from tests.utils.databases import TestDatabase


async def test_the_migrated_schema_matches_the_models(test_database: TestDatabase, tmp_path: Any) -> None:
    engine = create_engine(Settings(data_dir=tmp_path, database_url=test_database.url))

    def differences(connection: Any) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))

    try:
        async with engine.connect() as connection:
            diff = await connection.run_sync(differences)
    finally:
        await engine.dispose()
    assert diff == []
