"""The lease sweeper: finds executions that nobody is running and hands them to the queue again.

A running execution holds a lease that its worker renews (`execution_runner._watch`). When the worker dies
(SIGKILL, machine loss) the lease runs out; the sweeper, running in every API and worker process, sends the
execution to the queue again, and `run_execution` claims it (atomically, so one worker wins), re-runs it, or
fails it with "worker lost" once `max_execution_attempts` is spent. The sweeper never writes a status itself:
`run_execution` stays the only writer.

In scale-out mode it also re-sends queued executions whose job never reached a worker (Redis restarted and
lost its queue, or the broker was down when the API enqueued). Which jobs were sent is kept in a ledger: one
key per (execution, attempt), set with SET NX and a TTL, so many sweepers send each job once, and a job lost
with Redis's memory is sent again because its key was lost with it.

>>> import asyncio
>>> ledger = MemoryLedger()
>>> asyncio.run(ledger.first("job:exec_1:0", 60)), asyncio.run(ledger.first("job:exec_1:0", 60))
(True, False)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Protocol

import redis.asyncio as aioredis
from sqlalchemy import ColumnElement, and_, or_
from sqlmodel import col, select

from app.core.db import SessionFactory
from app.models._types import utcnow
from app.models.execution import NOT_FINAL_STATUSES, StrategyExecution

log = logging.getLogger(__name__)


class Ledger(Protocol):
    async def first(self, key: str, ttl_s: float) -> bool:
        """True for the first caller of `key` within `ttl_s`, across every process sharing the ledger."""
        ...

    async def forget(self, key: str) -> None: ...


class MemoryLedger:
    """One process's ledger (embedded mode)."""

    def __init__(self) -> None:
        self._keys: dict[str, float] = {}

    async def first(self, key: str, ttl_s: float) -> bool:
        now = time.monotonic()
        if self._keys.get(key, 0.0) > now:
            return False
        if len(self._keys) > 10_000:
            self._keys = {k: t for k, t in self._keys.items() if t > now}
        self._keys[key] = now + ttl_s
        return True

    async def forget(self, key: str) -> None:
        self._keys.pop(key, None)


class RedisLedger:
    """The ledger shared by every process of a deployment."""

    def __init__(self, client: aioredis.Redis, prefix: str) -> None:
        self._client = client
        self._prefix = prefix

    async def first(self, key: str, ttl_s: float) -> bool:
        return bool(await self._client.set(f"{self._prefix}:{key}", "1", nx=True, px=int(ttl_s * 1000)))

    async def forget(self, key: str) -> None:
        await self._client.delete(f"{self._prefix}:{key}")


def job_key(execution_id: str, attempts: int) -> str:
    return f"job:{execution_id}:{attempts}"


Send = Callable[[str], Awaitable[bool]]


class LeaseSweeper:
    """Periodically re-sends executions with an expired lease (and, in scale-out, unsent queued ones).

    `send(execution_id) -> bool` puts a job on the queue and says whether it got there.
    """

    def __init__(
        self,
        session_factory: SessionFactory,
        ledger: Ledger,
        send: Send,
        *,
        interval_s: float,
        resend_after_s: float,
        include_unleased: bool,
        grace_s: float = 2.0,
        batch: int = 500,
    ) -> None:
        self._factory = session_factory
        self._ledger = ledger
        self._send = send
        self._interval_s = interval_s
        self._resend_after_s = resend_after_s
        self._include_unleased = include_unleased
        self._grace_s = grace_s  # the API commits, then enqueues: don't race that gap
        self._batch = batch
        self._task: asyncio.Task[None] | None = None
        self.resent = 0

    async def sweep_once(self) -> list[str]:
        """One pass; returns the ids sent to the queue."""
        now = utcnow()
        lease = col(StrategyExecution.lease_expires_at)
        stale: ColumnElement[bool] = lease.is_not(None) & (lease < now)
        if self._include_unleased:
            created = col(StrategyExecution.created_at)
            stale = or_(stale, and_(lease.is_(None), created < now - timedelta(seconds=self._grace_s)))
        async with self._factory() as session:
            rows = await session.exec(
                select(StrategyExecution.id, StrategyExecution.attempts)
                .where(col(StrategyExecution.status).in_(NOT_FINAL_STATUSES), stale)
                .order_by(col(StrategyExecution.created_at))
                .limit(self._batch)
            )
            candidates = list(rows.all())
        sent: list[str] = []
        for execution_id, attempts in candidates:
            key = job_key(execution_id, attempts)
            if not await self._ledger.first(key, self._resend_after_s):
                continue
            if await self._send(execution_id):
                sent.append(execution_id)
            else:
                await self._ledger.forget(key)
        if sent:
            self.resent += len(sent)
            log.info("sweeper re-sent %d executions: %s", len(sent), sent[:10])
        return sent

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def _loop(self) -> None:
        while True:
            # Jitter keeps many processes' sweeps from landing on the database at the same instant.
            await asyncio.sleep(self._interval_s * random.uniform(0.8, 1.2))
            try:
                await self.sweep_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # database or Redis away: the next pass tries again
                log.warning("lease sweep failed: %s: %s", type(exc).__name__, exc)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
