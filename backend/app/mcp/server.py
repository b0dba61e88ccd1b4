"""The MCP server (the official SDK's FastMCP) and how its errors read: domain errors become tool errors with
REST's body, the way `api/errors.py` turns them into responses, once for every tool."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

import anyio
from mcp.server.fastmcp import FastMCP
from mcp.server.fastmcp.exceptions import ToolError
from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.server.transport_security import TransportSecuritySettings
from mcp.shared.exceptions import McpError
from mcp.types import INVALID_PARAMS, ContentBlock, ErrorData
from pydantic import AnyUrl, ValidationError

from app.core.db import is_connection_error
from app.core.errors import DomainError, NotFound, validation_error_body
from app.mcp.answers import ToolFailed, tool_error

log = logging.getLogger(__name__)
RESOURCE_NOT_FOUND = -32002  # the MCP spec's code for a resource that does not exist

INSTRUCTIONS = """StratCrew turns trading strategies written as plain-language rules into VectorBT backtests.
Typical path: rule_language (what can be said) -> validate_rule for each rule -> create_strategy ->
run_backtest (progress as it runs; answers metrics, warnings and the execution id) -> get_results / get_code
/ compare_runs; the report and reproducibility bundle are resources stratcrew://executions/{id}/report and
/bundle. Percents are percents (7.0 = 7 %). Errors name the node, rule, field or line at fault."""


class StratCrewMCP(FastMCP[Any]):
    async def call_tool(
        self, name: str, arguments: dict[str, Any]
    ) -> Sequence[ContentBlock] | dict[str, Any]:
        try:
            return await super().call_tool(name, arguments)
        except ToolError as exc:
            body = error_body(exc.__cause__, name)
            if body is None:
                raise
            return tool_error(body)  # type: ignore[return-value]  # the low-level server passes it through

    async def read_resource(self, uri: AnyUrl | str) -> Iterable[ReadResourceContents]:
        try:
            return await super().read_resource(uri)
        except Exception as exc:
            domain = _domain_cause(exc)
            if domain is None:
                raise
            code = RESOURCE_NOT_FOUND if isinstance(domain, NotFound) else INVALID_PARAMS
            body = {**domain.body(), "status": domain.status_code, "uri": str(uri)}
            raise McpError(ErrorData(code=code, message=domain.message, data=body)) from exc


def error_body(cause: BaseException | None, tool: str) -> dict[str, Any] | None:
    """REST's error body (plus the HTTP status REST answers) for what a tool raised; None when not ours."""
    if isinstance(cause, ToolFailed):
        return cause.body
    if isinstance(cause, DomainError):
        return {**cause.body(), "status": cause.status_code}
    if isinstance(cause, ValidationError):
        return {**validation_error_body(cause.errors()), "status": 422}
    if cause is not None and is_connection_error(cause):
        return {
            "error": "DatabaseUnavailable",
            "detail": "The database is unavailable; retry shortly.",
            "status": 503,
        }
    if isinstance(cause, Exception):
        log.error("MCP tool %s failed", tool, exc_info=cause)
        return {
            "error": "InternalError",
            "detail": f"Unexpected error in {tool}; see the service log.",
            "status": 500,
        }
    return None


def _domain_cause(exc: BaseException) -> DomainError | None:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, DomainError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def create_server(*, allowed_hosts: list[str], max_sessions: int, idle_timeout_s: float) -> StratCrewMCP:
    """The bare server; tools, resources and prompts are registered by `app.mcp.face`."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    server = StratCrewMCP(
        name="StratCrew",
        instructions=INSTRUCTIONS,
        streamable_http_path="/mcp",
        max_sessions=max_sessions,
        session_idle_timeout=idle_timeout_s,
        # Every request needs a bearer token a rebinding page cannot have; MCP_ALLOWED_HOSTS adds Host checks.
        transport_security=TransportSecuritySettings(
            enable_dns_rebinding_protection=bool(allowed_hosts), allowed_hosts=allowed_hosts
        ),
    )
    # FastMCP() calls logging.basicConfig with its own handler; the service configures logging itself.
    root.handlers[:], root.level = handlers, level
    logging.getLogger("mcp.server.lowlevel.server").setLevel(logging.WARNING)  # a line per request otherwise
    transport_log = logging.getLogger("mcp.server.streamable_http")
    if not any(isinstance(f, _SessionEndNoise) for f in transport_log.filters):
        transport_log.addFilter(_SessionEndNoise())
    return server


class _SessionEndNoise(logging.Filter):
    """SDK 1.30 logs a traceback at ERROR whenever a client ends its session (DELETE) while its GET stream is
    open: the stream's reader is closed under it. That is every normal disconnect, not an error."""

    def filter(self, record: logging.LogRecord) -> bool:
        closed = record.exc_info is not None and isinstance(record.exc_info[1], anyio.ClosedResourceError)
        return not (closed and record.getMessage() == "Error in standalone SSE writer")
