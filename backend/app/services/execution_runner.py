"""`run_execution(execution_id)`: the one job function, and the only writer of an execution's status.

It claims the execution in the database (so no two workers run it to completion), hands it to the agent
pipeline (analyzing -> generating_code -> executing), and always ends it in a final status with a reason:
`completed` with a BacktestRun, `failed` with an error naming the step and the cause, or `cancelled`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, update
from sqlmodel import col

from app.core.config import Settings
from app.core.db import SessionFactory
from app.core.errors import DomainError
from app.models._types import utcnow
from app.models.execution import RUNNING_STATUSES, ExecutionStatus, StrategyExecution
from app.models.params import ExecutionParams
from app.models.strategy import Strategy
from app.services.events import EventBus
from app.services.progress import ExecutionProgress
from app.services.run_storage import store_outcome

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from app.agents.pipeline import ExecutionPipeline

log = logging.getLogger(__name__)
CANCEL_POLL_S = 0.25


@dataclass
class RunnerContext:
    settings: Settings
    session_factory: SessionFactory
    bus: EventBus
    get_pipeline: Callable[[], Awaitable[ExecutionPipeline]]
    worker_id: str = "inprocess"
    lease_s: float = 30.0
    running: dict[str, asyncio.Event] = field(default_factory=dict)


async def claim(ctx: RunnerContext, execution_id: str) -> bool:
    """Atomically takes a queued execution (or one whose lease expired) for this worker."""
    now = utcnow()
    async with ctx.session_factory() as session:
        result = await session.exec(
            update(StrategyExecution)
            .where(
                col(StrategyExecution.id) == execution_id,
                or_(
                    col(StrategyExecution.status) == ExecutionStatus.queued,
                    col(StrategyExecution.status).in_([s.value for s in RUNNING_STATUSES])
                    & (col(StrategyExecution.lease_expires_at) < now),
                ),
            )
            .values(
                worker_id=ctx.worker_id,
                lease_expires_at=now + timedelta(seconds=ctx.lease_s),
                attempts=StrategyExecution.attempts + 1,
                started_at=now,
            )
        )
        await session.commit()
        return bool(result.rowcount)


async def run_execution(execution_id: str, ctx: RunnerContext) -> None:
    if not await claim(ctx, execution_id):
        log.info("execution %s not claimable (taken or final)", execution_id)
        return
    progress = ExecutionProgress(ctx.session_factory, ctx.bus, execution_id)
    async with ctx.session_factory() as session:
        execution = await session.get(StrategyExecution, execution_id)
        strategy = await session.get(Strategy, execution.strategy_id) if execution else None
    if execution is None or strategy is None:
        log.error("execution %s or its strategy vanished", execution_id)
        return
    if execution.cancel_requested:
        await progress.finish(ExecutionStatus.cancelled, "Cancelled before it started")
        return
    if execution.attempts > ctx.settings.max_execution_attempts:
        await progress.finish(
            ExecutionStatus.failed,
            f"Failed: worker lost {execution.attempts - 1} times while running this execution",
            apply=lambda e: setattr(
                e, "error_message", "worker lost: the execution was interrupted too often"
            ),
        )
        return

    cancel = asyncio.Event()
    ctx.running[execution_id] = cancel
    ctx.bus.register_cancel(execution_id, cancel)
    watcher = asyncio.create_task(_watch(ctx, execution_id, cancel))
    started = time.perf_counter()
    try:
        await _run(ctx, execution, strategy, progress, cancel, started)
    finally:
        watcher.cancel()
        ctx.running.pop(execution_id, None)
        ctx.bus.unregister_cancel(execution_id)


async def _run(
    ctx: RunnerContext,
    execution: StrategyExecution,
    strategy: Strategy,
    progress: ExecutionProgress,
    cancel: asyncio.Event,
    started: float,
) -> None:
    from app.agents.pipeline import PipelineJob

    job = PipelineJob(
        execution_id=execution.id,
        user_id=execution.user_id,
        strategy_id=strategy.id,
        strategy_name=strategy.name,
        graph=strategy.graph,
        params=ExecutionParams.model_validate(execution.params),
        edited_code=execution.submitted_code,
    )
    try:
        pipeline = await ctx.get_pipeline()
        work = asyncio.create_task(pipeline.run(job, progress, cancel))
        cancelled = asyncio.create_task(cancel.wait())
        done, _ = await asyncio.wait(
            {work, cancelled}, timeout=ctx.settings.execution_timeout_s, return_when=asyncio.FIRST_COMPLETED
        )
        if work not in done:
            work.cancel()
            await asyncio.gather(work, return_exceptions=True)
            if cancel.is_set():
                await progress.finish(ExecutionStatus.cancelled, f"Cancelled during {progress.status}")
                return
            raise ExecutionTimedOut(
                f"Execution exceeded its {ctx.settings.execution_timeout_s:.0f} s time limit during "
                f"{progress.status}",
                limit="execution_timeout_s",
                value=ctx.settings.execution_timeout_s,
            )
        cancelled.cancel()
        outcome = work.result()
        if cancel.is_set():
            await progress.finish(ExecutionStatus.cancelled, f"Cancelled during {progress.status}")
            return
        elapsed = round(time.perf_counter() - started, 4)
        await store_outcome(ctx.session_factory, progress, execution, outcome, elapsed)
    except DomainError as exc:
        if cancel.is_set():
            await progress.finish(ExecutionStatus.cancelled, f"Cancelled during {progress.status}")
            return
        await _fail(progress, exc.message, {"error": exc.body(), "failed_stage": progress.status})
    except Exception as exc:
        log.exception("execution %s crashed during %s", execution.id, progress.status)
        message = f"Internal error during {progress.status}: {type(exc).__name__}: {exc}"
        await _fail(progress, message, {"error": {"error": "InternalError", "detail": message}})


class ExecutionTimedOut(DomainError):
    status_code = 408


async def _fail(progress: ExecutionProgress, message: str, insights: dict[str, Any]) -> None:
    stage = progress.status

    def apply(execution: StrategyExecution) -> None:
        execution.error_message = message
        execution.agent_insights = {**execution.agent_insights, **insights, "failed_stage": stage}

    await progress.finish(ExecutionStatus.failed, f"Failed during {stage}: {message}", apply=apply)


async def _watch(ctx: RunnerContext, execution_id: str, cancel: asyncio.Event) -> None:
    """Renews the lease and notices a cancel requested through the database (from any API process)."""
    last_renewal = time.monotonic()
    while not cancel.is_set():
        await asyncio.sleep(CANCEL_POLL_S)
        async with ctx.session_factory() as session:
            execution = await session.get(StrategyExecution, execution_id)
            if execution is None:
                return
            if execution.cancel_requested:
                cancel.set()
                return
            if time.monotonic() - last_renewal > ctx.lease_s / 3:
                execution.lease_expires_at = utcnow() + timedelta(seconds=ctx.lease_s)
                session.add(execution)
                await session.commit()
                last_renewal = time.monotonic()
