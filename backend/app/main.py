"""The FastAPI application: engines, pools and workers are created in `lifespan` and kept on app state."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.api.errors import add_exception_handlers
from app.api.frontend import mount_frontend
from app.api.limits import BodySizeLimit
from app.api.main import api_router
from app.core.config import Settings, get_settings
from app.core.db import create_engine, create_session_factory
from app.services.runtime import Runtime

log = logging.getLogger("stratcrew")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        engine = create_engine(settings)
        app.state.settings = settings
        app.state.engine = engine
        app.state.session_factory = create_session_factory(engine)
        runtime = Runtime(
            settings,
            app.state.session_factory,
            getattr(app.state, "injected_sandbox_pool", None),
            getattr(app.state, "injected_memory", None),
        )
        await runtime.start()
        app.state.runtime = runtime
        app.state.event_bus = runtime.bus
        app.state.market_data = runtime.market_data
        app.state.sandbox_pool = runtime.sandbox_pool
        app.state.memory = runtime.memory
        app.state.queue = runtime.queue
        try:
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
    )
    add_exception_handlers(app)
    app.include_router(api_router)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    mount_frontend(app, settings.frontend_dist)
    return app


app = create_app()
