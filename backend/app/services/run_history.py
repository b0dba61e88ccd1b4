"""A user's runs across strategies (the run list), and deleting one run with everything it left behind.

The list reads only the columns a line needs (never the code or the series), joined with the strategy's
name and the run's metrics, newest first:

>>> # GET /executions?status=completed&strategy_id=strat_1&limit=20
>>> # {"items": [{"id": "exec_…", "strategy_name": "MA crossover", "symbols": ["SPX"],
>>> #             "metrics": {"total_return": 25.5, "sharpe_ratio": 0.9, ...}, "edited_code": false, ...}],
>>> #  "total": 42, "limit": 20, "offset": 0}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.errors import Conflict
from app.models.backtest import BacktestRun
from app.models.event import ExecutionEvent
from app.models.execution import ExecutionKind, ExecutionStatus, StrategyExecution
from app.models.run_list import HEADLINE_METRICS, HeadlineMetrics, RunPage, RunSummary
from app.models.strategy import Strategy
from app.models.user import User
from app.services.executions import get_owned

if TYPE_CHECKING:
    from app.services.memory import MemoryService


@dataclass(frozen=True)
class RunQuery:
    strategy_id: str | None = None
    statuses: tuple[ExecutionStatus, ...] = ()
    kind: ExecutionKind | None = None
    limit: int = 50
    offset: int = 0


async def list_runs(session: AsyncSession, user: User, query: RunQuery) -> RunPage:
    E = StrategyExecution
    where: list[Any] = [E.user_id == user.id]
    if query.strategy_id:
        where.append(E.strategy_id == query.strategy_id)
    if query.statuses:
        where.append(col(E.status).in_([s.value for s in query.statuses]))
    if query.kind:
        where.append(E.kind == query.kind.value)

    total = (await session.exec(select(func.count()).select_from(E).where(*where))).one()
    # Twelve columns are past sqlmodel's typed `select` overloads: SQLAlchemy's, on the session's connection.
    connection = await session.connection()
    rows = await connection.execute(
        sa.select(
            col(E.id),
            col(E.strategy_id),
            col(Strategy.name),
            col(E.status),
            col(E.kind),
            col(E.params),
            col(E.submitted_code).is_not(None),
            col(E.backtest_run_id),
            col(E.error_message),
            col(BacktestRun.metrics),
            col(E.created_at),
            col(E.completed_at),
        )
        .join(Strategy, col(Strategy.id) == E.strategy_id)
        .outerjoin(BacktestRun, col(BacktestRun.execution_id) == E.id)
        .where(*where)
        .order_by(col(E.created_at).desc(), col(E.id).desc())
        .limit(query.limit)
        .offset(query.offset)
    )
    items = [_summary(*row) for row in rows.all()]
    return RunPage(items=items, total=total, limit=query.limit, offset=query.offset)


def _summary(
    id: str,
    strategy_id: str,
    strategy_name: str,
    status: str,
    kind: str,
    params: dict[str, Any] | None,
    edited: bool,
    backtest_run_id: str | None,
    error_message: str | None,
    metrics: dict[str, Any] | None,
    created_at: Any,
    completed_at: Any,
) -> RunSummary:
    params = params or {}
    headline = None
    if metrics is not None:
        headline = HeadlineMetrics.model_validate({k: metrics.get(k) for k in HEADLINE_METRICS})
    return RunSummary(
        id=id,
        strategy_id=strategy_id,
        strategy_name=strategy_name,
        status=ExecutionStatus(status),
        kind=ExecutionKind(kind),
        symbols=list(params.get("symbols") or []),
        timeframe=params.get("timeframe"),
        start_date=params.get("start_date"),
        end_date=params.get("end_date"),
        edited_code=bool(edited),
        backtest_run_id=backtest_run_id,
        error_message=error_message,
        metrics=headline,
        created_at=created_at,
        completed_at=completed_at,
    )


async def delete_run(session: AsyncSession, user: User, execution_id: str, memory: MemoryService) -> None:
    """Removes a finished run: its events, its BacktestRun, the row itself, and what memory kept of it
    (so "similar past strategies" never points at a run that is gone). A run still going must be cancelled
    first: its worker would write to a row that no longer exists."""
    execution = await get_owned(session, user, execution_id)
    if not ExecutionStatus(execution.status).is_final:
        raise Conflict(
            f"Execution '{execution_id}' is still {execution.status}: cancel it before deleting it",
            execution_id=execution_id,
            status=execution.status,
        )
    await session.exec(delete(ExecutionEvent).where(col(ExecutionEvent.execution_id) == execution_id))
    await session.exec(delete(BacktestRun).where(col(BacktestRun.execution_id) == execution_id))
    await session.exec(delete(StrategyExecution).where(col(StrategyExecution.id) == execution_id))
    await session.commit()
    await memory.forget_execution(user.id, execution_id)
