"""Creating and reading executions. The API only creates them (commit, then enqueue) and reads them;
`run_execution` is the only writer of an execution's status."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import TYPE_CHECKING

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.errors import Conflict, InvalidInput, NotFound, TooManyRequests
from app.core.ids import new_id
from app.models._types import utcnow
from app.models.backtest import BacktestRun
from app.models.execution import (
    CodePublic,
    ExecuteRequest,
    ExecutionPublic,
    ExecutionStatus,
    StrategyExecution,
)
from app.models.user import User
from app.services import event_log, strategies

if TYPE_CHECKING:
    from app.services.event_bus import EventBus
    from app.services.queue import ExecutionQueue


class ExecutionNotFound(NotFound):
    pass


class ResultsNotReady(Conflict):
    pass


DAY = timedelta(hours=24)


async def check_daily_quota(session: AsyncSession, user: User, limit: int | None) -> None:
    """`TooManyRequests` when ``user`` started ``limit`` executions (of any kind) in the last 24 hours;
    Retry-After is when the oldest of them leaves the window."""
    if limit is None:
        return
    since = utcnow() - DAY
    rows = await session.exec(
        select(StrategyExecution.created_at)
        .where(StrategyExecution.user_id == user.id, col(StrategyExecution.created_at) > since)
        .order_by(col(StrategyExecution.created_at).desc())
        .limit(limit)
    )
    recent = list(rows.all())
    if len(recent) < limit:
        return
    oldest = recent[-1] if recent[-1].tzinfo is not None else recent[-1].replace(tzinfo=UTC)
    wait = (oldest + DAY - utcnow()).total_seconds()
    raise TooManyRequests(
        f"Daily limit reached: {limit} executions in the last 24 hours (MAX_EXECUTIONS_PER_DAY); "
        f"the next one can start in {_duration(wait)}",
        wait,
        limit=limit,
    )


def _duration(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


async def create(
    session: AsyncSession,
    user: User,
    strategy_id: str,
    request: ExecuteRequest,
    *,
    daily_limit: int | None = None,
) -> StrategyExecution:
    strategy = await strategies.get_owned(session, user, strategy_id)
    await check_daily_quota(session, user, daily_limit)
    execution = StrategyExecution(
        id=new_id("exec"),
        strategy_id=strategy.id,
        user_id=user.id,
        status=ExecutionStatus.queued,
        params=request.params.model_dump(mode="json"),
        submitted_code=request.code,
    )
    session.add(execution)
    await session.flush()
    session.add(event_log.first_event(execution))
    await session.commit()
    return execution


async def submit(
    session: AsyncSession,
    user: User,
    strategy_id: str,
    request: ExecuteRequest,
    queue: ExecutionQueue,
    *,
    daily_limit: int | None = None,
) -> StrategyExecution:
    """Creates a `queued` execution (committed first), then enqueues it for the agents; `daily_limit`
    (the MAX_EXECUTIONS_PER_DAY setting, from the faces): more in 24 hours answer 429."""
    execution = await create(session, user, strategy_id, request, daily_limit=daily_limit)
    await queue.enqueue(execution.id)
    return execution


async def cancel(
    session: AsyncSession, user: User, execution_id: str, bus: EventBus, queue: ExecutionQueue
) -> StrategyExecution:
    """Stops a queued or running execution: the process running it is told at once; one still queued is
    run now, so it ends `cancelled` without waiting its turn."""
    execution = await request_cancel(session, user, execution_id)
    if not await bus.request_cancel(execution_id) and execution.status == ExecutionStatus.queued:
        await queue.expedite(execution_id)
    return execution


async def view(session: AsyncSession, execution: StrategyExecution) -> ExecutionPublic:
    """The API's shape of an execution: the row, and its log lines from the event log."""
    return (await views(session, [execution]))[0]


async def views(session: AsyncSession, rows: list[StrategyExecution]) -> list[ExecutionPublic]:
    lines = await event_log.log_lines(session, [row.id for row in rows])
    return [
        ExecutionPublic.model_validate({**row.model_dump(), "execution_logs": lines[row.id]}) for row in rows
    ]


async def get_owned(session: AsyncSession, user: User, execution_id: str) -> StrategyExecution:
    execution = await session.get(StrategyExecution, execution_id)
    if execution is None or execution.user_id != user.id:
        raise ExecutionNotFound(f"Execution '{execution_id}' not found", execution_id=execution_id)
    return execution


async def list_for_strategy(session: AsyncSession, user: User, strategy_id: str) -> list[StrategyExecution]:
    await strategies.get_owned(session, user, strategy_id)
    rows = await session.exec(
        select(StrategyExecution)
        .where(StrategyExecution.strategy_id == strategy_id, StrategyExecution.user_id == user.id)
        .order_by(col(StrategyExecution.created_at).desc())
    )
    return list(rows.all())


async def request_cancel(session: AsyncSession, user: User, execution_id: str) -> StrategyExecution:
    """Marks the execution for cancellation; the runner stops it and writes the final status."""
    execution = await get_owned(session, user, execution_id)
    if ExecutionStatus(execution.status).is_final:
        raise Conflict(
            f"Execution '{execution_id}' already ended ({execution.status})",
            execution_id=execution_id,
            status=execution.status,
        )
    execution.cancel_requested = True
    session.add(execution)
    await session.commit()
    return execution


async def get_results(session: AsyncSession, user: User, execution_id: str) -> BacktestRun:
    execution = await get_owned(session, user, execution_id)
    if execution.status != ExecutionStatus.completed or execution.backtest_run_id is None:
        raise ResultsNotReady(
            f"Results are not ready: execution '{execution_id}' is {execution.status}",
            execution_id=execution_id,
            status=execution.status,
        )
    run = await session.get(BacktestRun, execution.backtest_run_id)
    if run is None:
        raise ExecutionNotFound(f"Results of execution '{execution_id}' not found", execution_id=execution_id)
    return run


async def get_code(session: AsyncSession, user: User, execution_id: str) -> CodePublic:
    """The code that ran (the user's edit when there was one), with the generated and submitted code apart."""
    execution = await get_owned(session, user, execution_id)
    code = execution.submitted_code if execution.submitted_code is not None else execution.generated_code
    if code is None:
        raise ResultsNotReady(
            f"No code yet: execution '{execution_id}' is {execution.status}",
            execution_id=execution_id,
            status=execution.status,
        )
    return CodePublic(
        execution_id=execution_id,
        code=code,
        generated_code=execution.generated_code,
        submitted_code=execution.submitted_code,
    )


async def get_many(session: AsyncSession, user: User, ids: list[str]) -> list[BacktestRun]:
    if not ids or len(ids) > 10:
        raise InvalidInput(f"Give between 1 and 10 execution ids (got {len(ids)})", field="ids")
    return [await get_results(session, user, execution_id) for execution_id in ids]
