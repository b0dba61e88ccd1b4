"""The event log on the real test database: every event numbered without gaps, logged once, published."""

from __future__ import annotations

from typing import Any

import httpx
from sqlmodel import col, select

from app.core.ids import new_id
from app.models.event import ExecutionEvent
from app.models.execution import ExecutionStatus, StrategyExecution
from app.models.status import Milestone
from app.models.strategy import Strategy
from app.services import executions
from app.services.event_log import EventLog, first_event, log_lines
from tests.utils.factories import create_strategy, register


async def _running_execution(app: Any, client: httpx.AsyncClient) -> str:
    """An execution in `analyzing` that no worker will pick up (it is never enqueued)."""
    strategy_id = (await create_strategy(client, await register(client)))["id"]
    async with app.state.session_factory() as session:
        strategy = await session.get(Strategy, strategy_id)
        assert strategy is not None
        execution = StrategyExecution(
            id=new_id("exec"),
            strategy_id=strategy.id,
            user_id=strategy.user_id,
            status=ExecutionStatus.analyzing,
            params={},
        )
        session.add(execution)
        await session.flush()
        session.add(first_event(execution))
        await session.commit()
        return execution.id


async def _stored(app: Any, execution_id: str) -> tuple[list[ExecutionEvent], StrategyExecution]:
    async with app.state.session_factory() as session:
        rows = await session.exec(
            select(ExecutionEvent)
            .where(ExecutionEvent.execution_id == execution_id)
            .order_by(col(ExecutionEvent.seq))
        )
        execution = await session.get(StrategyExecution, execution_id)
        assert execution is not None
        return list(rows.all()), execution


async def test_events_are_numbered_logged_and_published_in_order(app: Any, client: httpx.AsyncClient) -> None:
    execution_id = await _running_execution(app, client)
    watcher = app.state.event_bus.subscribe(execution_id)
    progress = EventLog(app.state.session_factory, app.state.event_bus, execution_id)
    await progress.stage(ExecutionStatus.analyzing, "reading the rules")
    await progress.log("understood 1 rule")
    await progress.stage(ExecutionStatus.generating_code, "writing code")
    await progress.log("a log line keeps its stage's progress")
    await progress.stage(ExecutionStatus.executing, "running")
    await progress.log("ran", Milestone.backtest_ran)
    await progress.finish(ExecutionStatus.completed, "Completed")

    events, execution = await _stored(app, execution_id)
    messages = ["Queued", "reading the rules", "understood 1 rule", "writing code"]
    messages += ["a log line keeps its stage's progress", "running", "ran", "Completed"]
    assert [e.seq for e in events] == list(range(1, 9))
    assert [e.message for e in events] == messages
    statuses = ["analyzing"] * 2 + ["generating_code"] * 2 + ["executing"] * 2 + ["completed"]
    assert [e.status for e in events][1:] == statuses
    assert [e.progress for e in events] == [0.0, 0.1, 0.1, 0.35, 0.35, 0.55, 0.85, 1.0]  # PROGRESS's weights
    assert execution.status == ExecutionStatus.completed
    async with app.state.session_factory() as session:
        assert (await log_lines(session, [execution_id]))[execution_id] == messages  # the API's logs
        public = await executions.view(session, execution)
    assert public.execution_logs == messages
    published = [watcher.queue.get_nowait() for _ in range(watcher.queue.qsize())]
    assert [m.get("seq") for m in published] == [2, 3, 4, 5, 6, 7, 8, None]
    assert published[-1] == {"type": "end", "status": "completed"}
    app.state.event_bus.unsubscribe(watcher)


async def test_a_second_writer_never_breaks_the_numbering(app: Any, client: httpx.AsyncClient) -> None:
    """A run re-claimed by another worker while the first still writes: both keep appending after the
    last stored event (the first learns the seq it remembered was taken), no gap, no line lost."""
    execution_id = await _running_execution(app, client)
    first = EventLog(app.state.session_factory, app.state.event_bus, execution_id)
    second = EventLog(app.state.session_factory, app.state.event_bus, execution_id)
    await first.log("first 1")
    await first.log("first 2")
    await second.log("second 1")
    await first.log("first 3")  # its remembered seq (3) was taken by "second 1"
    await second.log("second 2")

    events, _ = await _stored(app, execution_id)
    messages = ["Queued", "first 1", "first 2", "second 1", "first 3", "second 2"]
    assert [e.seq for e in events] == list(range(1, 7))
    assert [e.message for e in events] == messages
