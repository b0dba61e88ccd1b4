"""`run_execution(execution_id)`: the one job function, and the only writer of an execution's status.

It claims the execution in the database (so no two workers run it to completion), hands it to the agent
pipeline (analyzing -> generating_code -> executing), and always ends it in a final status with a reason:
`completed` with a BacktestRun, `failed` with an error naming the step and the cause, or `cancelled`.
What memory keeps of a completed run is written after that, in a tracked background task (nobody waits on
it; shutdown does).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, or_, update
from sqlmodel import col, select

from app.core.config import Settings
from app.core.db import SessionFactory, is_connection_error
from app.core.errors import DomainError
from app.core.tasks import BackgroundTasks
from app.models._types import utcnow
from app.models.execution import (
    NOT_FINAL_STATUSES,
    RUNNING_STATUSES,
    ExecutionKind,
    ExecutionStatus,
    StrategyExecution,
)
from app.models.insights import AgentInsights, ErrorBody
from app.models.params import ExecutionParams
from app.models.strategy import Strategy
from app.models.sweep import Sweep, SweepRequest
from app.services.event_bus import EventBus
from app.services.event_log import EventLog
from app.services.heap import freeze_after_first_run
from app.services.indicators import library_for
from app.services.language import SavedIndicator
from app.services.memory import MemoryService
from app.services.pipeline import Job, Outcome, Pipeline, RunMemory, remember_run
from app.services.research.errors import InvalidSweep
from app.services.research.runner import SweepRun, run_sweep_execution, store_sweep
from app.services.run_storage import store_outcome, stored_insights

log = logging.getLogger(__name__)
CANCEL_POLL_S = 0.25
CANCEL_GRACE_S = 2.0


@dataclass
class RunnerContext:
    settings: Settings
    session_factory: SessionFactory
    bus: EventBus
    get_pipeline: Callable[[], Awaitable[Pipeline]]
    worker_id: str = "inprocess"
    lease_s: float = 30.0
    running: dict[str, asyncio.Event] = field(default_factory=dict)
    tasks: BackgroundTasks = field(default_factory=BackgroundTasks)  # the process's: awaited at shutdown


async def claim(ctx: RunnerContext, execution_id: str) -> bool:
    """Atomically takes a queued execution (or one whose lease expired) for this worker."""
    now = utcnow()
    async with ctx.session_factory() as session:
        result = await session.exec(
            update(StrategyExecution)
            .where(
                col(StrategyExecution.id) == execution_id,
                or_(
                    # A queued execution another worker claimed but has not started yet keeps its lease:
                    # a duplicate job (re-sent by a sweeper, re-delivered by the broker) must not take it.
                    (col(StrategyExecution.status) == ExecutionStatus.queued)
                    & (
                        col(StrategyExecution.lease_expires_at).is_(None)
                        | (col(StrategyExecution.lease_expires_at) < now)
                    ),
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


async def user_at_limit(ctx: RunnerContext, execution_id: str) -> bool:
    """True when this execution's user already has MAX_RUNNING_PER_USER others held by a worker (not final,
    lease live). Scale-out workers then put the job back for later (`worker_host`), so one user's endless
    runs leave the workers to everyone else's; the embedded worker's `FairQueue` never hands such a job out.
    Not atomic with `claim`: two workers checking at the same instant may run one more than the limit."""
    now = utcnow()
    async with ctx.session_factory() as session:
        user_id = (
            await session.exec(select(StrategyExecution.user_id).where(StrategyExecution.id == execution_id))
        ).first()
        if user_id is None:
            return False
        held = await session.exec(
            select(func.count())
            .select_from(StrategyExecution)
            .where(
                StrategyExecution.user_id == user_id,
                col(StrategyExecution.id) != execution_id,
                col(StrategyExecution.status).in_(NOT_FINAL_STATUSES),
                col(StrategyExecution.lease_expires_at) > now,
            )
        )
        return int(held.one()) >= ctx.settings.max_running_per_user


async def run_execution(execution_id: str, ctx: RunnerContext) -> None:
    if not await claim(ctx, execution_id):
        log.info("execution %s not claimable (taken or final)", execution_id)
        return
    progress = EventLog(ctx.session_factory, ctx.bus, execution_id)
    async with ctx.session_factory() as session:
        execution = await session.get(StrategyExecution, execution_id)
        strategy = await session.get(Strategy, execution.strategy_id) if execution else None
        library = await library_for(session, execution.user_id) if execution else []
    if execution is None or strategy is None:
        log.error("execution %s or its strategy vanished", execution_id)
        return
    if execution.cancel_requested:
        await progress.finish(ExecutionStatus.cancelled, "Cancelled before it started")
        return
    refusal = _out_of_attempts(ctx.settings, execution)
    if refusal is not None:
        log_line, reason = refusal
        await progress.finish(
            ExecutionStatus.failed, log_line, apply=lambda e: setattr(e, "error_message", reason)
        )
        return

    cancel = asyncio.Event()
    ctx.running[execution_id] = cancel
    ctx.bus.register_cancel(execution_id, cancel)
    watcher = asyncio.create_task(_watch(ctx, execution_id, cancel))
    started = time.perf_counter()
    try:
        await _run(ctx, execution, strategy, library, progress, cancel, started)
    finally:
        watcher.cancel()
        ctx.running.pop(execution_id, None)
        ctx.bus.unregister_cancel(execution_id)
        freeze_after_first_run()


def _out_of_attempts(settings: Settings, execution: StrategyExecution) -> tuple[str, str] | None:
    """(log line, error message) when this claim must not run: too many workers were lost running it, or
    the database went away under it too often. A database outage is not a lost worker: the run released
    its lease and wrote nothing final, so it has its own, larger budget."""
    lost = execution.attempts - 1 - execution.interruptions
    if lost >= settings.max_execution_attempts:
        return (
            f"Failed: worker lost {lost} times while running this execution",
            "worker lost: the execution was interrupted too often",
        )
    if execution.interruptions > settings.max_execution_interruptions:
        return (
            f"Failed: the database went away {execution.interruptions} times while running this execution",
            f"database unavailable: the execution was cut short {execution.interruptions} times "
            f"(limit max_execution_interruptions={settings.max_execution_interruptions})",
        )
    return None


async def _run(
    ctx: RunnerContext,
    execution: StrategyExecution,
    strategy: Strategy,
    library: list[SavedIndicator],
    progress: EventLog,
    cancel: asyncio.Event,
    started: float,
) -> None:
    job = Job(
        execution_id=execution.id,
        user_id=execution.user_id,
        strategy_id=strategy.id,
        strategy_name=strategy.name,
        graph=strategy.graph,
        params=ExecutionParams.model_validate(execution.params),
        edited_code=execution.submitted_code,
        kind=ExecutionKind(execution.kind),
        library=tuple(library),
    )
    sweep = execution.kind == ExecutionKind.sweep
    limit_s = ctx.settings.sweep_timeout_s if sweep else ctx.settings.execution_timeout_s
    try:
        pipeline = await ctx.get_pipeline()
        # A research run has the same stages, a sweep's work in each (app/services/research/runner.py).
        one_run = (
            _sweep(ctx, execution, strategy, library, progress, cancel, pipeline)
            if sweep
            else pipeline.run(job, progress, cancel)
        )
        work: asyncio.Task[Outcome | SweepRun] = asyncio.create_task(_either(one_run))
        cancelled = asyncio.create_task(cancel.wait())
        done, _ = await asyncio.wait({work, cancelled}, timeout=limit_s, return_when=asyncio.FIRST_COMPLETED)
        if work not in done:
            if cancel.is_set():  # the pipeline got the same event: let it stop its sandbox run in order
                await asyncio.wait({work}, timeout=CANCEL_GRACE_S)
            work.cancel()
            await asyncio.gather(work, return_exceptions=True)
            if cancel.is_set():
                await progress.finish(ExecutionStatus.cancelled, f"Cancelled during {progress.status}")
                return
            raise ExecutionTimedOut(
                f"Execution exceeded its {limit_s:.0f} s time limit during {progress.status}",
                limit="sweep_timeout_s" if sweep else "execution_timeout_s",
                value=limit_s,
            )
        cancelled.cancel()
        outcome = work.result()
        if cancel.is_set():
            await progress.finish(ExecutionStatus.cancelled, f"Cancelled during {progress.status}")
            return
        elapsed = round(time.perf_counter() - started, 4)
        if isinstance(outcome, Outcome):
            await _store_then_remember(ctx, pipeline.memory, progress, execution, outcome, elapsed)
        else:
            await store_sweep(progress, ctx.session_factory, execution, outcome, elapsed)
    except DomainError as exc:
        if is_connection_error(exc):  # e.g. a data lookup that lost its database connection
            await record_interruption(ctx, execution.id)
            raise ExecutionInterrupted(f"database unavailable during {progress.status}: {exc}") from exc
        if cancel.is_set():
            await progress.finish(ExecutionStatus.cancelled, f"Cancelled during {progress.status}")
            return
        await _fail(progress, exc.message, ErrorBody.model_validate(exc.body()))
    except Exception as exc:
        if is_connection_error(exc):
            # The database went away mid-run: nothing final was written, so the run is safe to repeat.
            await record_interruption(ctx, execution.id)
            raise ExecutionInterrupted(f"database unavailable during {progress.status}: {exc}") from exc
        log.exception("execution %s crashed during %s", execution.id, progress.status)
        message = f"Internal error during {progress.status}: {type(exc).__name__}: {exc}"
        await _fail(progress, message, ErrorBody(error="InternalError", detail=message))


async def _sweep(
    ctx: RunnerContext,
    execution: StrategyExecution,
    strategy: Strategy,
    library: list[SavedIndicator],
    progress: EventLog,
    cancel: asyncio.Event,
    pipeline: Pipeline,
) -> SweepRun:
    async with ctx.session_factory() as session:
        row = await session.get(Sweep, execution.id)
    if row is None:
        raise InvalidSweep(f"the sweep request of execution '{execution.id}' is missing")
    return await run_sweep_execution(
        execution,
        strategy.graph,
        SweepRequest.model_validate(row.request),
        progress,
        cancel,
        settings=ctx.settings,
        market_data=pipeline.market_data,
        sandbox_pool=pipeline.sandbox_pool,
        memory=pipeline.memory,
        library=library,
        advisor=await pipeline.sweep_advisor(),
    )


async def _store_then_remember(
    ctx: RunnerContext,
    memory: MemoryService,
    progress: EventLog,
    execution: StrategyExecution,
    outcome: Outcome,
    elapsed: float,
) -> None:
    """Stores the outcome (`completed`), then memory keeps the run, off the path the user waits on (the mem0
    write was ~10% of a run). The task is tracked before the final write, so whoever sees `completed` can
    await the process's tasks (`BackgroundTasks.idle`) and find the memory written."""
    if outcome.memory is None:
        await store_outcome(progress, execution, outcome, elapsed)
        return
    stored: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
    ctx.tasks.spawn(_remember(ctx, memory, outcome.memory, stored), name=f"remember {execution.id}")
    try:
        await store_outcome(progress, execution, outcome, elapsed)
        stored.set_result(True)
    finally:
        if not stored.done():
            stored.set_result(False)  # not completed: memory keeps nothing of it


