import httpx
import pytest

from tests.utils.factories import SEED_GRAPH, create_strategy, register


async def test_crud_roundtrip_keeps_the_graph(client: httpx.AsyncClient) -> None:
    headers = await register(client)
    created = await create_strategy(client, headers, name="Dip buyer")
    assert created["id"].startswith("strat_")
    assert created["schema"] == SEED_GRAPH

    listed = (await client.get("/strategies", headers=headers)).json()
    assert [s["id"] for s in listed] == [created["id"]]

    graph = {
        "nodes": [*SEED_GRAPH["nodes"], {"id": "trail", "type": "trailing_stop", "meta": {"trail_pct": 3}}]
    }
    updated = await client.put(
        f"/strategies/{created['id']}", json={"name": "Dip buyer v2", "schema": graph}, headers=headers
    )
    assert updated.status_code == 200
    assert updated.json()["name"] == "Dip buyer v2"
    assert len(updated.json()["schema"]["nodes"]) == 4

    assert (await client.delete(f"/strategies/{created['id']}", headers=headers)).status_code == 204
    assert (await client.get(f"/strategies/{created['id']}", headers=headers)).status_code == 404


async def test_other_users_strategies_answer_404(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    intruder = await register(client)
    strategy = await create_strategy(client, owner)
    path = f"/strategies/{strategy['id']}"
    assert (await client.get(path, headers=intruder)).status_code == 404
    put = await client.put(path, json={"name": "mine now", "schema": SEED_GRAPH}, headers=intruder)
    assert put.status_code == 404
    assert (await client.delete(path, headers=intruder)).status_code == 404
    assert (await client.get("/strategies", headers=intruder)).json() == []
    execute = await client.post(f"/executions/strategies/{strategy['id']}/execute", json={}, headers=intruder)
    assert execute.status_code == 404
    assert (await client.get(path, headers=owner)).status_code == 200


async def test_unknown_strategy_is_404(client: httpx.AsyncClient) -> None:
    headers = await register(client)
    response = await client.get("/strategies/strat_doesnotexist", headers=headers)
    assert response.status_code == 404
    assert response.json()["error"] == "StrategyNotFound"


async def test_schema_endpoint_publishes_node_types(client: httpx.AsyncClient) -> None:
    headers = await register(client)
    schema = (await client.get("/strategies/schema", headers=headers)).json()
    text = str(schema)
    for node_type in ("entry_condition", "exit_condition", "take_profit", "stop_loss", "trailing_stop"):
        assert node_type in text


async def test_bad_graphs_are_422_naming_the_problem(client: httpx.AsyncClient) -> None:
    headers = await register(client)
    unknown = {"nodes": [{"id": "x1", "type": "teleport", "meta": {}}]}
    response = await client.post("/strategies", json={"name": "bad", "schema": unknown}, headers=headers)
    assert response.status_code == 422
    assert "x1" in response.text or "teleport" in response.text

    wrong_type = {"nodes": [{"id": "tp", "type": "take_profit", "meta": {"target_pct": "lots"}}]}
    response = await client.post("/strategies", json={"name": "bad", "schema": wrong_type}, headers=headers)
    assert response.status_code == 422
    assert "target_pct" in response.text

    missing_name = await client.post("/strategies", json={"schema": SEED_GRAPH}, headers=headers)
    assert missing_name.status_code == 422
    assert "name" in missing_name.json()["detail"]


async def test_malformed_json_and_oversized_bodies(client: httpx.AsyncClient, settings) -> None:  # type: ignore[no-untyped-def]
    headers = {**(await register(client)), "Content-Type": "application/json"}
    malformed = await client.post("/strategies", content=b'{"name": "x", "schema": {', headers=headers)
    assert malformed.status_code == 422
    assert malformed.json()["error"] == "ValidationError"

    huge = b'{"name": "x", "schema": {"nodes": []}, "pad": "' + b"a" * (settings.max_body_bytes + 10) + b'"}'
    response = await client.post("/strategies", content=huge, headers=headers)
    assert response.status_code == 413
    assert response.json()["error"] == "PayloadTooLarge"


async def test_rule_validation_endpoint(client: httpx.AsyncClient) -> None:
    headers = await register(client)
    ok = await client.post("/strategies/rules/validate", json={"rule": "RSI(14) below 30"}, headers=headers)
    assert ok.status_code == 200 and ok.json()["ok"] is True
    assert ok.json()["understood"] == "RSI(14) < 30"
    assert ok.json()["parsed"]["type"] == "compare"
    bad = await client.post(
        "/strategies/rules/validate", json={"rule": "Enter when the moon is full"}, headers=headers
    )
    assert bad.status_code == 422
    body = bad.json()
    assert body["error"] == "RuleNotUnderstood"
    assert body["rule"] == "Enter when the moon is full"
    assert isinstance(body["position"], int)


async def test_rule_validation_answers_one_canonical_line(client: httpx.AsyncClient) -> None:
    headers = await register(client)

    async def check(body: dict[str, object]) -> dict[str, object]:
        response = await client.post("/strategies/rules/validate", json=body, headers=headers)
        assert response.status_code == 200, response.text
        data: dict[str, object] = response.json()
        return data

    cross = await check({"rule": "RSI(14) crosses above 30"})
    assert cross["understood"] == "RSI(14) crosses above 30"
    compound = await check({"rule": "RSI below 30 and close above the 200-day SMA"})
    assert compound["understood"] == "RSI(14) < 30 and close > SMA(200)"
    assert compound["parsed"]["type"] == "all"  # type: ignore[index]
    weekly = await check({"rule": "close makes a new 52-week high", "timeframe": "1wk"})
    assert weekly["understood"] == "close > Highest close(52)"
    daily = await check({"rule": "close makes a new 52-week high"})
    assert daily["notes"] == ["52 weeks = 1 year = 252 daily bars"]
    stop = await check({"rule": "stop loss 8%"})
    assert stop["parsed"] is None and stop["price_exit"] == {
        "type": "stop_loss",
        "pct": 8.0,
        "atr": None,
        "atr_period": None,
    }
    timed = await check({"rule": "exit when RSI(2) > 70 or after 10 days, whichever comes first"})
    assert timed["exit_after_bars"] == 10
    custom = await check(
        {
            "rule": "spread crosses above 0",
            "custom_indicators": [{"name": "spread", "formula": "close - SMA(50)"}],
        }
    )
    assert custom["understood"] == "spread crosses above 0"

    unknown = await client.post(
        "/strategies/rules/validate", json={"rule": "TSI(25) above 0"}, headers=headers
    )
    assert unknown.status_code == 422
    body = unknown.json()
    assert body["error"] == "RuleNotUnderstood" and body["unknown"] == "TSI" and body["position"] == 0
    assert "'TSI' is not an indicator the language knows (known: SMA" in body["detail"]
    extra = await client.post(
        "/strategies/rules/validate", json={"rule": "RSI(14,3) below 30"}, headers=headers
    )
    assert extra.status_code == 422
    assert extra.json()["reason"] == "RSI takes (length): got 2 numbers (14, 3)"
    assert extra.json()["suggestion"] == "RSI(14) below 30"


async def test_graphs_over_the_configured_limits_are_422_naming_limit_and_node(
    client: httpx.AsyncClient, settings
) -> None:  # type: ignore[no-untyped-def]
    headers = await register(client)
    entry = {"id": "entry", "type": "entry_condition", "meta": {"rules": ["close above 0"]}}
    limit = settings.max_strategy_nodes
    stops = [{"id": f"sl{i}", "type": "stop_loss", "meta": {"stop_pct": 5}} for i in range(limit)]
    response = await client.post(
        "/strategies", json={"name": "huge", "schema": {"nodes": [entry, *stops]}}, headers=headers
    )
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "StrategyTooLarge" and body["limit"] == "max_strategy_nodes"
    assert body["node_id"] == f"sl{limit - 1}"  # the first node past the limit

    rules = ["close above 0"] * (settings.max_rules_per_node + 1)
    wordy = {"nodes": [{"id": "wordy", "type": "entry_condition", "meta": {"rules": rules}}]}
    response = await client.post("/strategies", json={"name": "wordy", "schema": wordy}, headers=headers)
    assert response.status_code == 422
    assert (response.json()["node_id"], response.json()["limit"]) == ("wordy", "max_rules_per_node")


@pytest.mark.parametrize(
    ("body", "named"),
    [
        # each answered 500 before (found by the PostgreSQL pass's fuzzing of every route)
        ('{"name": "a", "schema": {"edges": [1]}}', "nodes"),
        ('{"name": "a", "schema": {"k": 1}}', "nodes"),
        ('{"name": "a", "schema": {"nodes": [{"id": "\\ud800", "type": "entry_condition"}]}}', "nodes[0].id"),
        ('{"name": "a", "schema": {"nodes": [], "note": "x\\udfff"}}', "note"),
        ('{"name": "a", "schema": {"nodes": [], "k\\u0000": 1}}', "NUL"),
    ],
)
async def test_graphs_no_database_keeps_are_refused_naming_where(
    client: httpx.AsyncClient, body: str, named: str
) -> None:
    headers = {**(await register(client)), "Content-Type": "application/json"}
    for method, url in (
        ("POST", "/strategies"),
        ("PUT", f"/strategies/{await _any_strategy(client, headers)}"),
    ):
        response = await client.request(method, url, content=body.encode(), headers=headers)
        assert response.status_code == 422, (method, response.text)
        assert named in response.json()["detail"]


async def _any_strategy(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    created = await client.post("/strategies", json={"name": "s", "schema": SEED_GRAPH}, headers=headers)
    return str(created.json()["id"])
