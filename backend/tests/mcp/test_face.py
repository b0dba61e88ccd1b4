"""The MCP face on the real service: mounted at /mcp, the REST bearer token, sessions bound to their user,
tools with typed input schemas."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.core.security import decode_access_token
from app.models.backtest import BacktestMetrics, TradeRow
from app.models.params import ExecutionParams
from app.models.user import User
from app.services.language.nodes import NODE_TYPES
from tests.mcp.client import http_statuses, mcp_session, ok
from tests.utils.factories import register
from tests.utils.live_server import LiveServer

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "t", "version": "0"},
    },
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
TOOLS = {
    "list_symbols", "rule_language", "validate_rule", "create_strategy", "update_strategy", "list_strategies",
    "run_backtest", "get_execution", "cancel_execution", "get_results", "get_code", "compare_runs",
    "delete_strategy", "list_runs", "validate_code", "get_report_link", "run_sweep", "get_sweep",
}  # fmt: skip


async def test_tools_are_listed_with_typed_schemas_and_descriptions(
    server: LiveServer, headers: dict[str, str]
) -> None:
    async with mcp_session(server.http_url, headers) as session:
        listed = {tool.name: tool for tool in (await session.list_tools()).tools}
    assert set(listed) >= TOOLS
    for name in TOOLS:
        tool = listed[name]
        assert tool.description and len(tool.description) > 60, name
        assert tool.inputSchema["type"] == "object", name
        assert tool.outputSchema is not None, name  # results are structured
    run = listed["run_backtest"].inputSchema
    assert run["required"] == ["strategy_id"]
    params = run["$defs"]["ExecutionParams"]["properties"]
    assert set(params) == set(ExecutionParams.model_fields)  # the REST request's own model
    assert params["fees"]["maximum"] == 0.1 and "description" in params["fees"]
    assert run["properties"]["code"]["anyOf"][0]["maxLength"] == 200_000
    graph = listed["create_strategy"].inputSchema["properties"]["graph"]
    node_types = {
        variant["properties"]["type"]["const"] for variant in graph["properties"]["nodes"]["items"]["oneOf"]
    }
    assert node_types == set(NODE_TYPES)  # the node JSON schema, inlined
    name = listed["create_strategy"].inputSchema["properties"]["name"]
    assert (name["minLength"], name["maxLength"]) == (1, 200)
    assert listed["list_symbols"].annotations is not None and listed["list_symbols"].annotations.readOnlyHint
    results = listed["get_results"].outputSchema
    assert set(results["$defs"]["BacktestMetrics"]["properties"]) == set(BacktestMetrics.model_fields)
    trade = results["$defs"]["TradeRow"]["properties"]
    assert set(trade) == set(TradeRow.model_fields) and "take_profit" in str(trade["exit_reason"])


@pytest.mark.parametrize(
    ("authorization", "detail"),
    [
        (None, "Not authenticated"),
        ("Bearer not-a-token", "Invalid token"),
        ("Basic dXNlcjpwYXNz", "Not authenticated"),
    ],
)
async def test_requests_without_a_valid_token_are_401(
    server: LiveServer, authorization: str | None, detail: str
) -> None:
    headers = dict(MCP_HEADERS, **({"Authorization": authorization} if authorization else {}))
    async with httpx.AsyncClient(base_url=server.http_url) as http:
        response = await http.post("/mcp", json=INITIALIZE, headers=headers)
        listing = await http.get("/mcp", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"] == "Unauthorized" and detail in response.json()["detail"]
    assert listing.status_code == 401


async def test_the_sdk_client_without_a_token_cannot_connect(server: LiveServer) -> None:
    with pytest.raises(BaseException) as caught:  # the SDK raises the 401 inside its task group
        async with mcp_session(server.http_url, None):
            pass
    assert http_statuses(caught.value) == [401]


async def test_a_deleted_users_token_is_401(server: LiveServer, http: httpx.AsyncClient, app: Any) -> None:
    headers = await register(http)
    assert (await http.post("/mcp", json=INITIALIZE, headers={**MCP_HEADERS, **headers})).status_code == 200
    user_id = decode_access_token(
        headers["Authorization"].split()[1], app.state.settings.resolved_secret_key()
    )
    async with app.state.session_factory() as session:
        await session.delete(await session.get(User, user_id))
        await session.commit()
    response = await http.post("/mcp", json=INITIALIZE, headers={**MCP_HEADERS, **headers})
    assert response.status_code == 401 and "no longer exists" in response.json()["detail"]


async def test_a_session_answers_only_the_user_who_opened_it(
    server: LiveServer, http: httpx.AsyncClient
) -> None:
    owner, intruder = await register(http), await register(http)
    opened = await http.post("/mcp", json=INITIALIZE, headers={**MCP_HEADERS, **owner})
    assert opened.status_code == 200
    session_id = opened.headers["mcp-session-id"]
    listing = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
    as_owner = {**MCP_HEADERS, **owner, "mcp-session-id": session_id, "mcp-protocol-version": "2025-06-18"}
    as_intruder = {**as_owner, **intruder}
    await http.post("/mcp", json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=as_owner)
    stolen = await http.post("/mcp", json=listing, headers=as_intruder)
    assert stolen.status_code == 404 and "Session not found" in stolen.text
    mine = await http.post("/mcp", json=listing, headers=as_owner)
    assert mine.status_code == 200 and "run_backtest" in mine.text


async def test_rest_routes_still_serve_beside_it(
    server: LiveServer, http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    async with mcp_session(server.http_url, headers) as session:
        symbols = ok(await session.call_tool("list_symbols", {}))["symbols"]
    rest = (await http.get("/data/symbols", headers=headers)).json()
    assert symbols == rest