async def _remember(
    ctx: RunnerContext, memory: MemoryService, run: RunMemory, stored: asyncio.Future[bool]
) -> None:
    if not await stored:
        return
    await remember_run(run, memory)  # memory logs its own failures; the run's status never depends on them
    # The run is final, so its owner may have deleted it meanwhile; its memory must not outlive it (the
    # delete forgets after its commit, so either it saw this write or this check sees the row gone).
    async with ctx.session_factory() as session:
        gone = await session.get(StrategyExecution, run.execution_id) is None
    if gone:
        await memory.forget_execution(run.user_id, run.execution_id)


async def _either(run: Awaitable[Outcome] | Awaitable[SweepRun]) -> Outcome | SweepRun:
    return await run


class ExecutionTimedOut(DomainError):
    status_code = 408


class ExecutionInterrupted(Exception):
    """The run stopped without writing a final status (its database went away); it may run again."""


RELEASE_RETRY_DELAYS_S = (0.0, 0.2, 0.5, 1.0, 2.0)


async def record_interruption(ctx: RunnerContext, execution_id: str) -> None:
    """Records the interruption and lets the lease expire now, so the sweeper re-sends the execution without
    waiting `lease_s`. The database has just failed, so this is tried a few times over ~4 s; if it stays
    away, the lease runs out by itself and the next claim counts this run as a lost worker."""
    for delay in RELEASE_RETRY_DELAYS_S:
        await asyncio.sleep(delay)
        try:
            async with ctx.session_factory() as session:
                await session.exec(
                    update(StrategyExecution)
                    .where(
                        col(StrategyExecution.id) == execution_id,
                        col(StrategyExecution.worker_id) == ctx.worker_id,
                        col(StrategyExecution.status).in_(NOT_FINAL_STATUSES),
                    )
                    .values(lease_expires_at=utcnow(), interruptions=StrategyExecution.interruptions + 1)
                )
                await session.commit()
            return
        except Exception as exc:
            log.warning("could not release the lease of %s: %s: %s", execution_id, type(exc).__name__, exc)


