"""get_results, get_code, compare_runs and the resources: the REST views of the same runs, through MCP."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import httpx
import pytest
from mcp.shared.exceptions import McpError
from pydantic import AnyUrl

from tests.mcp.client import DIP_BUYER, SEED_PARAMS, error, mcp_session, ok, strip_plotly_ids, text_of
from tests.utils.factories import register
from tests.utils.live_server import LiveServer

RSI_GRAPH = {
    "nodes": [
        {"id": "entry", "type": "entry_condition", "meta": {"rules": ["RSI(14) below 30"]}},
        {"id": "exit", "type": "exit_condition", "meta": {"rules": ["RSI above 70"]}},
    ]
}


@pytest.fixture(scope="module")
async def runs(server: LiveServer) -> tuple[dict[str, str], list[str]]:
    """Two completed runs of one user: the seed example and an RSI strategy."""
    async with httpx.AsyncClient(base_url=server.http_url, timeout=60) as http:
        headers = await register(http)
    ids = []
    async with mcp_session(server.http_url, headers) as session:
        for name, graph in (("Dip buyer", DIP_BUYER), ("RSI", RSI_GRAPH)):
            strategy = ok(await session.call_tool("create_strategy", {"name": name, "graph": graph}))
            run = ok(
                await session.call_tool(
                    "run_backtest", {"strategy_id": strategy["id"], "params": SEED_PARAMS}
                )
            )
            ids.append(run["execution_id"])
    return headers, ids


async def test_results_are_rests_with_series_downsampled_and_trades_paged(
    server: LiveServer, http: httpx.AsyncClient, runs: tuple[dict[str, str], list[str]]
) -> None:
    headers, (execution_id, _) = runs
    rest = (await http.get(f"/executions/{execution_id}/results", headers=headers)).json()
    equity_csv = (await http.get(f"/executions/{execution_id}/results/equity.csv", headers=headers)).text
    every_bar = [line.split(",") for line in equity_csv.strip().splitlines()[1:]]
    pages: list[dict[str, Any]] = []
    async with mcp_session(server.http_url, headers) as session:
        offset: int | None = 0
        while offset is not None:
            page = ok(
                await session.call_tool(
                    "get_results",
                    {
                        "execution_id": execution_id,
                        "max_points": 50,
                        "trades_offset": offset,
                        "trades_limit": 7,
                    },
                )
            )
            pages.append(page)
            offset = page["next_trades_offset"]
    first = pages[0]
    assert first["metrics"] == rest["metrics"] and first["warnings"] == rest["metrics"]["warnings"]
    assert first["backtest_run_id"] == rest["id"]
    assert [t for p in pages for t in p["trades"]] == rest["trades"]
    assert len(pages) == -(-len(rest["trades"]) // 7) and pages[0]["trades_total"] == len(rest["trades"])
    assert all(trade["exit_reason"] for trade in rest["trades"])
    equity = first["equity_series"]
    assert 4 <= len(equity) <= 50 and first["bars"] == len(every_bar)
    values = [float(row[1]) for row in every_bar]
    # the downsampled series keeps the first and last bar and the extremes, from the full-resolution data
    assert equity[0][1] == pytest.approx(values[0]) and equity[-1][1] == pytest.approx(values[-1])
    assert max(p[1] for p in equity) == pytest.approx(max(values))
    assert min(p[1] for p in equity) == pytest.approx(min(values))
    assert [p[0] for p in equity] == sorted(p[0] for p in equity)
    assert len(first["benchmark_series"]) <= 50 and len(first["drawdown_series"]) <= 50


async def test_code_and_comparison_are_rests(
    server: LiveServer, http: httpx.AsyncClient, runs: tuple[dict[str, str], list[str]]
) -> None:
    headers, ids = runs
    async with mcp_session(server.http_url, headers) as session:
        code_result = await session.call_tool("get_code", {"execution_id": ids[0]})
        compared = ok(await session.call_tool("compare_runs", {"execution_ids": ids}))
        too_many = error(await session.call_tool("compare_runs", {"execution_ids": ids * 6}))
    rest_code = (await http.get(f"/executions/{ids[0]}/code", headers=headers)).json()
    assert ok(code_result) == rest_code
    assert text_of(code_result).split("\n", 1)[1] == rest_code["code"]  # the code itself, not JSON-escaped
    rest_compare = (
        await http.get("/executions/compare", params={"ids": ",".join(ids)}, headers=headers)
    ).json()
    assert compared["rows"] == rest_compare["rows"] and compared["metrics"] == rest_compare["metrics"]
    assert compared["warnings"] == rest_compare["warnings"]
    assert too_many["error"] == "InvalidInput" and too_many["field"] == "ids" and too_many["status"] == 422


async def test_report_and_bundle_resources_are_the_rest_views(
    server: LiveServer, http: httpx.AsyncClient, runs: tuple[dict[str, str], list[str]]
) -> None:
    headers, (execution_id, _) = runs
    async with mcp_session(server.http_url, headers) as session:
        templates = {t.uriTemplate: t for t in (await session.list_resource_templates()).resourceTemplates}
        report = await session.read_resource(AnyUrl(f"stratcrew://executions/{execution_id}/report"))
        bundle = await session.read_resource(AnyUrl(f"stratcrew://executions/{execution_id}/bundle"))
        code = ok(await session.call_tool("get_code", {"execution_id": execution_id}))["code"]
    assert templates["stratcrew://executions/{execution_id}/report"].mimeType == "text/html"
    assert templates["stratcrew://executions/{execution_id}/bundle"].mimeType == "application/json"
    html = report.contents[0]
    assert html.mimeType == "text/html"
    rest_report = (await http.get(f"/executions/{execution_id}/report", headers=headers)).text
    assert strip_plotly_ids(html.text) == strip_plotly_ids(rest_report)  # type: ignore[union-attr]
    data = json.loads(bundle.contents[0].text)  # type: ignore[union-attr]
    assert data == (await http.get(f"/executions/{execution_id}/bundle", headers=headers)).json()
    assert data["code"] == code and data["code_hash"] == hashlib.sha256(code.encode()).hexdigest()
    assert data["spec"] and data["params"]["symbols"] == ["SPX"]
    assert set(data["library_versions"]) >= {"vectorbt", "pandas", "numpy"}
    assert all(len(entry["content_hash"]) >= 32 for entry in data["data"].values())


async def test_results_of_a_run_not_completed_are_not_ready(
    server: LiveServer, http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    async with mcp_session(server.http_url, headers) as session:
        strategy = ok(await session.call_tool("create_strategy", {"name": "Spin", "graph": DIP_BUYER}))
        spin = "import vectorbt as vbt\nwhile True:\n    pass\n"
        queued = ok(
            await session.call_tool(
                "run_backtest", {"strategy_id": strategy["id"], "code": spin, "wait": False}
            )
        )
        body = error(await session.call_tool("get_results", {"execution_id": queued["execution_id"]}))
        with pytest.raises(McpError) as caught:
            await session.read_resource(AnyUrl(f"stratcrew://executions/{queued['execution_id']}/report"))
        cancelled = ok(await session.call_tool("cancel_execution", {"execution_id": queued["execution_id"]}))
    assert (
        body["error"] == "ResultsNotReady"
        and body["status"] == 409
        and body["execution_id"] == queued["execution_id"]
    )
    assert caught.value.error.data["error"] == "ResultsNotReady"
    assert cancelled["id"] == queued["execution_id"]


async def test_report_link_opens_without_signing_in(
    server: LiveServer, http: httpx.AsyncClient, runs: tuple[dict[str, str], list[str]]
) -> None:
    headers, (execution_id, _) = runs
    async with mcp_session(server.http_url, headers) as session:
        link = ok(await session.call_tool("get_report_link", {"execution_id": execution_id}))
    assert link["url"] == f"{server.http_url}{link['path']}"
    opened = await http.get(link["url"])  # no Authorization header
    rest_report = (await http.get(f"/executions/{execution_id}/report", headers=headers)).text
    assert opened.status_code == 200 and strip_plotly_ids(opened.text) == strip_plotly_ids(rest_report)


async def test_list_runs_is_rests_run_list(
    server: LiveServer, http: httpx.AsyncClient, runs: tuple[dict[str, str], list[str]]
) -> None:
    headers, ids = runs
    async with mcp_session(server.http_url, headers) as session:
        page = ok(await session.call_tool("list_runs", {"limit": 1}))
        second = ok(await session.call_tool("list_runs", {"limit": 1, "offset": 1}))
        completed = ok(await session.call_tool("list_runs", {"status": ["completed"], "kind": "backtest"}))
        too_many = error(await session.call_tool("list_runs", {"limit": 10_000}))
    rest = (await http.get("/executions", params={"limit": 50}, headers=headers)).json()
    assert [page["items"][0], second["items"][0]] == rest["items"] and page["total"] == rest["total"] == 2
    assert [r["id"] for r in completed["items"]] == ids[::-1]  # newest first
    assert completed["items"][0]["metrics"]["total_return"] is not None
    refused = await http.get("/executions", params={"limit": 10_000}, headers=headers)
    assert refused.status_code == 422 and too_many["errors"][0]["field"] == "limit"
