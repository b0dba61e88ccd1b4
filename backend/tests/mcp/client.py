"""The official SDK's client, connected to the live server's /mcp with a bearer token, plus the small readers
the tests share."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.message import SessionMessage
from mcp.types import (
    CallToolResult,
    CancelledNotification,
    CancelledNotificationParams,
    ClientNotification,
    JSONRPCRequest,
    TextContent,
)

SEED_PARAMS = {"symbols": ["SPX"], "start_date": "2010-01-01", "end_date": "2018-12-31"}  # README's example
DIP_BUYER: dict[str, Any] = {
    "nodes": [
        {
            "id": "entry",
            "type": "entry_condition",
            "meta": {"rules": ["Enter on a 5% price drop from the 20-day moving average"]},
        },
        {"id": "tp", "type": "take_profit", "meta": {"target_pct": 7.0}},
        {"id": "sl", "type": "stop_loss", "meta": {"stop_pct": 5.0}},
    ]
}


class RecordingSession(ClientSession):
    """A ClientSession that remembers the JSON-RPC id of each request it sent, by method (to cancel one)."""

    sent: dict[str, list[Any]]


@asynccontextmanager
async def mcp_session(base_url: str, headers: dict[str, str] | None) -> AsyncIterator[RecordingSession]:
    timeout = httpx.Timeout(30, read=300)
    async with (
        httpx.AsyncClient(headers=headers or {}, timeout=timeout) as http,
        streamable_http_client(f"{base_url}/mcp", http_client=http) as (read, write, _),
        recording_session(read, write) as session,
    ):
        yield session


@asynccontextmanager
async def recording_session(read: Any, write: Any) -> AsyncIterator[RecordingSession]:
    """An initialized client session over a transport's streams, noting each request id it sends."""
    sent: dict[str, list[Any]] = defaultdict(list)
    to_server, from_client = anyio.create_memory_object_stream[SessionMessage](0)

    async def forward() -> None:
        async with from_client:
            async for message in from_client:
                if isinstance(message.message.root, JSONRPCRequest):
                    sent[message.message.root.method].append(message.message.root.id)
                await write.send(message)

    async with anyio.create_task_group() as tg:
        tg.start_soon(forward)
        async with RecordingSession(read, to_server) as session:
            session.sent = sent
            await session.initialize()
            yield session
        tg.cancel_scope.cancel()


async def cancel_request(session: ClientSession, request_id: Any) -> None:
    """What a client sends to give up on a request (notifications/cancelled)."""
    notification = CancelledNotification(params=CancelledNotificationParams(requestId=request_id))
    await session.send_notification(ClientNotification(notification))


def text_of(result: CallToolResult) -> str:
    return "\n".join(block.text for block in result.content if isinstance(block, TextContent))


def ok(result: CallToolResult) -> dict[str, Any]:
    """The structured content of a successful call; fails the test with the error otherwise."""
    assert not result.isError, text_of(result)
    assert result.structuredContent is not None, text_of(result)
    return dict(result.structuredContent)


def error(result: CallToolResult) -> dict[str, Any]:
    """The body of a tool error: the same in `structuredContent` and in the text a model reads."""
    assert result.isError, text_of(result)
    assert result.structuredContent is not None, text_of(result)
    body = dict(result.structuredContent)
    texts = [b.text for b in result.content if isinstance(b, TextContent)]
    assert texts[0] == f"{body['error']}: {body['detail']}"
    assert json.loads(texts[1]) == body
    return body


def without_status(body: dict[str, Any]) -> dict[str, Any]:
    """A tool error's body as REST answers it (the tool error adds the HTTP status REST would use)."""
    return {key: value for key, value in body.items() if key != "status"}


def strip_plotly_ids(html: str) -> str:
    """Plotly names each chart's div with a random uuid; everything else in a report is deterministic."""
    return re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<id>", html)


def http_statuses(exc: BaseException) -> list[int]:
    """The HTTP statuses the SDK client raised, from inside its task groups' exception groups."""
    if isinstance(exc, BaseExceptionGroup):
        return [status for inner in exc.exceptions for status in http_statuses(inner)]
    return [exc.response.status_code] if isinstance(exc, httpx.HTTPStatusError) else []