async def _fail(progress: EventLog, message: str, error: ErrorBody) -> None:
    stage = progress.status

    def apply(execution: StrategyExecution) -> None:
        execution.error_message = message
        execution.agent_insights = stored_insights(execution, AgentInsights(error=error, failed_stage=stage))

    await progress.finish(ExecutionStatus.failed, f"Failed during {stage}: {message}", apply=apply)


async def _watch(ctx: RunnerContext, execution_id: str, cancel: asyncio.Event) -> None:
    """Renews the lease and notices a cancel requested through the database (from any API process).

    A database error does not end the watch (the lease covers the gap until the database is back).
    """
    last_renewal = time.monotonic()
    while not cancel.is_set():
        await asyncio.sleep(CANCEL_POLL_S)
        renew = time.monotonic() - last_renewal > ctx.lease_s / 3
        try:
            if not await _watch_once(ctx, execution_id, cancel, renew):
                return
        except Exception as exc:
            log.warning("lease renewal of %s failed: %s: %s", execution_id, type(exc).__name__, exc)
            continue
        if renew:
            last_renewal = time.monotonic()


async def _watch_once(ctx: RunnerContext, execution_id: str, cancel: asyncio.Event, renew: bool) -> bool:
    """One poll; False when watching should stop (gone, cancelled, or another worker holds it now)."""
    async with ctx.session_factory() as session:
        execution = await session.get(StrategyExecution, execution_id)
        if execution is None:
            return False
        if execution.cancel_requested:
            cancel.set()
            return False
        if execution.worker_id != ctx.worker_id:
            log.error("execution %s was taken over by %s (lease lost)", execution_id, execution.worker_id)
            return False
        if renew:
            execution.lease_expires_at = utcnow() + timedelta(seconds=ctx.lease_s)
            session.add(execution)
            await session.commit()
    return True
