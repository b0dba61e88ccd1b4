"""The run list across strategies (`GET /executions`) and deleting one run (`DELETE /executions/{id}`)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from sqlmodel import col, select

from app.models.backtest import BacktestRun
from app.models.event import ExecutionEvent
from app.models.execution import StrategyExecution
from app.models.strategy import Strategy
from tests.utils.factories import SEED_GRAPH, create_strategy, execute, register, wait_final

PARAMS = {"symbols": ["SPX"], "start_date": "2013-01-01", "end_date": "2016-12-31"}
BAD_RULE_GRAPH = {
    "nodes": [{"id": "e1", "type": "entry_condition", "meta": {"rules": ["when the moon is full"]}}]
}


@pytest.fixture(scope="module")
async def history(app):  # type: ignore[no-untyped-def]
    """One user with two strategies: two completed runs of the seed (one with edited code) and one failure."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=60) as client:
        headers = await register(client)
        seed = await create_strategy(client, headers, SEED_GRAPH, name="Dip buyer")
        moon = await create_strategy(client, headers, BAD_RULE_GRAPH, name="Moon phases")
        done = await wait_final(
            client, headers, (await execute(client, headers, seed["id"], params=PARAMS))["id"]
        )
        code = (await client.get(f"/executions/{done['id']}/code", headers=headers)).json()["code"]
        edited = await wait_final(
            client,
            headers,
            (await execute(client, headers, seed["id"], params=PARAMS, code=code + "\n# my edit\n"))["id"],
        )
        failed = await wait_final(client, headers, (await execute(client, headers, moon["id"]))["id"])
    assert done["status"] == edited["status"] == "completed", (done["error_message"], edited["error_message"])
    assert failed["status"] == "failed"
    return {"headers": headers, "seed": seed, "moon": moon, "done": done, "edited": edited, "failed": failed}


