"""rule_language is derived from the language package (not a copy); validate_rule answers like REST."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.services.language import node_json_schema, read_rule
from app.services.language.catalog import families
from app.services.language.nodes import NODE_TYPES
from app.services.language.suggest import CANONICAL_EXAMPLES
from tests.mcp.client import error, mcp_session, ok, text_of, without_status
from tests.utils.factories import register
from tests.utils.live_server import LiveServer

SPREAD = {"name": "spread", "formula": "close - SMA(50)"}


async def test_rule_language_is_the_language_packages_own(
    server: LiveServer, headers: dict[str, str]
) -> None:
    async with mcp_session(server.http_url, headers) as session:
        result = await session.call_tool("rule_language", {})
    reference = ok(result)
    assert reference["graph_schema"] == node_json_schema()
    assert {n["type"] for n in reference["node_types"]} == set(NODE_TYPES)
    stop_loss = next(n for n in reference["node_types"] if n["type"] == "stop_loss")
    assert "stop_pct" in stop_loss["meta_schema"]["properties"]
    examples = [p for family in reference["phrasings"] for p in family["examples"]]
    assert sorted(p["rule"] for p in examples) == sorted(CANONICAL_EXAMPLES)  # every example, none invented
    for phrasing in examples:  # each `understood` is what the reader a run uses makes of the rule
        assert phrasing["understood"] == read_rule(phrasing["rule"]).understood
    by_family = {f["family"]: [p["rule"] for p in f["examples"]] for f in reference["phrasings"]}
    assert "RSI(14) below 30" in by_family["RSI"] and "golden cross" in by_family["SMA"]
    assert by_family["Time limits"] == ["exit after 10 days"]
    catalog = families()
    assert [i["key"] for i in reference["indicators"]] == [f.key for f in catalog]
    rsi = next(i for i in reference["indicators"] if i["key"] == "rsi")
    assert rsi["params"] == [
        {"name": p.label, "default": p.default} for p in next(f for f in catalog if f.key == "rsi").params
    ]
    assert rsi["formula"] and "rsi" in rsi["kinds"]
    assert "fees" in reference["params_schema"]["properties"]
    assert text_of(result).startswith("Node types:")


@pytest.mark.parametrize(
    "body",
    [
        {"rule": "RSI below 30 and close above the 200-day SMA"},
        {"rule": "close makes a new 52-week high", "timeframe": "1wk"},
        {"rule": "RSI(2) > 70 or after 10 days, whichever comes first"},
        {"rule": "stop loss 5%"},
        {"rule": "spread crosses above 0", "custom_indicators": [SPREAD]},
    ],
)  # fmt: skip
async def test_validate_rule_answers_what_rest_answers(
    server: LiveServer, http: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]
) -> None:
    async with mcp_session(server.http_url, headers) as session:
        result = await session.call_tool("validate_rule", body)
    check = ok(result)
    rest = await http.post("/strategies/rules/validate", json=body, headers=headers)
    assert rest.status_code == 200 and check == rest.json()
    assert check["understood"] in text_of(result).split("\n", 1)[0]


@pytest.mark.parametrize(
    "rule",
    ["RSI is bananas", "close crosses above the", "buy when price > > 3", "SMA(20) ~ 5", "FOOBAR(9) above 3"],
)
async def test_validate_rule_errors_name_position_expectation_and_suggestion(
    server: LiveServer, http: httpx.AsyncClient, headers: dict[str, str], rule: str
) -> None:
    async with mcp_session(server.http_url, headers) as session:
        body = error(await session.call_tool("validate_rule", {"rule": rule}))
    rest = await http.post("/strategies/rules/validate", json={"rule": rule}, headers=headers)
    assert rest.status_code == body["status"] == 422
    assert without_status(body) == rest.json()
    assert body["error"] == "RuleNotUnderstood" and body["rule"] == rule
    assert 0 <= body["position"] <= len(rule) and body["expected"]


@pytest.mark.parametrize(
    "body",
    [
        {"rule": ""},
        {"rule": "x" * 2001},
        {"rule": "RSI below 30", "timeframe": "5m"},
        {"rule": "RSI below 30", "custom_indicators": [{"name": "", "formula": "close"}]},
    ],
)
async def test_validate_rule_limits_are_rests(
    server: LiveServer, http: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]
) -> None:
    async with mcp_session(server.http_url, headers) as session:
        refused = error(await session.call_tool("validate_rule", body))
    rest = await http.post("/strategies/rules/validate", json=body, headers=headers)
    assert rest.status_code == 422 and refused["error"] == "ValidationError"
    assert [e["msg"] for e in refused["errors"]] == [e["msg"] for e in rest.json()["errors"]]
    assert [e["field"] for e in refused["errors"]] == [e["field"] for e in rest.json()["errors"]]


async def test_saved_indicators_are_read_like_rest_reads_them(
    server: LiveServer, http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    """A custom indicator saved with POST /indicators is usable by name through MCP too (validate_rule and a
    strategy's readings and issues), for its owner only."""
    assert (await http.post("/indicators", json=SPREAD, headers=headers)).status_code == 201
    graph = {"nodes": [{"id": "e", "type": "entry_condition", "meta": {"rules": ["spread crosses above 0"]}}]}
    async with mcp_session(server.http_url, headers) as session:
        check = ok(await session.call_tool("validate_rule", {"rule": "spread crosses above 0"}))
        created = ok(await session.call_tool("create_strategy", {"name": "Spread", "graph": graph}))
    assert check["understood"] == "spread crosses above 0"
    assert created["issues"] == []
    assert [r["understood"] for r in created["rules"]] == ["spread crosses above 0"]
    theirs = await register(http)
    async with mcp_session(server.http_url, theirs) as session:
        refused = error(await session.call_tool("validate_rule", {"rule": "spread crosses above 0"}))
    assert refused["error"] == "RuleNotUnderstood"
