"""Fairness and quotas (issue 15, finding 6): one user's endless runs do not hold another user's backtest,
a daily cap per user, and sign-in and registration attempts limited per username and client address."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from tests.utils.factories import create_strategy, execute, register, wait_final

ENDLESS = "import vectorbt as vbt\nwhile True:\n    pass\n"
SWEEPABLE: dict[str, Any] = {
    "nodes": [
        {
            "id": "e",
            "type": "entry_condition",
            "meta": {"rules": ["SMA({fast=10}) crosses above SMA({slow=50})"]},
        },
        {"id": "sl", "type": "stop_loss", "meta": {"stop_pct": 5.0}},
    ]
}


@asynccontextmanager
async def serving(settings: Any, app: Any, **overrides: Any) -> AsyncIterator[Any]:
    """Another app on the session's database with `overrides` in its settings (the session's warm pool
    and memory store shared)."""
    from app.main import create_app

    application = create_app(settings.model_copy(update=overrides))
    application.state.injected_sandbox_pool = app.state.sandbox_pool
    application.state.injected_memory = app.state.memory
    async with application.router.lifespan_context(application):
        yield application


def client_from(application: Any, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=application, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://test", timeout=60)


async def rows(application: Any, ids: list[str]) -> dict[str, Any]:
    from app.models.execution import StrategyExecution

    async with application.state.session_factory() as session:
        return {i: await session.get(StrategyExecution, i) for i in ids}


async def test_four_endless_runs_of_one_user_do_not_hold_another_users_backtest(settings, app) -> None:  # type: ignore[no-untyped-def]
    # Three workers: today's first-come queue gives them A's first three runs and B waits behind an endless
    # one; with two of A's running at most, the third worker takes B's.
    async with (
        serving(settings, app, worker_concurrency=3, max_running_per_user=2) as application,
        client_from(application, "10.15.0.1") as client,
    ):
        alice, bob = await register(client), await register(client)
        alice_strategy = await create_strategy(client, alice)
        bob_strategy = await create_strategy(client, bob)
        endless = [(await execute(client, alice, alice_strategy["id"], code=ENDLESS))["id"] for _ in range(4)]
        short = (await execute(client, bob, bob_strategy["id"]))["id"]
        deadline = asyncio.get_running_loop().time() + 60
        while (await rows(application, [short]))[short].started_at is None:
            assert asyncio.get_running_loop().time() < deadline, "bob's backtest never started"
            await asyncio.sleep(0.02)
        seen = await rows(application, endless)
        # Alice's third and fourth wait for a turn; her first two hold their workers.
        assert [seen[i].started_at is not None for i in endless] == [True, True, False, False]
        assert all(seen[i].status == "queued" for i in endless[2:])
        for execution_id in endless:
            await client.post(f"/executions/{execution_id}/cancel", headers=alice)
        finals = [await wait_final(client, alice, i) for i in endless]
        bob_final = await wait_final(client, bob, short)
    assert {f["status"] for f in finals} == {"cancelled"}
    assert bob_final["status"] == "completed", bob_final["error_message"]


async def test_a_user_over_the_daily_cap_is_answered_429_with_retry_after(settings, app) -> None:  # type: ignore[no-untyped-def]
    async with (
        serving(settings, app, start_worker=False, max_executions_per_day=2) as application,
        client_from(application, "10.15.0.2") as client,
    ):
        capped, other = await register(client), await register(client)
        strategy = await create_strategy(client, capped, SWEEPABLE)
        await execute(client, capped, strategy["id"])
        sweep_body = {"grid": {"fast": [5, 10], "slow": [50]}, "validation": None}
        first_sweep = await client.post(
            f"/executions/strategies/{strategy['id']}/sweep", json=sweep_body, headers=capped
        )
        refused = await client.post(
            f"/executions/strategies/{strategy['id']}/execute", json={}, headers=capped
        )
        refused_sweep = await client.post(
            f"/executions/strategies/{strategy['id']}/sweep", json=sweep_body, headers=capped
        )
        other_strategy = await create_strategy(client, other)
        other_run = await client.post(
            f"/executions/strategies/{other_strategy['id']}/execute", json={}, headers=other
        )
    assert first_sweep.status_code == 201, first_sweep.text  # a sweep counts as one execution
    assert refused.status_code == 429, refused.text
    body = refused.json()
    assert body["error"] == "TooManyRequests"
    assert "Daily limit reached: 2 executions in the last 24 hours" in body["detail"]
    # The oldest of the two leaves the window in ~24 h.
    assert 23 * 3600 < int(refused.headers["Retry-After"]) <= 24 * 3600
    assert refused_sweep.status_code == 429
    assert other_run.status_code == 201  # per user


async def test_failed_sign_ins_are_limited_per_username_and_per_address(settings, app) -> None:  # type: ignore[no-untyped-def]
    tight = {"start_worker": False, "login_attempts_per_username": 3, "login_attempts_per_address": 5}
    async with serving(settings, app, **tight) as application:
        async with client_from(application, "10.15.0.3") as client:
            await register(client, "victim15")
            statuses = [
                (
                    await client.post("/auth/token", data={"username": "victim15", "password": "nope"})
                ).status_code
                for _ in range(3)
            ]
            locked = await client.post(
                "/auth/token", data={"username": "victim15", "password": "correct horse battery"}
            )
        # From another address the username is still locked: the guesses were against this account.
        async with client_from(application, "10.15.0.4") as elsewhere:
            still = await elsewhere.post(
                "/auth/token", data={"username": "victim15", "password": "correct horse battery"}
            )
            # One address trying many usernames: two per name stays under the username limit.
            spray = [
                (
                    await elsewhere.post("/auth/token", data={"username": f"u15_{i}", "password": "x"})
                ).status_code
                for i in range(5)
            ]
            sprayed = await elsewhere.post("/auth/token", data={"username": "someone_new", "password": "x"})
        async with client_from(application, "10.15.0.5") as fresh:
            fresh_user = await register(fresh)  # another address and user: unaffected
    assert statuses == [401, 401, 401]
    assert locked.status_code == 429, locked.text
    assert "Too many failed sign-ins for user 'victim15': 3 in 900 s" in locked.json()["detail"]
    assert 1 <= int(locked.headers["Retry-After"]) <= 900
    assert still.status_code == 429
    assert spray == [401] * 5
    assert sprayed.status_code == 429, sprayed.text
    assert "from address 10.15.0.4" in sprayed.json()["detail"]
    assert 1 <= int(sprayed.headers["Retry-After"]) <= 900
    assert fresh_user["Authorization"].startswith("Bearer ")


async def test_a_successful_sign_in_clears_the_usernames_failures(settings, app) -> None:  # type: ignore[no-untyped-def]
    async with (
        serving(settings, app, start_worker=False, login_attempts_per_username=3) as application,
        client_from(application, "10.15.0.6") as client,
    ):
        await register(client, "forgetful15")
        good = {"username": "forgetful15", "password": "correct horse battery"}
        bad = {"username": "forgetful15", "password": "wrong"}
        answers = []
        for _ in range(3):
            answers += [(await client.post("/auth/token", data=bad)).status_code for _ in range(2)]
            answers.append((await client.post("/auth/token", data=good)).status_code)
    assert answers == [401, 401, 200] * 3


async def test_registrations_are_limited_per_address(settings, app) -> None:  # type: ignore[no-untyped-def]
    async with serving(settings, app, start_worker=False, registrations_per_address=2) as application:
        async with client_from(application, "10.15.0.7") as client:
            await register(client)
            await register(client)
            refused = await client.post(
                "/auth/register", json={"username": "third15", "password": "long enough pw"}
            )
        async with client_from(application, "10.15.0.8") as other:
            await register(other)  # per address
    assert refused.status_code == 429, refused.text
    assert "Too many registrations from address 10.15.0.7: 2 in 3600 s" in refused.json()["detail"]
    assert 3500 <= int(refused.headers["Retry-After"]) <= 3600
