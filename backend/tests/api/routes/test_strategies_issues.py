"""Mistakes caught on save: an impossible stop is refused naming the node; an unfinished draft is kept
with its gaps listed as issues on the nodes (`issues` of the strategy)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.utils.factories import register


def graph(*nodes: dict[str, Any]) -> dict[str, Any]:
    return {"nodes": list(nodes)}


ENTRY = {"id": "entry", "type": "entry_condition", "meta": {"rules": ["close above the 20-day SMA"]}}


async def _save(client: httpx.AsyncClient, headers: dict[str, str], g: dict[str, Any]) -> httpx.Response:
    return await client.post("/strategies", json={"name": "draft", "schema": g}, headers=headers)


@pytest.mark.parametrize(
    ("node", "words"),
    [
        ({"id": "my-stop", "type": "stop_loss", "meta": {"stop_pct": -5}}, "above 0"),
        ({"id": "my-stop", "type": "stop_loss", "meta": {"stop_pct": 150}}, "below 100"),
        ({"id": "my-stop", "type": "stop_loss", "meta": {"stop_pct": 0}}, "above 0"),
        ({"id": "my-stop", "type": "trailing_stop", "meta": {"trail_pct": 100}}, "below 100"),
        ({"id": "my-stop", "type": "take_profit", "meta": {"target_pct": -1}}, "above 0"),
    ],
)
async def test_an_impossible_stop_is_refused_naming_the_node(
    client: httpx.AsyncClient, node: dict[str, Any], words: str
) -> None:
    headers = await register(client)
    response = await _save(client, headers, graph(ENTRY, node))
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["node_id"] == "my-stop"
    assert "my-stop" in body["detail"] and words in body["detail"]
    # and the same on update
    ok = await _save(client, headers, graph(ENTRY))
    assert ok.status_code == 201
    put = await client.put(
        f"/strategies/{ok.json()['id']}", json={"name": "x", "schema": graph(ENTRY, node)}, headers=headers
    )
    assert put.status_code == 422 and put.json()["node_id"] == "my-stop"


async def test_a_sound_strategy_has_no_issues(client: httpx.AsyncClient) -> None:
    headers = await register(client)
    sl = {"id": "sl", "type": "stop_loss", "meta": {"stop_pct": 5}}
    response = await _save(client, headers, graph(ENTRY, sl))
    assert response.status_code == 201 and response.json()["issues"] == []


async def test_an_unreadable_rule_is_saved_and_marked_on_its_node(client: httpx.AsyncClient) -> None:
    headers = await register(client)
    entry = {
        "id": "e1",
        "type": "entry_condition",
        "meta": {
            "rules": ["close above the 20-day SMA", "Enter on a 5% price drop from the 20-day movng average"]
        },
    }
    response = await _save(client, headers, graph(entry))
    assert response.status_code == 201, response.text
    [issue] = response.json()["issues"]
    assert issue["node_id"] == "e1" and issue["field"] == "meta.rules[1]"
    assert issue["rule"].endswith("movng average") and issue["blocking"] is True
    # the same reading as the live check of the rule field
    live = await client.post("/strategies/rules/validate", json={"rule": issue["rule"]}, headers=headers)
    assert live.status_code == 422
    assert (issue["position"], issue["expected"]) == (live.json()["position"], live.json()["expected"])
    assert issue["expected"] and "e1" in issue["detail"]
    # the issue is there on every read, not only in the answer to the save
    again = (await client.get(f"/strategies/{response.json()['id']}", headers=headers)).json()
    assert again["issues"] == [issue]
    listed = (await client.get("/strategies", headers=headers)).json()
    assert listed[0]["issues"] == [issue]


async def test_an_unfinished_draft_is_saveable(client: httpx.AsyncClient) -> None:
    headers = await register(client)
    no_rule = {"id": "e1", "type": "entry_condition", "meta": {"rules": []}}
    response = await _save(client, headers, graph(no_rule))
    assert response.status_code == 201, response.text
    assert [(i["node_id"], i["field"]) for i in response.json()["issues"]] == [("e1", "meta.rules")]

    only_stop = {"id": "sl", "type": "stop_loss", "meta": {"stop_pct": 5}}
    response = await _save(client, headers, graph(only_stop))
    assert response.status_code == 201, response.text
    [issue] = response.json()["issues"]
    assert issue["node_id"] == "" and "entry condition" in issue["detail"]


async def test_a_rule_that_can_never_be_true_is_an_issue(client: httpx.AsyncClient) -> None:
    headers = await register(client)
    never = {"id": "e1", "type": "entry_condition", "meta": {"rules": ["RSI(14) above 120"]}}
    response = await _save(client, headers, graph(never))
    assert response.status_code == 201, response.text
    [issue] = response.json()["issues"]
    assert issue["node_id"] == "e1" and "never be true" in issue["detail"] and issue["blocking"]


async def test_a_malformed_graph_is_still_refused(client: httpx.AsyncClient) -> None:
    headers = await register(client)
    response = await _save(client, headers, graph(ENTRY, {"id": "tp", "type": "take_profit", "meta": {}}))
    assert response.status_code == 422 and response.json()["node_id"] == "tp"


async def test_nodes_that_cannot_go_together_are_an_issue_not_a_refusal(client: httpx.AsyncClient) -> None:
    headers = await register(client)
    sl = {"id": "sl", "type": "stop_loss", "meta": {"stop_pct": 5}}
    trail = {"id": "trail", "type": "trailing_stop", "meta": {"trail_pct": 3}}
    response = await _save(client, headers, graph(ENTRY, sl, trail))
    assert response.status_code == 201, response.text
    [issue] = response.json()["issues"]
    assert issue["node_id"] in ("sl", "trail") and issue["blocking"]
