"""`run_execution` directly (the session's app: real database, warm pool, real pipeline): the atomic claim,
the time limit naming itself, a pipeline error ending the execution with the error's body, and memory
keeping a completed run after its final status (and nothing of a run deleted before that write)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any

import httpx
from sqlmodel import col, select

from app.composition import ParkedQueue
from app.core.tasks import BackgroundTasks
from app.models._types import utcnow
from app.models.event import ExecutionEvent
from app.models.execution import ExecuteRequest, ExecutionStatus, StrategyExecution
from app.models.user import User
from app.services import executions
from app.services.execution_runner import claim, run_execution
from app.services.run_history import delete_run
from tests.utils.factories import create_strategy, register


async def _queued(app: Any, client: httpx.AsyncClient, graph: dict[str, Any] | None = None) -> str:
    """A queued execution that no worker is told about."""
    headers = await register(client)
    strategy = await create_strategy(client, headers, graph)
    async with app.state.session_factory() as session:
        from app.models.strategy import Strategy

        row = await session.get(Strategy, strategy["id"])
        user = await session.get(User, row.user_id)  # type: ignore[union-attr]
        assert user is not None
        execution = await executions.submit(session, user, strategy["id"], ExecuteRequest(), ParkedQueue())
    return execution.id


async def _row(app: Any, execution_id: str) -> StrategyExecution:
    async with app.state.session_factory() as session:
        row = await session.get(StrategyExecution, execution_id)
    assert row is not None
    return row


async def test_a_claim_is_taken_once_until_its_lease_runs_out(app: Any, client: httpx.AsyncClient) -> None:
    execution_id = await _queued(app, client)
    ctx = app.state.runtime.ctx
    other = dataclasses.replace(ctx, worker_id="another-worker", running={})
    assert await claim(ctx, execution_id)
    assert not await claim(other, execution_id)  # the lease is held
    async with app.state.session_factory() as session:
        row = await session.get(StrategyExecution, execution_id)
        assert row is not None and row.worker_id == ctx.worker_id and row.attempts == 1
        row.lease_expires_at = utcnow() - timedelta(seconds=1)
        session.add(row)
        await session.commit()
    assert await claim(other, execution_id)  # expired: another worker may take it over
    row = await _row(app, execution_id)
    assert (row.worker_id, row.attempts) == ("another-worker", 2)


async def test_the_time_limit_ends_the_run_naming_the_limit(app: Any, client: httpx.AsyncClient) -> None:
    execution_id = await _queued(app, client)
    ctx = app.state.runtime.ctx
    hurried = dataclasses.replace(
        ctx, settings=ctx.settings.model_copy(update={"execution_timeout_s": 0.001}), running={}
    )
    await run_execution(execution_id, hurried)
    row = await _row(app, execution_id)
    assert row.status == ExecutionStatus.failed
    assert row.error_message is not None and row.error_message.startswith(
        "Execution exceeded its 0 s time limit"
    )
    assert row.agent_insights["error"]["limit"] == "execution_timeout_s"
    assert row.lease_expires_at is None and row.completed_at is not None


async def test_a_domain_error_fails_the_run_with_its_body_and_stage(
    app: Any, client: httpx.AsyncClient
) -> None:
    unreadable = {"nodes": [{"id": "e1", "type": "entry_condition", "meta": {"rules": ["buy on a hunch"]}}]}
    execution_id = await _queued(app, client)
    async with app.state.session_factory() as session:  # the rules became unreadable after it was queued
        from app.models.strategy import Strategy

        row = await _row(app, execution_id)
        strategy = await session.get(Strategy, row.strategy_id)
        assert strategy is not None
        strategy.graph = unreadable
        session.add(strategy)
        await session.commit()
    await run_execution(execution_id, app.state.runtime.ctx)
    row = await _row(app, execution_id)
    assert row.status == ExecutionStatus.failed
    error = row.agent_insights["error"]
    assert (error["error"], error["node_id"], error["rule"]) == ("RuleNotUnderstood", "e1", "buy on a hunch")
    assert row.agent_insights["failed_stage"] == "analyzing"


async def test_memory_keeps_a_completed_run_after_its_final_status(
    app: Any, client: httpx.AsyncClient
) -> None:
    """The mem0 write is nobody's wait: `run_execution` returns with the run `completed` and its memory write
    still a tracked task (spawned before the final write, so awaiting the tasks finds it written)."""
    execution_id = await _queued(app, client)
    tasks = BackgroundTasks()
    await run_execution(execution_id, dataclasses.replace(app.state.runtime.ctx, running={}, tasks=tasks))
    row = await _row(app, execution_id)
    assert row.status == ExecutionStatus.completed and len(tasks) == 1
    await tasks.idle()
    remembered = await app.state.memory._find(row.user_id, {"execution_id": execution_id})
    assert [m.kind for m in remembered] == ["pattern"]
    assert remembered[0].metadata["strategy_id"] == row.strategy_id
    events = await _messages(app, execution_id)
    assert events[-1].startswith("Completed in ")


class HeldTasks(BackgroundTasks):
    """Background tasks that start only once released: the memory write comes after whatever the test
    does first, whatever the machine's scheduling."""

    def __init__(self) -> None:
        super().__init__()
        self.released = asyncio.Event()

    def spawn(self, work: Coroutine[object, object, None], name: str | None = None) -> asyncio.Task[None]:
        async def held() -> None:
            await self.released.wait()
            await work

        return super().spawn(held(), name)


async def test_a_run_deleted_before_memory_kept_it_leaves_no_memory(
    app: Any, client: httpx.AsyncClient
) -> None:
    """The run is final, so its owner may delete it before the memory write: the delete forgets what memory
    has of it (nothing yet), so the write must notice the run is gone and forget it too."""
    execution_id = await _queued(app, client)
    tasks = HeldTasks()
    await run_execution(execution_id, dataclasses.replace(app.state.runtime.ctx, running={}, tasks=tasks))
    row = await _row(app, execution_id)
    assert row.status == ExecutionStatus.completed and len(tasks) == 1
    async with app.state.session_factory() as session:
        user = await session.get(User, row.user_id)
        assert user is not None
        await delete_run(session, user, execution_id, app.state.memory)
    tasks.released.set()
    await tasks.idle()
    assert await app.state.memory._find(row.user_id, {"execution_id": execution_id}) == []


async def _messages(app: Any, execution_id: str) -> list[str]:
    async with app.state.session_factory() as session:
        rows = await session.exec(
            select(ExecutionEvent)
            .where(ExecutionEvent.execution_id == execution_id)
            .order_by(col(ExecutionEvent.seq))
        )
        return [r.message for r in rows.all()]
