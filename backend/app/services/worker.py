"""The embedded in-process worker: an asyncio queue consumed by N tasks, each calling `run_execution`.

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

log = logging.getLogger(__name__)


class InProcessWorker:
    def __init__(self, ctx: RunnerContext, concurrency: int) -> None:
        self.ctx = ctx
        self._concurrency = max(1, concurrency)
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        await self.recover()
        self._tasks = [asyncio.create_task(self._consume(i)) for i in range(self._concurrency)]

    async def enqueue(self, execution_id: str) -> None:
        self._queue.put_nowait(execution_id)

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
                select(StrategyExecution.id)
                .where(StrategyExecution.status == ExecutionStatus.queued)
                .order_by(col(StrategyExecution.created_at))
            )
            pending = list(rows.all())
        for execution_id in pending:
            self._queue.put_nowait(execution_id)
        if pending:
            log.info("recovered %d pending executions", len(pending))

    async def _consume(self, index: int) -> None:
        while True:
            execution_id = await self._queue.get()
            try:
                await run_execution(execution_id, self.ctx)
            except Exception:
                log.exception("worker %d: run_execution(%s) crashed", index, execution_id)
            finally:
                self._queue.task_done()

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
