"""Execution events and cancel requests across processes, over Redis pub/sub (scale-out mode).

The interface is `EventBus`'s; what changes is where a message travels:

- `publish` never waits on Redis. It appends to an ordered outbox that one sender task drains; while Redis
  is away the sender retries with backoff, so a worker's run is never slowed or failed by Redis, and the
  events of one execution still leave in order (they come from one process).
- Every API process pattern-subscribes to all executions' channels (`{prefix}:events:*`) once at start and
  fans each message out to its local watchers. A per-execution SUBSCRIBE would race the WebSocket's replay
  (the subscription must be live before the database is read, and SUBSCRIBE is asynchronous); one pattern
  subscription that is live before the first request avoids that race.
- When the subscription drops (Redis restarted) and comes back, local watchers may have missed events
  published meanwhile. They are marked lagging and woken: the WebSocket sends `{"type": "reconnect",
  "after": last_seq}` and the client replays from the database, which holds every event (written first).
  A jump in `seq` seen on the channel is handled the same way.
- Cancel requests go on one channel (`{prefix}:cancel`); the process running the execution sets its local
  cancel event at once. The database flag `cancel_requested` stays the source of truth (the runner polls
  it), so a cancel sent while Redis is away still lands, only slower.

>>> bus = RedisEventBus("redis://127.0.0.1:6379/0", prefix="demo")
>>> bus.channel("exec_1")
'demo:events:exec_1'
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from app.services.event_bus import EventBus, Subscription

log = logging.getLogger(__name__)
OUTBOX_LIMIT = 50_000  # messages kept while Redis is away; older ones are dropped (watchers replay)
MAX_BACKOFF_S = 2.0
RESYNC = {"type": "resync", "seq": 0}  # wakes a watcher so it notices `lagging` (seq 0 is never shown)


class RedisEventBus(EventBus):
    def __init__(
        self,
        redis_url: str,
        *,
        prefix: str = "stratcrew",
        receive_events: bool = True,
        watcher_buffer: int = 256,
    ) -> None:
        super().__init__(watcher_buffer)
        self._url = redis_url
        self._prefix = prefix
        self._receive_events = receive_events  # workers publish only; API processes also listen
        self._redis: aioredis.Redis | None = None
        self._outbox: deque[tuple[str, str]] = deque()
        self._outbox_ready = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._last_seq: dict[str, int] = {}
        self.connected = asyncio.Event()
        self.connections = 0  # times the subscription was (re)established
        self.dropped = 0  # outbox overflow

    def channel(self, execution_id: str) -> str:
        return f"{self._prefix}:events:{execution_id}"

    @property
    def cancel_channel(self) -> str:
        return f"{self._prefix}:cancel"

    async def start(self, wait_s: float = 5.0) -> None:
        """Starts the sender and listener; waits (briefly) for the subscription, so no early event is missed.

        Redis being down at start is not fatal: the listener keeps retrying and the outbox keeps events.
        """
        self._redis = aioredis.Redis.from_url(
            self._url, socket_connect_timeout=3, socket_timeout=5, health_check_interval=10
        )
        self._tasks = [asyncio.create_task(self._send_loop()), asyncio.create_task(self._listen_loop())]
        try:
            await asyncio.wait_for(self.connected.wait(), wait_s)
        except TimeoutError:
            log.warning("Redis at %s does not answer yet; live events wait for it", self._url)

    # -- publishing -------------------------------------------------------------------------------------
    async def publish(self, execution_id: str, message: dict[str, Any]) -> None:
        self._post(self.channel(execution_id), json.dumps(message))

    async def request_cancel(self, execution_id: str) -> bool:
        if await super().request_cancel(execution_id):
            return True
        self._post(self.cancel_channel, execution_id)
        return False

    def _post(self, channel: str, data: str) -> None:
        if len(self._outbox) >= OUTBOX_LIMIT:
            self._outbox.popleft()
            self.dropped += 1
        self._outbox.append((channel, data))
        self._outbox_ready.set()

    async def _send_loop(self) -> None:
        backoff = 0.05
        while True:
            await self._outbox_ready.wait()
            self._outbox_ready.clear()
            while self._outbox:
                channel, data = self._outbox[0]
                try:
                    assert self._redis is not None
                    await self._redis.publish(channel, data)
                except (RedisError, OSError) as exc:
                    log.warning("publish to Redis failed (%s); retrying in %.2f s", exc, backoff)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF_S)
                    continue
                backoff = 0.05
                self._outbox.popleft()

    async def flush(self, timeout_s: float = 5.0) -> bool:
        """Waits until every message posted so far has reached Redis (or the timeout); True when empty."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while self._outbox and loop.time() < deadline:  # noqa: ASYNC110 (polls a deque the sender drains)
            await asyncio.sleep(0.02)
        return not self._outbox

    # -- receiving --------------------------------------------------------------------------------------
    async def _listen_loop(self) -> None:
        backoff = 0.05
        while True:
            assert self._redis is not None
            pubsub = self._redis.pubsub()
            try:
                await pubsub.subscribe(self.cancel_channel)
                if self._receive_events:
                    await pubsub.psubscribe(f"{self._prefix}:events:*")
                self.connections += 1
                self._resync_all()  # whatever was published while we were away is in the database
                self.connected.set()
                backoff = 0.05
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if message is not None:
                        await self._deliver(message)
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                if self.connected.is_set():
                    log.warning("Redis subscription lost (%s); reconnecting", exc)
                self.connected.clear()
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_S)

    async def _deliver(self, message: dict[str, Any]) -> None:
        channel = _text(message.get("channel"))
        data = _text(message.get("data"))
        if channel == self.cancel_channel:
            await EventBus.request_cancel(self, data)
            return
        execution_id = channel.rsplit(":", 1)[-1]
        if not self.watchers(execution_id):
            return
        try:
            payload = json.loads(data)
        except ValueError:
            log.warning("unreadable event on %s", channel)
            return
        seq = payload.get("seq")
        if isinstance(seq, int):
            last = self._last_seq.get(execution_id)
            if last is not None and seq > last + 1:
                self._resync(execution_id)  # a message went missing: replay from the database
            self._last_seq[execution_id] = max(seq, last or 0)
        await EventBus.publish(self, execution_id, payload)

    def _resync_all(self) -> None:
        for execution_id in list(self._subs):
            self._resync(execution_id)

    def _resync(self, execution_id: str) -> None:
        for sub in list(self._subs.get(execution_id, ())):
            sub.lagging = True
            with contextlib.suppress(asyncio.QueueFull):
                sub.queue.put_nowait(dict(RESYNC))

    def unsubscribe(self, sub: Subscription) -> None:
        super().unsubscribe(sub)
        if not self.watchers(sub.execution_id):
            self._last_seq.pop(sub.execution_id, None)

    async def close(self) -> None:
        if self._tasks:
            await self.flush(timeout_s=3.0)  # the final "end" messages of runs that just finished
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        if self._redis is not None:
            with contextlib.suppress(Exception):
                await self._redis.aclose()
        await super().close()


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
