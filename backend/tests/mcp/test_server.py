"""How the server maps what a tool raised, and the one SDK log record it silences."""

from __future__ import annotations

import logging

import anyio
from pydantic import BaseModel, ValidationError

from app.core.errors import NotFound
from app.mcp.server import create_server, error_body


class Sample(BaseModel):
    fees: float


def test_errors_map_to_rest_bodies_and_unexpected_ones_leak_nothing() -> None:
    assert error_body(NotFound("Execution 'x' not found", execution_id="x"), "t") == {
        "error": "NotFound", "detail": "Execution 'x' not found", "execution_id": "x", "status": 404,
    }  # fmt: skip
    try:
        Sample.model_validate({"fees": "lots"})
    except ValidationError as exc:
        body = error_body(exc, "t")
    assert body is not None and body["status"] == 422 and body["errors"][0]["field"] == "fees"
    internal = error_body(RuntimeError("password=hunter2 at /srv/db"), "get_results")
    assert internal is not None and internal["error"] == "InternalError" and internal["status"] == 500
    assert internal["detail"] == "Unexpected error in get_results; see the service log."
    assert error_body(None, "t") is None


def test_only_the_sdks_session_end_traceback_is_silenced() -> None:
    create_server(allowed_hosts=[], max_sessions=1, idle_timeout_s=1)
    logger = logging.getLogger("mcp.server.streamable_http")

    def record(message: str, exc: BaseException) -> logging.LogRecord:
        return logger.makeRecord(logger.name, logging.ERROR, __file__, 1, message, (), (type(exc), exc, None))

    kept = [
        f.filter(record("Error in standalone SSE writer", anyio.ClosedResourceError()))
        for f in logger.filters
    ]
    assert kept and not all(kept)
    for message, exc in (
        ("Error in standalone SSE writer", RuntimeError("real")),
        ("Error in SSE writer", anyio.ClosedResourceError()),
    ):
        assert all(f.filter(record(message, exc)) for f in logger.filters), message
