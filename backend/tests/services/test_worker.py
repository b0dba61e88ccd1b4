"""Restart safety: what a stopped server left queued or mid-run is run when the service starts again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, timedelta
from typing import Any

import httpx

from app.composition import ParkedQueue
from tests.utils.factories import create_strategy, execute, register, wait_final


@asynccontextmanager
async def serving(settings: Any, app: Any, *, worker: bool) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    """Another app process on the same database (sharing the session's warm pool and memory store),
    with or without its in-process worker: `worker=False` is a server that accepts work but runs none."""
    from app.main import create_app

    application = create_app(settings.model_copy(update={"start_worker": worker}))
    application.state.injected_sandbox_pool = app.state.sandbox_pool
    application.state.injected_memory = app.state.memory
    transport = httpx.ASGITransport(app=application)
    async with (
        application.router.lifespan_context(application),
        httpx.AsyncClient(transport=transport, base_url="http://other") as client,
    ):
        yield application, client


async def set_row(application: Any, execution_id: str, **values: Any) -> None:
    from app.models.execution import StrategyExecution

    async with application.state.session_factory() as session:
        row = await session.get(StrategyExecution, execution_id)
        for key, value in values.items():
            setattr(row, key, value)
        session.add(row)
        await session.commit()


async def test_pending_and_interrupted_executions_finish_after_restart(settings, app) -> None:  # type: ignore[no-untyped-def]
    from app.models._types import utcnow

    params = {"symbols": ["SPX"], "start_date": "2015-01-01", "end_date": "2016-12-31"}
    async with serving(settings, app, worker=False) as (stopped, client):
        headers = await register(client)
        strategy = await create_strategy(client, headers)
        queued = await execute(client, headers, strategy["id"], params=params)
        interrupted = await execute(client, headers, strategy["id"], params=params)
        # as if the process died mid-run
        await set_row(
            stopped,
            interrupted["id"],
            status="executing",
            attempts=1,
            lease_expires_at=utcnow() - timedelta(seconds=5),
        )

    async with serving(settings, app, worker=True) as (_restarted, client):
        first = await wait_final(client, headers, queued["id"])
        second = await wait_final(client, headers, interrupted["id"])
    assert first["status"] == "completed", first["error_message"]
    assert second["status"] == "completed", second["error_message"]


async def test_an_execution_interrupted_too_often_fails_with_worker_lost(settings, app) -> None:  # type: ignore[no-untyped-def]
    async with serving(settings, app, worker=False) as (stopped, client):
        headers = await register(client)
        strategy = await create_strategy(client, headers)
        doomed = await execute(client, headers, strategy["id"])
        await set_row(stopped, doomed["id"], status="analyzing", attempts=settings.max_execution_attempts)

    async with serving(settings, app, worker=True) as (_restarted, client):
        final = await wait_final(client, headers, doomed["id"])
    assert final["status"] == "failed"
    assert "worker lost" in final["error_message"]


async def test_a_queued_execution_cancelled_while_no_worker_runs_ends_cancelled(settings, app) -> None:  # type: ignore[no-untyped-def]
    async with serving(settings, app, worker=False) as (_stopped, client):
        headers = await register(client)
        strategy = await create_strategy(client, headers)
        queued = await execute(client, headers, strategy["id"])
        response = await client.post(f"/executions/{queued['id']}/cancel", headers=headers)
        assert response.status_code == 200
        assert response.json()["status"] == "queued"  # only the worker writes the final status

    async with serving(settings, app, worker=True) as (_restarted, client):
        final = await wait_final(client, headers, queued["id"])
    assert final["status"] == "cancelled"
    assert final["execution_logs"][-1] == "Cancelled before it started"


async def test_cancelling_a_queued_execution_ends_it_at_once(client: httpx.AsyncClient, app) -> None:  # type: ignore[no-untyped-def]
    headers = await register(client)
    strategy = await create_strategy(client, headers)
    queue, app.state.queue = app.state.queue, ParkedQueue()  # nothing consumes the queue for a moment
    try:
        queued = await execute(client, headers, strategy["id"])
    finally:
        app.state.queue = queue
    response = await client.post(f"/executions/{queued['id']}/cancel", headers=headers)
    assert response.status_code == 200
    final = await wait_final(client, headers, queued["id"], timeout_s=2)
    assert final["status"] == "cancelled"


async def test_database_interruptions_do_not_spend_the_lost_worker_budget(settings, app) -> None:  # type: ignore[no-untyped-def]
    from app.models._types import utcnow

    async with serving(settings, app, worker=False) as (stopped, client):
        headers = await register(client)
        strategy = await create_strategy(client, headers)
        survivor = await execute(client, headers, strategy["id"])
        # Four earlier claims, each cut short by a database outage that it recorded: no worker was lost.
        await set_row(
            stopped,
            survivor["id"],
            status="executing",
            attempts=4,
            interruptions=4,
            lease_expires_at=utcnow() - timedelta(seconds=5),
        )

    async with serving(settings, app, worker=True) as (_restarted, client):
        final = await wait_final(client, headers, survivor["id"])
    assert final["status"] == "completed", final["error_message"]


async def test_an_execution_the_database_cut_short_too_often_fails_naming_the_limit(settings, app) -> None:  # type: ignore[no-untyped-def]
    limit = settings.max_execution_interruptions
    async with serving(settings, app, worker=False) as (stopped, client):
        headers = await register(client)
        strategy = await create_strategy(client, headers)
        doomed = await execute(client, headers, strategy["id"])
        await set_row(stopped, doomed["id"], status="analyzing", attempts=limit + 1, interruptions=limit + 1)

    async with serving(settings, app, worker=True) as (_restarted, client):
        final = await wait_final(client, headers, doomed["id"])
    assert final["status"] == "failed"
    assert final["error_message"] == (
        f"database unavailable: the execution was cut short {limit + 1} times "
        f"(limit max_execution_interruptions={limit})"
    )


async def test_an_interrupted_run_records_it_and_gives_up_its_lease(settings, app) -> None:  # type: ignore[no-untyped-def]
    from app.models._types import utcnow
    from app.models.execution import StrategyExecution
    from app.services.execution_runner import record_interruption

    async with serving(settings, app, worker=False) as (stopped, client):
        headers = await register(client)
        strategy = await create_strategy(client, headers)
        running = await execute(client, headers, strategy["id"])
        final = await execute(client, headers, strategy["id"])
        ctx = stopped.state.runtime.ctx
        lease = utcnow() + timedelta(seconds=60)
        for execution, status in ((running, "executing"), (final, "failed")):
            await set_row(
                stopped, execution["id"], status=status, worker_id=ctx.worker_id, lease_expires_at=lease
            )
        await record_interruption(ctx, running["id"])
        await record_interruption(ctx, final["id"])
        async with stopped.state.session_factory() as session:
            after = {e["id"]: await session.get(StrategyExecution, e["id"]) for e in (running, final)}
    assert after[running["id"]].interruptions == 1
    released = after[running["id"]].lease_expires_at
    if released.tzinfo is None:  # SQLite hands back the stored UTC time without its zone
        released = released.replace(tzinfo=UTC)
    assert released <= utcnow()  # the sweeper may re-send it at once
    assert after[final["id"]].interruptions == 0  # a final execution is left as it is