async def _list(client: httpx.AsyncClient, headers: dict[str, str], **query: Any) -> dict[str, Any]:
    response = await client.get("/executions", params=query, headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_lists_runs_across_strategies_newest_first_with_names_and_metrics(
    client: httpx.AsyncClient, history: dict[str, Any]
) -> None:
    page = await _list(client, history["headers"])
    ids = [item["id"] for item in page["items"]]
    assert ids == [history["failed"]["id"], history["edited"]["id"], history["done"]["id"]]
    assert page["total"] == 3
    by_id = {item["id"]: item for item in page["items"]}

    done = by_id[history["done"]["id"]]
    assert done["strategy_name"] == "Dip buyer" and done["status"] == "completed"
    assert done["symbols"] == ["SPX"] and done["timeframe"] == "1d"
    assert (done["start_date"], done["end_date"]) == ("2013-01-01", "2016-12-31")
    assert done["edited_code"] is False and done["kind"] == "backtest"
    results = (await client.get(f"/executions/{done['id']}/results", headers=history["headers"])).json()
    for key in ("total_return", "sharpe_ratio", "max_drawdown", "trades", "vs_benchmark"):
        assert done["metrics"][key] == results["metrics"][key], key

    assert by_id[history["edited"]["id"]]["edited_code"] is True
    moon = by_id[history["failed"]["id"]]
    assert moon["strategy_name"] == "Moon phases" and moon["metrics"] is None
    assert "when the moon is full" in moon["error_message"]


async def test_filters_by_strategy_status_and_kind(
    client: httpx.AsyncClient, history: dict[str, Any]
) -> None:
    headers = history["headers"]
    seed_runs = await _list(client, headers, strategy_id=history["seed"]["id"])
    assert {i["id"] for i in seed_runs["items"]} == {history["done"]["id"], history["edited"]["id"]}
    failed = await _list(client, headers, status="failed")
    assert [i["id"] for i in failed["items"]] == [history["failed"]["id"]]
    both = await client.get("/executions?status=failed&status=completed", headers=headers)
    assert both.json()["total"] == 3
    assert (await _list(client, headers, kind="backtest"))["total"] == 3
    assert (await _list(client, headers, kind="sweep"))["total"] == 0
    bad = await client.get("/executions?status=finished", headers=headers)
    assert bad.status_code == 422 and "status" in bad.json()["detail"]


async def test_a_sweep_is_found_by_its_kind(client: httpx.AsyncClient, history: dict[str, Any], app) -> None:  # type: ignore[no-untyped-def]
    headers = history["headers"]
    other = await create_strategy(client, headers, SEED_GRAPH, name="Grid")
    async with app.state.session_factory() as session:
        me = await session.get(Strategy, other["id"])
        assert me is not None
        session.add(
            StrategyExecution(
                id="exec_sweeptest1",
                strategy_id=other["id"],
                user_id=me.user_id,
                status="cancelled",
                kind="sweep",
                params={},
            )
        )
        await session.commit()
    sweeps = await _list(client, headers, kind="sweep")
    assert [(i["id"], i["strategy_name"], i["kind"]) for i in sweeps["items"]] == [
        ("exec_sweeptest1", "Grid", "sweep")
    ]
    assert (await client.delete("/executions/exec_sweeptest1", headers=headers)).status_code == 204


async def test_pages_through_the_runs(client: httpx.AsyncClient, history: dict[str, Any]) -> None:
    headers = history["headers"]
    everything = [i["id"] for i in (await _list(client, headers))["items"]]
    first = await _list(client, headers, limit=2)
    second = await _list(client, headers, limit=2, offset=2)
    assert [i["id"] for i in first["items"]] + [i["id"] for i in second["items"]] == everything
    assert first["total"] == second["total"] == len(everything)
    assert (first["limit"], second["offset"]) == (2, 2)
    assert (await client.get("/executions?limit=0", headers=headers)).status_code == 422


async def test_other_users_see_none_of_it(client: httpx.AsyncClient, history: dict[str, Any]) -> None:
    stranger = await register(client)
    assert (await _list(client, stranger))["total"] == 0
    assert (await _list(client, stranger, strategy_id=history["seed"]["id"]))["items"] == []
    assert (await client.delete(f"/executions/{history['done']['id']}", headers=stranger)).status_code == 404


async def test_delete_removes_the_run_its_events_results_and_memories(client: httpx.AsyncClient, app) -> None:  # type: ignore[no-untyped-def]
    headers = await register(client)
    strategy = await create_strategy(client, headers)
    keep = await wait_final(
        client, headers, (await execute(client, headers, strategy["id"], params=PARAMS))["id"]
    )
    gone = await wait_final(
        client, headers, (await execute(client, headers, strategy["id"], params=PARAMS))["id"]
    )
    assert keep["status"] == gone["status"] == "completed"
    await app.state.runtime.tasks.idle()  # memory keeps a run after it is completed
    memory = app.state.memory
    user_id = gone["user_id"]
    remembered = [m for m in await memory._find(user_id, {"execution_id": gone["id"]})]
    assert remembered, "the run's pattern should be in memory before the delete"

    response = await client.delete(f"/executions/{gone['id']}", headers=headers)
    assert response.status_code == 204

    async with app.state.session_factory() as session:
        assert (await session.get(StrategyExecution, gone["id"])) is None
        assert (
            await session.exec(select(BacktestRun).where(BacktestRun.execution_id == gone["id"]))
        ).all() == []
        events = await session.exec(
            select(ExecutionEvent).where(col(ExecutionEvent.execution_id) == gone["id"])
        )
        assert events.all() == []
        # the other run is untouched
        assert (await session.get(StrategyExecution, keep["id"])) is not None
        assert (await session.exec(select(BacktestRun).where(BacktestRun.execution_id == keep["id"]))).one()
    assert await memory._find(user_id, {"execution_id": gone["id"]}) == []
    assert await memory._find(user_id, {"execution_id": keep["id"]})
    assert (await client.get(f"/executions/{gone['id']}", headers=headers)).status_code == 404
    assert (await client.delete(f"/executions/{gone['id']}", headers=headers)).status_code == 404
    assert [i["id"] for i in (await _list(client, headers))["items"]] == [keep["id"]]


async def test_a_run_still_going_cannot_be_deleted(client: httpx.AsyncClient, app) -> None:  # type: ignore[no-untyped-def]
    headers = await register(client)
    strategy = await create_strategy(client, headers)
    async with app.state.session_factory() as session:
        owner = await session.get(Strategy, strategy["id"])
        assert owner is not None
        session.add(
            StrategyExecution(
                id="exec_runningtest",
                strategy_id=strategy["id"],
                user_id=owner.user_id,
                status="executing",
                params={},
            )
        )
        await session.commit()
    response = await client.delete("/executions/exec_runningtest", headers=headers)
    assert response.status_code == 409 and "cancel it" in response.json()["detail"]
    async with app.state.session_factory() as session:
        stored = await session.get(StrategyExecution, "exec_runningtest")
        assert stored is not None
        stored.status = "cancelled"
        session.add(stored)
        await session.commit()
    assert (await client.delete("/executions/exec_runningtest", headers=headers)).status_code == 204


async def test_edited_code_is_kept_apart_from_the_generated_code(
    client: httpx.AsyncClient, history: dict[str, Any]
) -> None:
    headers = history["headers"]
    plain = (await client.get(f"/executions/{history['done']['id']}/code", headers=headers)).json()
    assert plain["submitted_code"] is None and plain["code"] == plain["generated_code"]
    edited = (await client.get(f"/executions/{history['edited']['id']}", headers=headers)).json()
    assert edited["submitted_code"] == plain["code"] + "\n# my edit\n"
    # same strategy and parameters: the generated code is the one the plain run compiled, not the edit
    assert edited["generated_code"] == plain["generated_code"]
    assert edited["agent_insights"]["spec"], "the spec is recorded for an edited run too"
    code = (await client.get(f"/executions/{history['edited']['id']}/code", headers=headers)).json()
    assert code["code"] == edited["submitted_code"]  # what ran
    assert code["generated_code"] == plain["generated_code"]
    bundle = (await client.get(f"/executions/{history['edited']['id']}/bundle", headers=headers)).json()
    assert bundle["code"] == edited["submitted_code"]


async def test_the_run_log_states_numbers_in_their_units(
    client: httpx.AsyncClient, history: dict[str, Any]
) -> None:
    logs = history["done"]["execution_logs"]
    executor = next(line for line in logs if line.startswith("Executor: total return"))
    assert re.fullmatch(
        r"Executor: total return [+-]\d+\.\d\d%, .*\d+ trades?, vs benchmark [+-]\d+\.\d\d pp", executor
    )
    assert re.search(
        r"Completed in \d+\.\d\d s: total return [+-]\d+\.\d\d%, Sharpe -?\d+\.\d\d, \d+ trades?", logs[-1]
    )
    assert not re.search(r"\d\.\d{4,}", " ".join(logs)), "a raw float reached the log"
