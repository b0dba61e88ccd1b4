"""The MCP face of the service: the server with its tools, resources and prompts, the authenticated ASGI
endpoint the app routes `/mcp` to, and the session manager's lifespan the app's lifespan joins."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from mcp.server.fastmcp.server import StreamableHTTPASGIApp

from app.core.config import Settings
from app.mcp import (
    prompts,
    resources,
    tools_language,
    tools_results,
    tools_runs,
    tools_strategies,
    tools_sweeps,
)
from app.mcp.auth import BearerGuard
from app.mcp.backend import BackendGetter, Caller
from app.mcp.server import StratCrewMCP, create_server

MCP_PATH = "/mcp"


class McpFace:
    def __init__(self, settings: Settings, get_backend: BackendGetter) -> None:
        self.caller = Caller(get_backend)
        self.server: StratCrewMCP = create_server(
            allowed_hosts=settings.mcp.host_list(),
            max_sessions=settings.mcp.max_sessions,
            idle_timeout_s=settings.mcp.session_idle_timeout_s,
        )
        for register in (
            tools_strategies.register,
            tools_language.register,
            tools_runs.register,
            tools_runs.register_history,
            tools_results.register,
            tools_sweeps.register,
            resources.register,
        ):
            register(self.server, self.caller)
        prompts.register(self.server)
        self.server.streamable_http_app()  # creates the session manager (the app it returns is not used)
        self.endpoint = BearerGuard(StreamableHTTPASGIApp(self.server.session_manager), get_backend)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """The session manager's task group, for the app's lifespan.

        It lives in a task of its own: an anyio task group must be left by the task that entered it, and a
        lifespan may be entered and left by different tasks (test harnesses do). On the way out, calls still
        waiting are cancelled by the shutdown, not by their clients, so the runs they wait on are left alone.
        """
        started, stop = asyncio.Event(), asyncio.Event()

        async def hold() -> None:
            async with self.server.session_manager.run():
                started.set()
                await stop.wait()

        task = asyncio.create_task(hold(), name="mcp-session-manager")
        waiter = asyncio.create_task(started.wait())
        await asyncio.wait([task, waiter], return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if task.done():
            task.result()  # it failed to start: raise why
        try:
            yield
        finally:
            self.caller.stopping = True
            stop.set()
            await task
