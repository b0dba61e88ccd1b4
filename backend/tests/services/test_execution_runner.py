"""`run_execution` directly (the session's app: real database, warm pool, real pipeline): the atomic claim,
the time limit naming itself, and a pipeline error ending the execution with the error's body."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import httpx

from app.composition import ParkedQueue
from app.models._types import utcnow
from app.models.execution import ExecuteRequest, ExecutionStatus, StrategyExecution
from app.models.user import User
from app.services import executions
from app.services.execution_runner import claim, run_execution
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
