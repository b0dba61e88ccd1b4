"""The FastAPI application: engines, pools and workers are created in `lifespan` and kept on app state."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError
from starlette.routing import Route

from app.api.docs import mount_docs
from app.api.errors import ErrorResponse, add_exception_handlers
from app.api.frontend import mount_frontend
from app.api.limits import BodySizeLimit
from app.api.main import api_router
from app.composition import Runtime
from app.core.config import Settings, get_settings
from app.core.db import create_engine, create_session_factory, is_connection_error
from app.mcp.face import MCP_PATH, McpFace
from app.services.throttle import AuthLimits

log = logging.getLogger("stratcrew")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    mcp = McpFace(settings, lambda: app.state.runtime) if settings.mcp.enabled else None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        engine = create_engine(settings)
        app.state.settings = settings
        app.state.auth_limits = AuthLimits(settings)
        app.state.engine = engine
        app.state.session_factory = create_session_factory(engine)
        runtime = Runtime(
            settings,
            app.state.session_factory,
            sandbox_pool=getattr(app.state, "injected_sandbox_pool", None),
            memory=getattr(app.state, "injected_memory", None),
        )
        await runtime.start()
        app.state.runtime = runtime
        app.state.event_bus = runtime.bus
        app.state.market_data = runtime.market_data
        app.state.sandbox_pool = runtime.sandbox_pool
        app.state.memory = runtime.memory
        app.state.queue = runtime.queue
        try:
            async with mcp.running() if mcp is not None else contextlib.nullcontext():
                yield
        finally:
            await runtime.stop()
            await engine.dispose()
            await asyncio.sleep(0)

    app = FastAPI(
        title="StratCrew",
        version="0.1.0",
        summary="Trading strategies drawn as node graphs, backtested with VectorBT by three CrewAI agents.",
        lifespan=lifespan,
        docs_url=None,  # served from local files by mount_docs
        redoc_url=None,
    )
    add_exception_handlers(app)
    app.add_exception_handler(DBAPIError, _database_error)
    _document_error_bodies(app)
    app.include_router(api_router)
    if mcp is not None:
        app.router.routes.append(Route(MCP_PATH, mcp.endpoint))  # an ASGI app: every method reaches it
    mount_docs(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    mount_frontend(app, settings.frontend_dist)
    return app


# What `add_exception_handlers` really answers on a 422 (FastAPI documents its own default shape instead).
VALIDATION_ERROR_SCHEMA = {
    "title": "HTTPValidationError",
    "type": "object",
    "required": ["error", "detail"],
    "properties": {
        "error": {"type": "string", "title": "Error"},
        "detail": {"type": "string", "title": "Detail"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "loc": {"type": "array"},
                    "field": {"type": "string"},
                    "msg": {"type": "string"},
                },
            },
        },
    },
}


def _document_error_bodies(app: FastAPI) -> None:
    default_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = default_openapi()
            schemas = schema.get("components", {}).get("schemas", {})
            if "HTTPValidationError" in schemas:
                schemas["HTTPValidationError"] = VALIDATION_ERROR_SCHEMA
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


async def _database_error(_request: Request, exc: Exception) -> JSONResponse:
    """A connection killed mid-request (failover, restart) is a 503 to retry, whatever shape it takes."""
    if is_connection_error(exc):
        log.warning("database connection lost: %s", exc)
        body = {"error": "DatabaseUnavailable", "detail": "The database is unavailable; retry shortly."}
        return ErrorResponse(body, status_code=503, headers={"Retry-After": "2"})
    if _is_bad_data(exc):  # a value the database cannot take (a NUL byte, an out-of-range number)
        body = {
            "error": "InvalidInput",
            "detail": f"A value in the request is not valid: {exc.__cause__}"[:300],
        }
        return ErrorResponse(body, status_code=422)
    log.error("database error", exc_info=exc)
    return ErrorResponse({"error": "InternalError", "detail": "Unexpected database error"}, status_code=500)


def _is_bad_data(exc: BaseException) -> bool:
    """SQLSTATE class 22 (data exception) anywhere in the cause chain: the request's value, not the server."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, DataError) or str(getattr(seen, "sqlstate", "") or "").startswith("22"):
            return True
        seen = seen.__cause__
    return False


app = create_app()
