"""`watch.follow`: every event of an execution once, in order, to its final one; from a live bus, from the
database after a lag, and from the database alone when the bus says nothing."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest

from app.models.event import EventPublic
from app.models.execution import ExecuteRequest, ExecutionStatus
from app.models.strategy import StrategyCreate
from app.models.user import UserCreate
from app.services import executions, strategies, users
from app.services.event_bus import EventBus
from app.services.event_log import EventLog
from app.services.language import GraphLimits
from app.services.watch import follow
from tests.utils.factories import SEED_GRAPH


async def new_execution(factory: Any) -> str:
    async with factory() as session:
        user = await users.register(
            session, UserCreate(username=f"w_{secrets.token_hex(4)}", password="x" * 12)
        )
        data = StrategyCreate(name="watched", graph=SEED_GRAPH)
        strategy = await strategies.create(
            session, user, data, GraphLimits(max_nodes=10, max_rules_per_node=5)
        )
        execution = await executions.create(session, user, strategy.id, ExecuteRequest())
    return execution.id


async def rest_of(events: AsyncIterator[EventPublic]) -> list[EventPublic]:
    return [event async for event in events]


async def write_run(log: EventLog, lines: int) -> None:
    await log.stage(ExecutionStatus.analyzing, "Analyzing")
    for i in range(lines):
        await log.log(f"line {i}")
    await log.stage(ExecutionStatus.executing, "Executing")
    await log.finish(ExecutionStatus.failed, "Failed: on purpose")


@pytest.mark.parametrize(
    ("buffer", "publish"),
    [(256, True), (1, True), (256, False)],
    ids=["live", "lagging-watcher", "silent-bus"],
)
async def test_follow_yields_each_event_once_in_order_to_the_final_one(
    app: Any, buffer: int, publish: bool
) -> None:
    factory = app.state.session_factory
    execution_id = await new_execution(factory)
    bus = EventBus(watcher_buffer=buffer)
    writer_bus = bus if publish else EventBus()  # a bus that never reaches the watcher
    events = follow(factory, bus, execution_id, poll_s=0.3)
    seen = [await anext(events)]  # the creation event, from the database; the watcher is subscribed now
    # The whole run is written while the watcher sits on that event: with a buffer of 1 its queue overflows
    # (it must re-read the database), with a silent bus it must poll the database.
    await write_run(EventLog(factory, writer_bus, execution_id), lines=30)
    seen += await asyncio.wait_for(rest_of(events), 10)
    assert [e.seq for e in seen] == list(range(1, 35))  # queued + analyzing + 30 lines + executing + failed
    assert seen[0].message == "Queued" and seen[-1].status == "failed"
    assert [e.message for e in seen[2:32]] == [f"line {i}" for i in range(30)]
    assert bus.watchers(execution_id) == 0  # unsubscribed at the end


async def test_follow_after_the_end_replays_and_stops(app: Any) -> None:
    factory = app.state.session_factory
    execution_id = await new_execution(factory)
    await write_run(EventLog(factory, EventBus(), execution_id), lines=2)
    seen = await asyncio.wait_for(rest_of(follow(factory, EventBus(), execution_id, poll_s=5)), 5)
    assert [e.seq for e in seen] == list(range(1, 7)) and seen[-1].status == "failed"
    tail = await rest_of(follow(factory, EventBus(), execution_id, after=3))
    assert [e.seq for e in tail] == [4, 5, 6]
