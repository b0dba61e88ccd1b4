"""`WS /executions/{id}/ws`: replay stored events after `?after=SEQ`, then stream live ones, then close.

Subscribing before reading the database closes the gap between replay and live; events already replayed are
skipped by `seq`, so a watcher sees each event once and in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from app.core.errors import DomainError
from app.core.security import decode_access_token
from app.models.execution import ExecutionStatus, StrategyExecution
from app.services.event_bus import EventBus
from app.services.event_log import events_after

router = APIRouter(tags=["executions"])
HEARTBEAT_S = 15.0
AUTH_TIMEOUT_S = 5.0
CLOSE_UNAUTHORIZED = 4401
CLOSE_NOT_FOUND = 4404


async def _token(websocket: WebSocket) -> str | None:
    token = websocket.query_params.get("token")
    if token:
        return token
    try:
        first = await asyncio.wait_for(websocket.receive_text(), AUTH_TIMEOUT_S)
        message = json.loads(first)
    except (TimeoutError, ValueError, WebSocketDisconnect):
        return None
    value = message.get("token") if isinstance(message, dict) else None
    return value if isinstance(value, str) else None


@router.websocket("/executions/{execution_id}/ws")
async def watch(websocket: WebSocket, execution_id: str) -> None:
    await websocket.accept()
    state = websocket.app.state
    token = await _token(websocket)
    try:
        if token is None:
            raise DomainError("missing token")
        user_id = decode_access_token(token, state.settings.resolved_secret_key())
    except DomainError:
        await websocket.close(code=CLOSE_UNAUTHORIZED, reason="Not authenticated")
        return
    try:
        after = int(websocket.query_params.get("after", "0"))
    except ValueError:
        after = 0
    bus: EventBus = state.event_bus
    subscription = bus.subscribe(execution_id)
    try:
        async with state.session_factory() as session:
            execution = await session.get(StrategyExecution, execution_id)
            if execution is None or execution.user_id != user_id:
                await websocket.close(code=CLOSE_NOT_FOUND, reason="Execution not found")
                return
            backlog = await events_after(session, execution_id, after)
        last_seq = after
        for event in backlog:
            await websocket.send_json(event.model_dump(mode="json"))
            last_seq = event.seq
        if ExecutionStatus(execution.status).is_final:  # its final event was committed with the status
            await _end(websocket, execution.status)
            return
        await _stream_live(websocket, subscription, last_seq)
    except WebSocketDisconnect:
        pass
    finally:
        bus.unsubscribe(subscription)


async def _stream_live(websocket: WebSocket, subscription: Any, last_seq: int) -> None:
    while True:
        if subscription.lagging and subscription.queue.empty():
            await websocket.send_json({"type": "reconnect", "after": last_seq})
            await websocket.close(code=1013, reason="Lagging: reconnect with after")
            return
        try:
            message = await asyncio.wait_for(subscription.queue.get(), HEARTBEAT_S)
        except TimeoutError:
            await websocket.send_json({"type": "heartbeat"})
            continue
        if message.get("type") == "end":
            await _end(websocket, str(message.get("status")))
            return
        seq = int(message.get("seq", 0))
        if seq <= last_seq:
            continue  # already replayed from the database
        await websocket.send_json(message)
        last_seq = seq


async def _end(websocket: WebSocket, status: str) -> None:
    await websocket.send_json({"type": "end", "status": status})
    with contextlib.suppress(Exception):
        await websocket.close(code=1000)
