"""The embedded in-process worker: a fair queue (`fair_queue.FairQueue`: users in turn, at most
MAX_RUNNING_PER_USER of one user's executions running) consumed by N tasks, each calling `run_execution`.

On start it recovers what a previous process left behind: queued executions are enqueued again, and ones that
were mid-run (their process died) are re-run while attempts remain, else failed with "worker lost".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy import update
from sqlmodel import col, select

from app.models.execution import RUNNING_STATUSES, ExecutionStatus, StrategyExecution
from app.services.execution_runner import RunnerContext, run_execution
from app.services.fair_queue import FairQueue

log = logging.getLogger(__name__)


class InProcessWorker:
    def __init__(self, ctx: RunnerContext, concurrency: int) -> None:
        self.ctx = ctx
        self._concurrency = max(1, concurrency)
        self._queue = FairQueue(ctx.settings.max_running_per_user)
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        await self.recover()
        self._tasks = [asyncio.create_task(self._consume(i)) for i in range(self._concurrency)]

    async def enqueue(self, execution_id: str) -> None:
        """Queues the execution behind its user's (the request never fails: with the database away it
        waits in a shared turn, and `run_execution` reads it when its turn comes)."""
        user_id: str | None = None
        try:
            async with self.ctx.session_factory() as session:
                query = select(StrategyExecution.user_id).where(StrategyExecution.id == execution_id)
                user_id = (await session.exec(query)).first()
        except Exception as exc:
            log.warning("enqueue of %s: its user is unknown (%s); queued in a shared turn", execution_id, exc)
        self._queue.put(user_id or "", execution_id)

    async def recover(self) -> None:
        """Requeues executions a previous process left queued or mid-run (this process owns all of them)."""
        async with self.ctx.session_factory() as session:
            await session.exec(
                update(StrategyExecution)
                .where(col(StrategyExecution.status).in_([s.value for s in RUNNING_STATUSES]))
                .values(lease_expires_at=None, status=ExecutionStatus.queued)
            )
            await session.commit()
            rows = await session.exec(
                select(StrategyExecution.id, StrategyExecution.user_id)
                .where(StrategyExecution.status == ExecutionStatus.queued)
                .order_by(col(StrategyExecution.created_at))
            )
            pending = list(rows.all())
        for execution_id, user_id in pending:
            self._queue.put(user_id, execution_id)
        if pending:
            log.info("recovered %d pending executions", len(pending))

    async def _consume(self, index: int) -> None:
        while True:
            user_id, execution_id = await self._queue.get()
            try:
                await run_execution(execution_id, self.ctx)
            except Exception:
                log.exception("worker %d: run_execution(%s) crashed", index, execution_id)
            finally:
                self._queue.done(user_id)

    async def join(self) -> None:
        await self._queue.join()

    async def stop(self) -> None:
        # Running executions are left in their running status: the next start re-runs them (recover()).
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
