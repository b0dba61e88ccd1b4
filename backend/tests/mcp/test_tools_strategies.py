"""create_strategy, update_strategy, list_strategies: REST's validation, answers and limits."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.mcp.client import DIP_BUYER, error, http_statuses, mcp_session, ok, text_of, without_status
from tests.utils.factories import wait_final
from tests.utils.live_server import LiveServer

ENTRY = {"id": "e", "type": "entry_condition", "meta": {"rules": ["RSI below 30"]}}


async def test_create_list_update_round_trip_with_rule_readings(
    server: LiveServer, http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    async with mcp_session(server.http_url, headers) as session:
        created_result = await session.call_tool("create_strategy", {"name": "Dip buyer", "graph": DIP_BUYER})
        created = ok(created_result)
        graph = {
            "nodes": [
                *DIP_BUYER["nodes"][:1],
                {"id": "x", "type": "exit_condition", "meta": {"rules": ["RSI above 70"]}},
            ]
        }
        updated = ok(
            await session.call_tool("update_strategy", {"strategy_id": created["id"], "graph": graph})
        )
        listed = ok(await session.call_tool("list_strategies", {}))
    rest = (await http.get(f"/strategies/{created['id']}", headers=headers)).json()
    assert created["id"].startswith("strat_") and created["graph"] == DIP_BUYER
    assert created["rules"] == [
        {
            "node_id": "entry",
            "rule": "Enter on a 5% price drop from the 20-day moving average",
            "understood": "close <= SMA(20) * 0.95",
        }
    ]
    assert created["issues"] == rest["issues"] == []
    assert "close <= SMA(20) * 0.95" in text_of(created_result).split("\n", 1)[0]
    assert updated["name"] == "Dip buyer" and rest["name"] == "Dip buyer"  # kept when not given
    assert rest["schema"] == graph == updated["graph"]
    assert [r["understood"] for r in updated["rules"]] == ["close <= SMA(20) * 0.95", "RSI(14) > 70"]
    assert [s["id"] for s in listed["strategies"]] == [created["id"]]  # only this user's


async def test_a_draft_is_saved_with_rests_issues(
    server: LiveServer, http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    graph = {
        "nodes": [
            {"id": "buy", "type": "entry_condition", "meta": {"rules": ["RSI is bananas", "RSI below 30"]}}
        ]
    }
    async with mcp_session(server.http_url, headers) as session:
        result = await session.call_tool("create_strategy", {"name": "Odd", "graph": graph})
    created = ok(result)
    rest = (await http.get(f"/strategies/{created['id']}", headers=headers)).json()
    assert created["issues"] == rest["issues"] and len(rest["issues"]) == 1
    issue = created["issues"][0]
    assert issue["node_id"] == "buy" and issue["rule"] == "RSI is bananas" and issue["suggestion"]
    assert issue["blocking"] and isinstance(issue["position"], int)
    assert created["rules"] == [{"node_id": "buy", "rule": "RSI below 30", "understood": "RSI(14) < 30"}]
    assert "Fix before run_backtest" in text_of(result).split("\n", 1)[0]


@pytest.mark.parametrize(
    ("name", "graph"),
    [
        ("Bad type", {"nodes": [ENTRY, {"id": "n2", "type": "teleport", "meta": {}}]}),
        ("Dup ids", {"nodes": [ENTRY, {"id": "e", "type": "stop_loss", "meta": {"stop_pct": 5}}]}),
        ("Bad field", {"nodes": [ENTRY, {"id": "sl", "type": "stop_loss", "meta": {"stop_pct": "lots"}}]}),
        ("No entry", {"nodes": [{"id": "sl", "type": "stop_loss", "meta": {"stop_pct": 5}}]}),
        ("Empty rules", {"nodes": [{"id": "e", "type": "entry_condition", "meta": {"rules": []}}]}),
        ("Bad stop", {"nodes": [ENTRY, {"id": "sl", "type": "stop_loss", "meta": {"stop_pct": -5}}]}),
        ("Too many", {"nodes": [ENTRY, *({**ENTRY, "id": f"e{i}"} for i in range(200))]}),
        ("x" * 201, DIP_BUYER),
        ("", DIP_BUYER),
    ],
)  # fmt: skip
async def test_create_answers_what_rest_answers(
    server: LiveServer, http: httpx.AsyncClient, headers: dict[str, str], name: str, graph: dict[str, Any]
) -> None:
    rest = await http.post("/strategies", json={"name": name, "schema": graph}, headers=headers)
    async with mcp_session(server.http_url, headers) as session:
        result = await session.call_tool("create_strategy", {"name": name, "graph": graph})
    if rest.status_code == 201:  # a draft: saved, its gaps listed
        assert ok(result)["issues"] == rest.json()["issues"] != []
        return
    assert rest.status_code == 422
    body = error(result)
    assert body["status"] == 422
    if body["error"] == "ValidationError":  # the request model's own check: the same messages on `name`
        assert [e["msg"] for e in body["errors"]] == [e["msg"] for e in rest.json()["errors"]]
        assert [e["field"] for e in body["errors"]] == ["name"]
    else:
        assert without_status(body) == rest.json()  # the graph check: node id, field and reason
    async with mcp_session(server.http_url, headers) as session:
        assert ok(await session.call_tool("list_strategies", {}))["strategies"] == []


async def test_update_refuses_what_rest_refuses_and_keeps_the_strategy(
    server: LiveServer, http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    bad = {
        "nodes": [
            {"id": "e", "type": "entry_condition", "meta": {"rules": ["RSI below 30"]}},
            {"id": "tp", "type": "take_profit", "meta": {}},
        ]
    }
    async with mcp_session(server.http_url, headers) as session:
        created = ok(await session.call_tool("create_strategy", {"name": "Keep", "graph": DIP_BUYER}))
        body = error(await session.call_tool("update_strategy", {"strategy_id": created["id"], "graph": bad}))
    rest = await http.put(
        f"/strategies/{created['id']}", json={"name": "Keep", "schema": bad}, headers=headers
    )
    assert without_status(body) == rest.json() and body["node_id"] == "tp" and "target_pct" in body["field"]
    assert (await http.get(f"/strategies/{created['id']}", headers=headers)).json()["schema"] == DIP_BUYER


async def test_an_oversized_request_is_refused_before_it_is_read(
    server: LiveServer, headers: dict[str, str]
) -> None:
    rules = ["RSI below 30"] * 200_000  # ~3 MB of JSON: above MAX_BODY_BYTES, like a REST body would be
    graph = {"nodes": [{"id": "e", "type": "entry_condition", "meta": {"rules": rules}}]}
    with pytest.raises(BaseException) as caught:
        async with mcp_session(server.http_url, headers) as session:
            await session.call_tool("create_strategy", {"name": "Huge", "graph": graph})
    assert http_statuses(caught.value) == [413]


async def test_delete_strategy_removes_it_with_its_runs(
    server: LiveServer, http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    async with mcp_session(server.http_url, headers) as session:
        created = ok(await session.call_tool("create_strategy", {"name": "Gone", "graph": DIP_BUYER}))
        run = ok(await session.call_tool("run_backtest", {"strategy_id": created["id"], "wait": False}))
        await wait_final(http, headers, run["execution_id"])
        assert ok(await session.call_tool("delete_strategy", {"strategy_id": created["id"]})) == {
            "deleted": created["id"]
        }
        again = error(await session.call_tool("delete_strategy", {"strategy_id": created["id"]}))
    assert again["error"] == "StrategyNotFound" and again["status"] == 404
    assert (await http.get(f"/strategies/{created['id']}", headers=headers)).status_code == 404
    assert (await http.get(f"/executions/{run['execution_id']}", headers=headers)).status_code == 404
