"""Another user's ids are "not found" through every tool and resource, with REST's 404 body, and nothing of
theirs changes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from mcp.shared.exceptions import McpError
from pydantic import AnyUrl

from tests.mcp.client import DIP_BUYER, SEED_PARAMS, error, mcp_session, ok, without_status
from tests.utils.factories import create_strategy, execute, register, wait_final
from tests.utils.live_server import LiveServer


@pytest.fixture(scope="module")
async def owned(server: LiveServer) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=server.http_url, timeout=60) as http:
        owner = await register(http)
        strategy = await create_strategy(http, owner)
        execution = await wait_final(
            http, owner, (await execute(http, owner, strategy["id"], params=SEED_PARAMS))["id"]
        )
    assert execution["status"] == "completed"
    return {"owner": owner, "strategy": strategy, "execution": execution}


async def test_another_users_ids_are_not_found_everywhere(
    server: LiveServer, http: httpx.AsyncClient, headers: dict[str, str], owned: dict[str, Any]
) -> None:
    strategy_id, execution_id = owned["strategy"]["id"], owned["execution"]["id"]
    rest_strategy = (await http.get(f"/strategies/{strategy_id}", headers=headers)).json()
    rest_execution = (await http.get(f"/executions/{execution_id}/results", headers=headers)).json()
    calls: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
        ("update_strategy", {"strategy_id": strategy_id, "graph": DIP_BUYER}, rest_strategy),
        ("delete_strategy", {"strategy_id": strategy_id}, rest_strategy),
        ("get_report_link", {"execution_id": execution_id}, rest_execution),
        ("run_backtest", {"strategy_id": strategy_id, "params": SEED_PARAMS}, rest_strategy),
        ("get_execution", {"execution_id": execution_id}, rest_execution),
        ("get_results", {"execution_id": execution_id}, rest_execution),
        ("get_code", {"execution_id": execution_id}, rest_execution),
        ("cancel_execution", {"execution_id": execution_id}, rest_execution),
        ("compare_runs", {"execution_ids": [execution_id]}, rest_execution),
    ]
    async with mcp_session(server.http_url, headers) as session:
        for tool, arguments, rest in calls:
            body = error(await session.call_tool(tool, arguments))
            assert body["status"] == 404, tool
            assert without_status(body) == rest, tool
        for kind in ("report", "bundle"):
            with pytest.raises(McpError) as caught:
                await session.read_resource(AnyUrl(f"stratcrew://executions/{execution_id}/{kind}"))
            assert caught.value.error.code == -32002
            assert caught.value.error.data["error"] == "ExecutionNotFound"
        listed = ok(await session.call_tool("list_strategies", {}))
        runs = ok(await session.call_tool("list_runs", {}))
        filtered = ok(await session.call_tool("list_runs", {"strategy_id": strategy_id}))
        mine = ok(await session.call_tool("create_strategy", {"name": "Mine", "graph": DIP_BUYER}))
        own_run = ok(
            await session.call_tool("run_backtest", {"strategy_id": mine["id"], "params": SEED_PARAMS})
        )
        mixed = error(
            await session.call_tool(
                "compare_runs", {"execution_ids": [own_run["execution_id"], execution_id]}
            )
        )
    assert listed["strategies"] == [] and runs["items"] == [] and runs["total"] == 0
    assert filtered["items"] == [] and filtered["total"] == 0  # their strategy's runs are not listed
    rest_mixed = await http.get(
        "/executions/compare", params={"ids": f"{own_run['execution_id']},{execution_id}"}, headers=headers
    )
    assert mixed["status"] == rest_mixed.status_code == 404 and without_status(mixed) == rest_mixed.json()
    owner = owned["owner"]
    assert (await http.get(f"/strategies/{strategy_id}", headers=owner)).json()["schema"] == owned[
        "strategy"
    ]["schema"]
    runs = (await http.get(f"/executions/strategies/{strategy_id}/executions", headers=owner)).json()
    assert [r["id"] for r in runs] == [execution_id]  # the intruder's run_backtest created nothing
