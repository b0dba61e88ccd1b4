"""Restart safety: what a stopped server left queued or mid-run is run when the service starts again."""

from __future__ import annotations

from datetime import timedelta

import httpx

from tests.utils.factories import create_strategy, execute, register, wait_final


def shared(application, app):  # type: ignore[no-untyped-def]
    application.state.injected_sandbox_pool = app.state.sandbox_pool
    application.state.injected_memory = app.state.memory
    return application


async def test_pending_and_interrupted_executions_finish_after_restart(settings, app) -> None:  # type: ignore[no-untyped-def]
    from app.main import create_app
    from app.models._types import utcnow
    from app.models.execution import StrategyExecution

    params = {"symbols": ["SPX"], "start_date": "2015-01-01", "end_date": "2016-12-31"}
    stopped = shared(create_app(settings.model_copy(update={"start_worker": False})), app)
    async with stopped.router.lifespan_context(stopped):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=stopped), base_url="http://a"
        ) as client:
            headers = await register(client)
            strategy = await create_strategy(client, headers)
            queued = await execute(client, headers, strategy["id"], params=params)
            interrupted = await execute(client, headers, strategy["id"], params=params)
        async with stopped.state.session_factory() as session:
            row = await session.get(StrategyExecution, interrupted["id"])
            row.status = "executing"  # as if the process died mid-run
            row.attempts = 1
            row.lease_expires_at = utcnow() - timedelta(seconds=5)
            session.add(row)
            await session.commit()

    restarted = shared(create_app(settings), app)
    async with (
        restarted.router.lifespan_context(restarted),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=restarted), base_url="http://b") as client,
    ):
        first = await wait_final(client, headers, queued["id"])
        second = await wait_final(client, headers, interrupted["id"])
    assert first["status"] == "completed", first["error_message"]
    assert second["status"] == "completed", second["error_message"]


async def test_an_execution_interrupted_too_often_fails_with_worker_lost(settings, app) -> None:  # type: ignore[no-untyped-def]
    from app.main import create_app
    from app.models.execution import StrategyExecution

    stopped = shared(create_app(settings.model_copy(update={"start_worker": False})), app)
    async with stopped.router.lifespan_context(stopped):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=stopped), base_url="http://a"
        ) as client:
            headers = await register(client)
            strategy = await create_strategy(client, headers)
            doomed = await execute(client, headers, strategy["id"])
        async with stopped.state.session_factory() as session:
            row = await session.get(StrategyExecution, doomed["id"])
            row.status = "analyzing"
            row.attempts = settings.max_execution_attempts
            session.add(row)
            await session.commit()

    restarted = shared(create_app(settings), app)
    async with (
        restarted.router.lifespan_context(restarted),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=restarted), base_url="http://b") as client,
    ):
        final = await wait_final(client, headers, doomed["id"])
    assert final["status"] == "failed"
    assert "worker lost" in final["error_message"]


async def test_a_queued_execution_cancelled_while_no_worker_runs_ends_cancelled(settings, app) -> None:  # type: ignore[no-untyped-def]
    from app.main import create_app

    stopped = shared(create_app(settings.model_copy(update={"start_worker": False})), app)
    async with (
        stopped.router.lifespan_context(stopped),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=stopped), base_url="http://a") as client,
    ):
        headers = await register(client)
        strategy = await create_strategy(client, headers)
        queued = await execute(client, headers, strategy["id"])
        response = await client.post(f"/executions/{queued['id']}/cancel", headers=headers)
        assert response.status_code == 200
        assert response.json()["status"] == "queued"  # only the worker writes the final status

    restarted = shared(create_app(settings), app)
    async with (
        restarted.router.lifespan_context(restarted),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=restarted), base_url="http://b") as client,
    ):
        final = await wait_final(client, headers, queued["id"])
    assert final["status"] == "cancelled"
    assert final["execution_logs"][-1] == "Cancelled before it started"


async def test_cancelling_a_queued_execution_ends_it_at_once(client: httpx.AsyncClient, app) -> None:  # type: ignore[no-untyped-def]
    headers = await register(client)
    strategy = await create_strategy(client, headers)
    runtime = app.state.runtime
    worker, runtime.worker = runtime.worker, None  # nothing consumes the queue for a moment
    try:
        queued = await execute(client, headers, strategy["id"])
    finally:
        runtime.worker = worker
    response = await client.post(f"/executions/{queued['id']}/cancel", headers=headers)
    assert response.status_code == 200
    final = await wait_final(client, headers, queued["id"], timeout_s=2)
    assert final["status"] == "cancelled"
