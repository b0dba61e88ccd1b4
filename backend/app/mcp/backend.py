"""What the MCP face needs from the running process, and how one tool call reaches it.

The face is built when the app is (its route must exist before the app serves), but the parts it calls are
created in the app's lifespan; so it holds a getter, not the parts. Anything with these attributes will do:
the process's `Runtime` has them all.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from mcp.server.fastmcp import Context
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.config import Settings
from app.core.db import SessionFactory
from app.core.errors import Unauthorized
from app.models.user import User
from app.services.event_bus import EventBus
from app.services.market_data import MarketData
from app.services.queue import ExecutionQueue


class Backend(Protocol):
    @property
    def settings(self) -> Settings: ...

    @property
    def session_factory(self) -> SessionFactory: ...

    @property
    def bus(self) -> EventBus: ...

    @property
    def queue(self) -> ExecutionQueue: ...

    @property
    def market_data(self) -> MarketData: ...


BackendGetter = Callable[[], Backend]


@dataclass
class Call:
    """One tool call: who makes it, a database session for it, and the process's parts."""

    user: User
    session: AsyncSession
    backend: Backend


class Caller:
    """Opens a `Call` for a tool: the signed-in user of *this* HTTP request (not of the session's first one:
    handlers run in the MCP session's task, so only the request attached to the call is trustworthy)."""

    def __init__(self, get_backend: BackendGetter) -> None:
        self.get_backend = get_backend
        # Set while the server shuts down: calls cancelled then were not given up by their client, so the
        # runs they wait on are left to finish (or to be re-run by the next process).
        self.stopping = False

    @asynccontextmanager
    async def call(self, ctx: Context[Any, Any, Any]) -> AsyncIterator[Call]:
        backend = self.get_backend()
        async with backend.session_factory() as session:
            yield Call(user=signed_in(ctx), session=session, backend=backend)


def signed_in(ctx: Context[Any, Any, Any]) -> User:
    """The user the bearer guard found for the request carrying this call (checked on that request)."""
    request = ctx.request_context.request
    principal = getattr(request, "scope", {}).get("user") if request is not None else None
    user = getattr(principal, "user", None)
    if not isinstance(user, User):
        raise Unauthorized("Not authenticated: send 'Authorization: Bearer <token>' (POST /auth/token)")
    return user
