"""rule_language is derived from the language package (not a copy); validate_rule answers like REST."""

from __future__ import annotations

from typing import get_args

import httpx
import pytest

from app.services.language import node_json_schema, parse_rule
from app.services.language.indicators import IndicatorKind
from app.services.language.nodes import NODE_TYPES
from app.services.language.suggest import CANONICAL_EXAMPLES
from tests.mcp.client import error, mcp_session, ok, text_of, without_status
from tests.utils.live_server import LiveServer


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
    assert [p["rule"] for p in reference["phrasings"]] == list(CANONICAL_EXAMPLES)
    for phrasing in reference["phrasings"]:  # each `understood` is what the parser really makes of it
        assert phrasing["understood"], phrasing
        assert parse_rule(phrasing["rule"]).model_dump() is not None
    assert {i["kind"] for i in reference["indicators"]} == set(get_args(IndicatorKind))
    rsi = next(i for i in reference["indicators"] if i["kind"] == "rsi")
    assert rsi["name"] == "RSI" and rsi["default_period"] == 14 and "RSI(14)" in rsi["in_examples"]
    assert "fees" in reference["params_schema"]["properties"]
    summary = text_of(result).split("\n", 1)[0]
    assert "Node types:" in summary


async def test_validate_rule_answers_the_understood_line(
    server: LiveServer, http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    rule = "RSI below 30 and close above the 200-day SMA"
    async with mcp_session(server.http_url, headers) as session:
        result = await session.call_tool("validate_rule", {"rule": rule})
    check = ok(result)
    assert check["understood"] == "RSI(14) < 30 and close > SMA(200)"
    rest = (await http.post("/strategies/rules/validate", json={"rule": rule}, headers=headers)).json()
    assert check["condition"] == rest["parsed"]
    assert check["understood"] in text_of(result)


@pytest.mark.parametrize(
    "rule", ["RSI is bananas", "close crosses above the", "buy when price > > 3", "SMA(20) ~ 5"]
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


@pytest.mark.parametrize("rule", ["", "x" * 2001])
async def test_validate_rule_limits_are_rests(
    server: LiveServer, http: httpx.AsyncClient, headers: dict[str, str], rule: str
) -> None:
    async with mcp_session(server.http_url, headers) as session:
        body = error(await session.call_tool("validate_rule", {"rule": rule}))
    rest = await http.post("/strategies/rules/validate", json={"rule": rule}, headers=headers)
    assert rest.status_code == 422 and body["error"] == "ValidationError"
    assert [e["msg"] for e in body["errors"]] == [e["msg"] for e in rest.json()["errors"]]
    assert [e["field"] for e in body["errors"]] == ["rule"]
