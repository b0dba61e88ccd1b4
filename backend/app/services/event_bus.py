"""The live side of execution events: fan-out to the watchers of an execution, and cancel requests.

Events are written to the database first (`event_log`), then published here. The in-process bus fans them
out to bounded per-watcher queues: a slow watcher never blocks the worker; when its queue is full it is told
to reconnect (it then replays what it missed from the database). Scale-out mode carries the same messages
over Redis (`scaleout.redis_bus`).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from typing import Any

log = logging.getLogger(__name__)


class Subscription:
    def __init__(self, execution_id: str, maxsize: int) -> None:
        self.execution_id = execution_id
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=maxsize)
        self.lagging = False

    def offer(self, message: dict[str, Any]) -> None:
        if self.lagging:
            return
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.lagging = True  # the watcher is told to reconnect with `after` once it drains


class EventBus:
    """In-process fan-out of execution events (the embedded default; Redis pub/sub in scale-out)."""

    def __init__(self, watcher_buffer: int = 256) -> None:
        self._subs: dict[str, set[Subscription]] = defaultdict(set)
        self._buffer = watcher_buffer
        self._cancel_handlers: dict[str, asyncio.Event] = {}

    async def start(self) -> None:
        """Nothing to connect in-process (the Redis bus of scale-out mode connects here)."""

    def subscribe(self, execution_id: str) -> Subscription:
        sub = Subscription(execution_id, self._buffer)
        self._subs[execution_id].add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        subs = self._subs.get(sub.execution_id)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self._subs[sub.execution_id]

    def watchers(self, execution_id: str) -> int:
        return len(self._subs.get(execution_id, ()))

    async def publish(self, execution_id: str, message: dict[str, Any]) -> None:
        for sub in list(self._subs.get(execution_id, ())):
            sub.offer(message)

    # Cancellation of a run in this process: the worker registers an event per running execution.
    def register_cancel(self, execution_id: str, event: asyncio.Event) -> None:
        self._cancel_handlers[execution_id] = event

    def unregister_cancel(self, execution_id: str) -> None:
        self._cancel_handlers.pop(execution_id, None)

    async def request_cancel(self, execution_id: str) -> bool:
        event = self._cancel_handlers.get(execution_id)
        if event is None:
            return False
        event.set()
        return True

    async def close(self) -> None:
        self._subs.clear()
