"""Typed dependencies for routes: sessions, the current user, and the services kept on app state."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.exc import DBAPIError
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.config import Settings
from app.core.db import is_connection_error
from app.models.user import User
from app.services import users
from app.services.language import GraphLimits

if TYPE_CHECKING:
    from app.services.event_bus import EventBus
    from app.services.market_data import MarketData
    from app.services.memory import MemoryService
    from app.services.queue import ExecutionQueue

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def get_graph_limits(settings: SettingsDep) -> GraphLimits:
    return GraphLimits.of(settings)


GraphLimitsDep = Annotated[GraphLimits, Depends(get_graph_limits)]


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    session: AsyncSession = request.app.state.session_factory()
    try:
        yield session
    finally:
        # Closing runs after the response went out: a connection that died meanwhile (database restart,
        # failover) must not turn a sent answer into a dropped one. The pool discards the dead connection.
        try:
            await session.close()
        except DBAPIError as exc:
            if not is_connection_error(exc):
                raise


SessionDep = Annotated[AsyncSession, Depends(get_session)]


async def get_current_user(
    session: SessionDep, settings: SettingsDep, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> User:
    return await users.user_for_token(session, token, settings.resolved_secret_key())


CurrentUser = Annotated[User, Depends(get_current_user)]


def _state(name: str) -> Any:
    def getter(request: Request) -> Any:
        return getattr(request.app.state, name)

    return getter


MarketDataDep = Annotated["MarketData", Depends(_state("market_data"))]
MemoryDep = Annotated["MemoryService", Depends(_state("memory"))]
EventBusDep = Annotated["EventBus", Depends(_state("event_bus"))]
QueueDep = Annotated["ExecutionQueue", Depends(_state("queue"))]
