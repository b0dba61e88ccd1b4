"""The per-user custom indicator library (`/indicators`, issue 14 section 4): saved once, usable by name in
every strategy of that user, through the rule check, the strategy's issues and a real run; private to
its owner; checked like a node (bad names, unknown names and circles refused); remembered by memory."""

from __future__ import annotations

from typing import Any

import httpx

from tests.utils.factories import create_strategy, execute, register, wait_final

SPREAD = {"name": "Spread", "formula": "close - SMA(50)"}


def _graph(rule: str, *nodes: dict[str, Any]) -> dict[str, Any]:
    return {
        "nodes": [
            {"id": "entry", "type": "entry_condition", "meta": {"rules": [rule]}},
            {"id": "sl", "type": "stop_loss", "meta": {"stop_pct": 5.0}},
            *nodes,
        ]
    }


async def _save(client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, str]) -> httpx.Response:
    return await client.post("/indicators", json=body, headers=headers)


async def test_save_list_read_replace_delete(client: httpx.AsyncClient) -> None:
    headers = await register(client)
    created = await _save(client, headers, SPREAD)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["id"].startswith("ind_")
    assert (body["name"], body["formula"], body["understood"]) == (
        "Spread",
        "close - SMA(50)",
        "close - SMA(50)",
    )

    fast = await _save(client, headers, {"name": "trendgap", "formula": "EMA(12) - EMA(26)"})
    assert fast.status_code == 201
    listed = (await client.get("/indicators", headers=headers)).json()
    assert [(i["name"], i["formula"]) for i in listed] == [
        ("Spread", "close - SMA(50)"),
        ("trendgap", "EMA(12) - EMA(26)"),
    ]
    # Names are case-insensitive, as in rules: the same name again replaces the formula (200, same id).
    again = await _save(client, headers, {"name": "SPREAD", "formula": "close - SMA(20)"})
    assert again.status_code == 200
    assert again.json()["id"] == body["id"] and again.json()["formula"] == "close - SMA(20)"
    read = await client.get("/indicators/spread", headers=headers)
    assert read.status_code == 200 and read.json()["name"] == "SPREAD"
    assert len((await client.get("/indicators", headers=headers)).json()) == 2

    assert (await client.delete("/indicators/Spread", headers=headers)).status_code == 204
    assert (await client.get("/indicators/spread", headers=headers)).status_code == 404
    assert [i["name"] for i in (await client.get("/indicators", headers=headers)).json()] == ["trendgap"]


