"""Database engine and sessions. Created in the app's lifespan (never at import) and kept on app state."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, PendingRollbackError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core import json_codec
from app.core.config import Settings

SessionFactory = async_sessionmaker[AsyncSession]


def create_engine(settings: Settings) -> AsyncEngine:
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(settings.database_url, connect_args={"timeout": 30}, **_JSON_CODEC)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=10,
        pool_pre_ping=True,
        **_JSON_CODEC,
    )


_JSON_CODEC: dict[str, Any] = {"json_serializer": json_codec.dumps, "json_deserializer": json_codec.loads}


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the API read while the worker writes; foreign keys are off by default in SQLite.
    # synchronous=NORMAL in WAL mode: a commit survives a crash of the service (the WAL is written before
    # the commit returns) and skips the fsync per commit (~5 ms each, a dozen per execution); only an OS
    # crash or power cut can lose the last commits, never corrupt the database.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def create_session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


def is_connection_error(exc: BaseException) -> bool:
    """True for a lost or refused database connection (as opposed to a bug or a bad statement).

    A connection killed mid-query surfaces in many shapes (asyncpg's ConnectionDoesNotExistError wrapped
    in a generic DBAPIError, or a later "cannot switch to state" from the rollback on the dead
    connection), so the whole cause chain is looked at.
    """
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(
            seen, OperationalError | InterfaceError | PendingRollbackError | ConnectionError | TimeoutError
        ):
            return True
        if isinstance(seen, DBAPIError) and seen.connection_invalidated:
            return True
        if type(seen).__name__ in ASYNCPG_CONNECTION_ERRORS:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


# asyncpg's names for a dead connection (matched by name: asyncpg is one of two supported drivers).
ASYNCPG_CONNECTION_ERRORS = frozenset(
    {
        "ConnectionDoesNotExistError",
        "AdminShutdownError",
        "CannotConnectNowError",
        "ConnectionFailureError",
        "PostgresConnectionError",
        "InternalClientError",
        "TooManyConnectionsError",
    }
)
