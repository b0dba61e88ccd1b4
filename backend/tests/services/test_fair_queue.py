"""The pieces of finding 6 on their own: the embedded worker's fair queue, the sliding windows of the
sign-in limits, and the scale-out workers' check of a user's running executions (real database)."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta
from typing import Any

import httpx

from app.composition import ParkedQueue
from app.models._types import utcnow
from app.models.execution import ExecuteRequest, StrategyExecution
from app.models.user import User
from app.services import executions
from app.services.execution_runner import claim, user_at_limit
from app.services.fair_queue import FairQueue
from app.services.throttle import SlidingWindow
from tests.utils.factories import create_strategy, register


async def test_users_take_turns_and_none_runs_more_than_the_limit() -> None:
    queue = FairQueue(per_user=2)
    for i in range(5):
        queue.put("a", f"a{i}")
    for i in range(2):
        queue.put("b", f"b{i}")
    queue.put("c", "c0")
    first = [await queue.get() for _ in range(5)]
    # a, b, c in turn; a's third waits while two of a's run
    assert [item for _, item in first] == ["a0", "b0", "c0", "a1", "b1"]
    blocked = asyncio.create_task(queue.get())
    await asyncio.sleep(0.01)
    assert not blocked.done() and queue.waiting() == 3
    queue.put("d", "d0")  # a newcomer is served at once, ahead of a's backlog
    assert (await blocked) == ("d", "d0")
    queue.done("a")
    assert (await queue.get()) == ("a", "a2")
    blocked = asyncio.create_task(queue.get())
    await asyncio.sleep(0.01)
    assert not blocked.done()  # a is at its limit again
    queue.done("b")
    queue.done("a")
    assert (await blocked) == ("a", "a3")


async def test_join_waits_for_what_was_handed_out() -> None:
    queue = FairQueue(per_user=1)
    queue.put("a", "a0")
    user, _ = await queue.get()
    joined = asyncio.create_task(queue.join())
    await asyncio.sleep(0.01)
    assert not joined.done()
    queue.done(user)
    await asyncio.wait_for(joined, 1)


def test_a_sliding_window_frees_each_attempt_when_it_leaves_the_window() -> None:
    now = [1000.0]
    window = SlidingWindow(limit=3, window_s=60, clock=lambda: now[0])
    for t in (1000.0, 1010.0, 1020.0):
        now[0] = t
        assert window.retry_after("k") is None
        window.hit("k")
    assert window.retry_after("k") == 40.0  # the first attempt leaves the window at 1060
    assert window.retry_after("other") is None
    now[0] = 1060.0
    assert window.retry_after("k") is None
    window.hit("k")
    assert window.retry_after("k") == 10.0  # now the one at 1010 decides
    window.reset("k")
    assert window.retry_after("k") is None


async def test_a_scale_out_worker_sees_a_user_at_the_running_limit(
    app: Any, client: httpx.AsyncClient
) -> None:
    headers = await register(client)
    strategy = await create_strategy(client, headers)
    async with app.state.session_factory() as session:
        from app.models.strategy import Strategy

        row = await session.get(Strategy, strategy["id"])
        user = await session.get(User, row.user_id)  # type: ignore[union-attr]
        assert user is not None
        ids = [
            (await executions.submit(session, user, strategy["id"], ExecuteRequest(), ParkedQueue())).id
            for _ in range(3)
        ]
    ctx = dataclasses.replace(app.state.runtime.ctx, worker_id="scale-out-test", running={})
    limit = ctx.settings.max_running_per_user
    assert limit == 2
    assert not await user_at_limit(ctx, ids[2])
    assert await claim(ctx, ids[0])
    assert not await user_at_limit(ctx, ids[2])
    assert await claim(ctx, ids[1])
    assert await user_at_limit(ctx, ids[2])  # two of this user's are held by workers
    async with app.state.session_factory() as session:
        held = await session.get(StrategyExecution, ids[0])
        assert held is not None
        held.lease_expires_at = utcnow() - timedelta(seconds=1)  # its worker died: it holds nothing
        session.add(held)
        await session.commit()
    assert not await user_at_limit(ctx, ids[2])
    async with app.state.session_factory() as session:  # leave nothing for the session's worker
        for execution_id in ids:
            row_ = await session.get(StrategyExecution, execution_id)
            assert row_ is not None
            row_.status = "cancelled"
            session.add(row_)
        await session.commit()
