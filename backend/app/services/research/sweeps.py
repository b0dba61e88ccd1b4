"""Creating and reading sweep executions (the API side): validated before anything is queued, so an
unknown parameter, a value the strategy refuses or a grid too large answers 422 naming it."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Iterator, Sequence
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.config import Settings
from app.core.errors import Conflict
from app.core.ids import new_id
from app.models.execution import ExecutionKind, ExecutionStatus, StrategyExecution
from app.models.sweep import GridRange, Sweep, SweepPublic, SweepRequest
from app.models.user import User
from app.services import event_log, executions, strategies
from app.services.indicators import library_for
from app.services.language import SavedIndicator
from app.services.queue import ExecutionQueue
from app.services.research.design import Design, design
from app.services.research.errors import InvalidSweep
from app.services.research.kernel.engine import OBJECTIVES
from app.services.research.kernel.export import TABLE_COLUMNS, unpack_table

MAX_VALUES_PER_PARAM = 10_000


class SweepNotReady(Conflict):
    pass


def expand_grid(request: SweepRequest, settings: Settings) -> dict[str, list[float]]:
    grid: dict[str, list[float]] = {}
    for name, spec in request.grid.items():
        try:
            values = spec.values(MAX_VALUES_PER_PARAM) if isinstance(spec, GridRange) else list(spec)
        except ValueError as exc:
            raise InvalidSweep(f"parameter {name!r}: {exc}", param=name) from None
        if len(set(values)) != len(values):
            raise InvalidSweep(f"parameter {name!r} lists a value twice", param=name)
        grid[name] = [float(v) for v in values]
    size = 1
    for values in grid.values():
        size *= len(values)
    if size > settings.max_sweep_combinations:
        raise InvalidSweep(
            f"the grid has {size:,} combinations, more than the limit of {settings.max_sweep_combinations:,} "
            "(setting MAX_SWEEP_COMBINATIONS); sweep fewer values",
            param=None,
            combinations=size,
            limit=settings.max_sweep_combinations,
        )
    return grid


def check_request(request: SweepRequest, grid: dict[str, list[float]]) -> None:
    if request.objective not in OBJECTIVES:
        raise InvalidSweep(
            f"objective {request.objective!r} is not one of {', '.join(OBJECTIVES)}", param="objective"
        )
    for name in request.heatmap or []:
        if name not in grid:
            raise InvalidSweep(f"heatmap names {name!r}, which the grid does not sweep", param=name)


def design_for(
    graph: dict[str, Any],
    request: SweepRequest,
    settings: Settings,
    library: Sequence[SavedIndicator] = (),
) -> Design:
    grid = expand_grid(request, settings)
    check_request(request, grid)
    return design(graph, request.params, grid, library)


async def create(
    session: AsyncSession, user: User, strategy_id: str, request: SweepRequest, settings: Settings
) -> StrategyExecution:
    strategy = await strategies.get_owned(session, user, strategy_id)
    await executions.check_daily_quota(session, user, settings.max_executions_per_day)
    # Builds the strategy once per swept value: off the event loop.
    library = await library_for(session, user.id)
    await asyncio.to_thread(design_for, strategy.graph, request, settings, library)
    execution = StrategyExecution(
        id=new_id("exec"),
        strategy_id=strategy.id,
        user_id=user.id,
        status=ExecutionStatus.queued,
        kind=ExecutionKind.sweep,
        params=request.params.model_dump(mode="json"),
    )
    session.add(execution)
    await session.flush()
    session.add(Sweep(execution_id=execution.id, user_id=user.id, request=request.model_dump(mode="json")))
    session.add(event_log.first_event(execution))
    await session.commit()
    return execution


async def submit(
    session: AsyncSession,
    user: User,
    strategy_id: str,
    request: SweepRequest,
    settings: Settings,
    queue: ExecutionQueue,
) -> StrategyExecution:
    """Creates a `queued` sweep execution (committed first), then enqueues it (REST and MCP alike)."""
    execution = await create(session, user, strategy_id, request, settings)
    await queue.enqueue(execution.id)
    return execution


async def get_sweep(session: AsyncSession, user: User, execution_id: str) -> tuple[StrategyExecution, Sweep]:
    execution = await executions.get_owned(session, user, execution_id)
    row = await session.get(Sweep, execution_id)
    if execution.kind != ExecutionKind.sweep or row is None:
        raise executions.ExecutionNotFound(
            f"Execution '{execution_id}' is not a sweep", execution_id=execution_id
        )
    if execution.status != ExecutionStatus.completed or row.summary is None:
        raise SweepNotReady(
            f"Sweep '{execution_id}' is {execution.status}; its results exist once it has completed",
            execution_id=execution_id,
            status=execution.status,
        )
    return execution, row


def public(execution: StrategyExecution, row: Sweep) -> SweepPublic:
    summary = dict(row.summary or {})
    summary.pop("table", None)
    return SweepPublic.model_validate(
        {
            **summary,
            "execution_id": execution.id,
            "status": execution.status,
            "optimization": (execution.agent_insights or {}).get("optimization"),
        }
    )


def csv_lines(row: Sweep) -> Iterator[str]:
    """The full table: one line per combination that ran (grid order), its values then its metrics."""
    summary = row.summary or {}
    grid: dict[str, list[float]] = summary.get("grid") or {}
    names = list(grid)
    shape = [len(grid[n]) for n in names]
    size = 1
    for n in shape:
        size *= n
    ids, metrics = unpack_table(row.table_data or {}, size)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([*names, *TABLE_COLUMNS])
    yield buffer.getvalue()
    for start in range(0, len(ids), 5000):
        buffer.seek(0)
        buffer.truncate()
        for combo, values in zip(ids[start : start + 5000], metrics[start : start + 5000], strict=True):
            index = []
            rest = int(combo)
            for n in reversed(shape):
                index.append(rest % n)
                rest //= n
            cells = [grid[name][i] for name, i in zip(names, reversed(index), strict=True)]
            writer.writerow([*(_cell(v) for v in cells), *(_cell(float(v)) for v in values)])
        yield buffer.getvalue()


def _cell(value: float) -> str:
    if value != value:  # NaN: undefined for this combination
        return ""
    return f"{value:.6g}" if abs(value) < 1e15 else repr(value)
