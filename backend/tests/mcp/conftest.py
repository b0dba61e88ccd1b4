"""One real uvicorn server for the MCP tests, serving the session's app (whose lifespan runs the MCP session
manager), and the SDK's own client against it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.utils.factories import register
from tests.utils.live_server import LiveServer


@pytest.fixture(scope="package")
async def server(app) -> AsyncIterator[LiveServer]:  # type: ignore[no-untyped-def]
    live = LiveServer(app)
    await live.start()
    yield live
    await live.stop()


@pytest.fixture
async def http(server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.http_url, timeout=60) as client:
        yield client


@pytest.fixture
async def headers(http: httpx.AsyncClient) -> dict[str, str]:
    """A fresh user's Authorization header."""
    return await register(http)
