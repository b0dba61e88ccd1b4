"""Strategies: a user's node graphs, validated on save. Another user's id answers 404."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.errors import NotFound
from app.core.ids import new_id
from app.models._types import utcnow
from app.models.backtest import BacktestRun
from app.models.event import ExecutionEvent
from app.models.execution import StrategyExecution
from app.models.strategy import Strategy, StrategyCreate, StrategyPublic, StrategyUpdate
from app.models.user import User
from app.services.language import GraphLimits, SavedIndicator
from app.services.strategy_checks import stored_issues, strategy_issues


class StrategyNotFound(NotFound):
    pass


def _validated_graph(
    graph: dict[str, Any], limits: GraphLimits, library: Sequence[SavedIndicator]
) -> dict[str, Any]:
    # Refuses a malformed or oversized graph, or an impossible stop (422 naming the node and field); a
    # draft's unfinished parts are kept and reported as the strategy's `issues`.
    strategy_issues(graph, limits=limits, library=library)
    return graph


def public(row: Strategy, *, llm_available: bool, library: Sequence[SavedIndicator] = ()) -> StrategyPublic:
    """A strategy as clients read it, with the draft's `issues` (what blocks a run, node by node);
    ``library``: the owner's saved custom indicators, which its rules may name."""
    return StrategyPublic(
        id=row.id,
        name=row.name,
        graph=row.graph,
        created_at=row.created_at,
        updated_at=row.updated_at,
        issues=stored_issues(row.graph, llm_available=llm_available, library=library),
    )


async def create(
    session: AsyncSession,
    user: User,
    data: StrategyCreate,
    limits: GraphLimits,
    library: Sequence[SavedIndicator] = (),
) -> Strategy:
    graph = _validated_graph(data.graph, limits, library)
    strategy = Strategy(id=new_id("strat"), user_id=user.id, name=data.name, graph=graph)
    session.add(strategy)
    await session.commit()
    return strategy


async def list_for(session: AsyncSession, user: User) -> list[Strategy]:
    rows = await session.exec(
        select(Strategy).where(Strategy.user_id == user.id).order_by(col(Strategy.updated_at).desc())
    )
    return list(rows.all())


async def get_owned(session: AsyncSession, user: User, strategy_id: str) -> Strategy:
    strategy = await session.get(Strategy, strategy_id)
    if strategy is None or strategy.user_id != user.id:
        raise StrategyNotFound(f"Strategy '{strategy_id}' not found", strategy_id=strategy_id)
    return strategy


async def update(
    session: AsyncSession,
    user: User,
    strategy_id: str,
    data: StrategyUpdate,
    limits: GraphLimits,
    library: Sequence[SavedIndicator] = (),
) -> Strategy:
    strategy = await get_owned(session, user, strategy_id)
    strategy.name = data.name
    strategy.graph = _validated_graph(data.graph, limits, library)
    strategy.updated_at = utcnow()
    session.add(strategy)
    await session.commit()
    return strategy


async def remove(session: AsyncSession, user: User, strategy_id: str) -> None:
    """Deletes the strategy with its executions, events and results."""
    strategy = await get_owned(session, user, strategy_id)
    execution_ids = select(StrategyExecution.id).where(StrategyExecution.strategy_id == strategy.id)
    await session.exec(delete(ExecutionEvent).where(col(ExecutionEvent.execution_id).in_(execution_ids)))
    await session.exec(delete(BacktestRun).where(col(BacktestRun.strategy_id) == strategy.id))
    await session.exec(delete(StrategyExecution).where(col(StrategyExecution.strategy_id) == strategy.id))
    await session.delete(strategy)
    await session.commit()
