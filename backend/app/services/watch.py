"""Following one execution from inside the service: each of its events once, in `seq` order, to its final one.

For callers that wait on a run rather than stream it to a browser (the MCP face's `run_backtest`). Like the
WebSocket route it subscribes before reading the database, so nothing falls between replay and live; unlike
it, a watcher that lags (its queue overflowed, or the Redis bus lost a message) is not asked to reconnect: it
re-reads what it missed from the database itself. A quiet bus is never trusted for long either: every
`poll_s` the database is read again, so a lost "end" message costs at most that delay, never a hang.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from app.core.db import SessionFactory
from app.models.event import EventPublic
from app.models.execution import ExecutionStatus, StrategyExecution
from app.services.event_bus import EventBus
from app.services.event_log import events_after


async def follow(
    session_factory: SessionFactory, bus: EventBus, execution_id: str, *, after: int = 0, poll_s: float = 2.0
) -> AsyncIterator[EventPublic]:
    """Yields the execution's events after `after`, ending after the event that carries its final status.

    The caller checks ownership first; an execution that does not exist simply yields nothing.
    """
    watch = _Watch(bus, execution_id, after)
    try:
        while True:
            async with session_factory() as session:
                execution = await session.get(StrategyExecution, execution_id)
                backlog = await events_after(session, execution_id, watch.last)
            for event in backlog:
                watch.last = event.seq
                yield event
            if execution is None or ExecutionStatus(execution.status).is_final:
                return  # the final event was committed with the final status, so it was in the backlog
            while (live := await watch.next_live(poll_s)) is not None:
                yield live
                if ExecutionStatus(live.status).is_final:
                    return
    finally:
        watch.close()


class _Watch:
    def __init__(self, bus: EventBus, execution_id: str, after: int) -> None:
        self.bus = bus
        self.subscription = bus.subscribe(execution_id)
        self.last = after

    async def next_live(self, poll_s: float) -> EventPublic | None:
        """The event straight after `last` from the bus, or None when the database must be read again: quiet
        for `poll_s`, a gap in `seq`, an "end" message, or a lagging subscription (then replaced)."""
        while True:
            if self.subscription.lagging:
                self.bus.unsubscribe(self.subscription)
                self.subscription = self.bus.subscribe(self.subscription.execution_id)
                return None
            try:
                message = await asyncio.wait_for(self.subscription.queue.get(), timeout=poll_s)
            except TimeoutError:
                return None
            if message.get("type") != "event":
                return None  # "end" (or a resync marker): the database has the rest
            seq = int(message.get("seq", 0))
            if seq <= self.last:
                continue  # already read from the database
            if seq != self.last + 1:
                return None  # a gap: read it from the database
            self.last = seq
            return EventPublic.model_validate(message)

    def close(self) -> None:
        self.bus.unsubscribe(self.subscription)