async def test_another_users_indicators_are_404_and_invisible(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    intruder = await register(client)
    assert (await _save(client, owner, SPREAD)).status_code == 201
    assert (await client.get("/indicators", headers=intruder)).json() == []
    assert (await client.get("/indicators/spread", headers=intruder)).status_code == 404
    missing = await client.delete("/indicators/spread", headers=intruder)
    assert missing.status_code == 404 and missing.json()["error"] == "IndicatorNotFound"
    # The intruder's rules cannot name it either.
    check = await client.post("/strategies/rules/validate", json={"rule": "spread above 0"}, headers=intruder)
    assert check.status_code == 422
    # Their own indicator of the same name is theirs alone.
    assert (await _save(client, intruder, {"name": "spread", "formula": "high - low"})).status_code == 201
    mine = (await client.get("/indicators/spread", headers=owner)).json()
    assert mine["formula"] == "close - SMA(50)"
    assert (await client.get("/indicators", headers=owner)).status_code == 200
    assert (await client.get("/indicators")).status_code == 401


async def test_bad_names_unknown_names_and_circles_are_refused(client: httpx.AsyncClient) -> None:
    headers = await register(client)
    bad = await _save(client, headers, {"name": "RSI", "formula": "close"})
    assert bad.status_code == 422 and bad.json()["error"] == "InvalidStrategyGraph"
    assert bad.json()["field"] == "meta.name"
    unknown = await _save(client, headers, {"name": "spreadx", "formula": "close - wobble"})
    assert unknown.status_code == 422 and unknown.json()["error"] == "RuleNotUnderstood"
    assert (
        "'wobble' is neither an indicator the language knows nor a custom indicator"
        in unknown.json()["detail"]
    )
    assert (await _save(client, headers, {"name": "base", "formula": "close - SMA(50)"})).status_code == 201
    assert (await _save(client, headers, {"name": "twice", "formula": "base * 2"})).status_code == 201
    circle = await _save(client, headers, {"name": "base", "formula": "twice - close"})
    assert circle.status_code == 422 and circle.json()["field"] == "meta.formula"
    assert "in a circle (twice -> base -> twice)" in circle.json()["detail"]
    assert (await client.get("/indicators/base", headers=headers)).json()["formula"] == "close - SMA(50)"
    # One another saved indicator uses stays until that one goes.
    used = await client.delete("/indicators/base", headers=headers)
    assert used.status_code == 409 and used.json()["used_by"] == ["twice"]
    assert (await client.delete("/indicators/twice", headers=headers)).status_code == 204
    assert (await client.delete("/indicators/base", headers=headers)).status_code == 204


async def test_rules_name_saved_indicators_and_a_node_of_the_same_name_wins(
    client: httpx.AsyncClient,
) -> None:
    headers = await register(client)
    assert (await _save(client, headers, SPREAD)).status_code == 201
    assert (await _save(client, headers, {"name": "wide", "formula": "spread * 2"})).status_code == 201
    check = await client.post(
        "/strategies/rules/validate", json={"rule": "wide crosses above 0"}, headers=headers
    )
    assert check.status_code == 200, check.text
    assert check.json()["understood"] == "wide crosses above 0"
    # The strategy's own definition wins: here it names something unknown, so the rule is refused.
    drawn = {
        "rule": "spread above 0",
        "custom_indicators": [{"name": "spread", "formula": "close - nothing"}],
    }
    assert (await client.post("/strategies/rules/validate", json=drawn, headers=headers)).status_code == 422

    strategy = await create_strategy(client, headers, _graph("wide crosses above 0"))
    assert strategy["issues"] == []
    listed = (await client.get("/strategies", headers=headers)).json()
    assert listed[0]["issues"] == []
    # Another user's copy of the same strategy cannot read the name: an issue on the rule's node.
    other = await register(client)
    theirs = await create_strategy(client, other, _graph("wide crosses above 0"))
    assert [i["node_id"] for i in theirs["issues"]] == ["entry"]


async def test_a_run_uses_the_library_and_the_strategys_node_wins(client: httpx.AsyncClient) -> None:
    headers = await register(client)
    assert (await _save(client, headers, SPREAD)).status_code == 201
    window = {"symbols": ["SPX"], "start_date": "2010-01-01", "end_date": "2012-12-31"}
    node = {
        "id": "mine",
        "type": "custom_indicator",
        "meta": {"name": "spread", "formula": "close - SMA(20)"},
    }
    codes = []
    for graph in (_graph("spread crosses above 0"), _graph("spread crosses above 0", node)):
        strategy = await create_strategy(client, headers, graph)
        created = await execute(client, headers, strategy["id"], params=window)
        final = await wait_final(client, headers, created["id"])
        assert final["status"] == "completed", final["error_message"]
        codes.append((await client.get(f"/executions/{created['id']}/code", headers=headers)).json()["code"])
        results = (await client.get(f"/executions/{created['id']}/results", headers=headers)).json()
        assert results["metrics"]["trades"] > 0
    library_code, node_code = codes
    assert "# Custom indicator 'spread': close - SMA(50)\nspread = close - sma_50" in library_code
    assert "# Custom indicator 'spread': close - SMA(20)\nspread = close - sma_20" in node_code
    assert "SMA(50)" not in node_code


async def test_memory_remembers_saved_indicators_and_forgets_deleted_ones(client: httpx.AsyncClient) -> None:
    headers = await register(client)
    assert (await _save(client, headers, SPREAD)).status_code == 201

    def remembered(items: list[dict[str, Any]]) -> list[str]:
        return [i["text"] for i in items if i["kind"] == "custom_indicator"]

    memories = (await client.get("/memory", headers=headers)).json()["data"]
    assert remembered(memories) == ["Custom indicator 'Spread' = close - SMA(50) (read as close - SMA(50))"]
    assert (await client.delete("/indicators/spread", headers=headers)).status_code == 204
    assert remembered((await client.get("/memory", headers=headers)).json()["data"]) == []


async def test_a_drawn_node_is_checked_with_the_graphs_other_nodes(client: httpx.AsyncClient) -> None:
    """`POST /indicators/check`: the builder's check of a node's formula, against the graph's other custom
    indicator nodes and the saved library, naming the node in a refusal; nothing is saved."""
    headers = await register(client)
    assert (await _save(client, headers, {"name": "span", "formula": "high - low"})).status_code == 201
    body = {
        "name": "ratio",
        "formula": "spread / span",
        "node_id": "ci2",
        "custom_indicators": [{"name": "spread", "formula": "close - SMA(50)", "node_id": "ci"}],
    }
    ok = await client.post("/indicators/check", json=body, headers=headers)
    assert ok.status_code == 200, ok.text
    assert ok.json() == {"name": "ratio", "understood": "spread / span"}
    assert [i["name"] for i in (await client.get("/indicators", headers=headers)).json()] == ["span"]

    unknown = await client.post("/indicators/check", json={**body, "custom_indicators": []}, headers=headers)
    assert unknown.status_code == 422
    assert unknown.json()["error"] == "RuleNotUnderstood" and unknown.json()["node_id"] == "ci2"
    assert "'spread' is neither an indicator" in unknown.json()["detail"]

    circle = {**body, "custom_indicators": [{"name": "spread", "formula": "ratio * 2", "node_id": "ci"}]}
    refused = await client.post("/indicators/check", json=circle, headers=headers)
    assert refused.status_code == 422 and "circle" in refused.json()["detail"]
    bad_name = await client.post("/indicators/check", json={**body, "name": "close"}, headers=headers)
    assert bad_name.status_code == 422 and bad_name.json()["node_id"] == "ci2"


async def test_a_rule_check_names_the_node_of_a_broken_custom_indicator(client: httpx.AsyncClient) -> None:
    headers = await register(client)
    drawn = [{"name": "spread", "formula": "close - wobble", "node_id": "ci"}]
    check = await client.post(
        "/strategies/rules/validate",
        json={"rule": "spread crosses above 0", "custom_indicators": drawn},
        headers=headers,
    )
    assert check.status_code == 422 and check.json()["node_id"] == "ci"
    fixed = [{**drawn[0], "formula": "close - SMA(50)"}]
    read = await client.post(
        "/strategies/rules/validate",
        json={"rule": "spread crosses above 0", "custom_indicators": fixed},
        headers=headers,
    )
    assert read.status_code == 200 and read.json()["understood"] == "spread crosses above 0"
