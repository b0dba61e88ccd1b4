"""Test set-up on real databases: SQLite (default) or PostgreSQL (TEST_DATABASE=postgres), a fresh
database per run, migrated with the real Alembic migrations; one app (and one warm sandbox pool) per
test session."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
os.environ.setdefault("NUMBA_CACHE_DIR", str(REPO / ".cache" / "numba"))

import httpx  # noqa: E402

from tests.utils.databases import TestDatabase, create_test_database  # noqa: E402

pytest_plugins = ["tests.plugins.sandbox_pool"]


@pytest.fixture(scope="session")
def data_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="stratcrew-test-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def test_database(data_dir: Path) -> Iterator[TestDatabase]:
    db = create_test_database(os.environ.get("TEST_DATABASE", "sqlite"), data_dir)
    yield db
    db.drop()


@pytest.fixture(scope="session")
def settings(test_database: TestDatabase, data_dir: Path):  # type: ignore[no-untyped-def]
    from app.core.config import Settings

    return Settings(
        environment="test",
        data_dir=data_dir,
        database_url=test_database.url,
        secret_key=secrets.token_urlsafe(32),
        execution_timeout_s=120,
        # Every test registers and signs in from the ASGI transport's one address (127.0.0.1): limits per
        # address far above what the suite spends (tests/api/routes/test_fairness.py sets tight ones).
        registrations_per_address=1_000_000,
        login_attempts_per_address=1_000_000,
    )


@pytest.fixture(scope="session")
async def app(settings, sandbox_pool):  # type: ignore[no-untyped-def]
    from app.main import create_app

    application = create_app(settings)
    application.state.injected_sandbox_pool = sandbox_pool
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=60) as http:
        yield http


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def pytest_report_header(config: pytest.Config) -> str:
    return f"database: {os.environ.get('TEST_DATABASE', 'sqlite')}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The PostgreSQL pass runs the tests that touch the database under test; the SQLite pass runs all.

    A test that never reaches `test_database` (the sandbox, the rule language, the metrics, market data on
    its own SQLite file) gives the same answer in both passes, and running it twice doubled CI time.
    `TEST_EVERY_PASS=1` runs everything in the PostgreSQL pass too.
    """
    if os.environ.get("TEST_DATABASE") != "postgres" or os.environ.get("TEST_EVERY_PASS"):
        return
    kept, deselected = [], []
    for item in items:
        uses_database = "test_database" in getattr(item, "fixturenames", ())
        (kept if uses_database or item.get_closest_marker("postgres_only") else deselected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


__all__ = ["asyncio"]
