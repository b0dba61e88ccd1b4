"""`services/executions.py` directly, on the test database: creation (row and first event in one commit),
views with their log lines from the event log, ownership, cancel rules and what results wait for."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.composition import ParkedQueue
from app.core.errors import Conflict, InvalidInput
from app.models.execution import ExecuteRequest, ExecutionStatus, StrategyExecution
from app.models.user import User
from app.services import executions
from app.services.event_log import EventLog, events_after
from tests.utils.factories import create_strategy, register


async def _user_and_strategy(app: Any, client: httpx.AsyncClient) -> tuple[User, str]:
    headers = await register(client)
    strategy = await create_strategy(client, headers)
    async with app.state.session_factory() as session:
        from app.models.strategy import Strategy

        row = await session.get(Strategy, strategy["id"])
        user = await session.get(User, row.user_id)  # type: ignore[union-attr]
    assert user is not None
    return user, strategy["id"]


async def test_create_commits_the_row_with_event_one_and_views_read_the_log(app: Any, client: Any) -> None:
    user, strategy_id = await _user_and_strategy(app, client)
    async with app.state.session_factory() as session:
        execution = await executions.submit(session, user, strategy_id, ExecuteRequest(), ParkedQueue())
        assert execution.status == ExecutionStatus.queued and execution.id.startswith("exec_")
        events = await events_after(session, execution.id, 0)
    assert [(e.seq, e.status, e.message) for e in events] == [(1, "queued", "Queued")]

    log = EventLog(app.state.session_factory, app.state.event_bus, execution.id)
    await log.stage(ExecutionStatus.analyzing, "reading")
    async with app.state.session_factory() as session:
        row = await session.get(StrategyExecution, execution.id)
        assert row is not None
        (public,) = await executions.views(session, [row])
    assert public.execution_logs == ["Queued", "reading"] and public.status == ExecutionStatus.analyzing
    assert public.params.symbols == ["SPX"]  # the typed parameters, defaults filled


async def test_another_users_execution_is_not_found_and_final_ones_cannot_be_cancelled(
    app: Any, client: Any
) -> None:
    owner, strategy_id = await _user_and_strategy(app, client)
    stranger, _ = await _user_and_strategy(app, client)
    async with app.state.session_factory() as session:
        execution = await executions.submit(session, owner, strategy_id, ExecuteRequest(), ParkedQueue())
        with pytest.raises(executions.ExecutionNotFound):
            await executions.get_owned(session, stranger, execution.id)
        with pytest.raises(executions.ResultsNotReady, match="is queued"):
            await executions.get_results(session, owner, execution.id)
    await EventLog(app.state.session_factory, app.state.event_bus, execution.id).finish(
        ExecutionStatus.failed, "Failed for the test"
    )
    async with app.state.session_factory() as session:
        with pytest.raises(Conflict, match=r"already ended \(failed\)"):
            await executions.request_cancel(session, owner, execution.id)
        for ids in ([], [f"exec_{i}" for i in range(11)]):
            with pytest.raises(InvalidInput, match="between 1 and 10"):
                await executions.get_many(session, owner, ids)
