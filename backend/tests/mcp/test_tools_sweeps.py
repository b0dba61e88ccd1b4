"""run_sweep / get_sweep and the sweep table through the SDK client: REST's sweep, its progress by
combinations, REST's refusals and ownership."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest
from mcp.shared.exceptions import McpError
from pydantic import AnyUrl

from tests.mcp.client import error, mcp_session, ok, text_of, without_status
from tests.utils.factories import create_strategy, register
from tests.utils.live_server import LiveServer

GRAPH: dict[str, Any] = {
    "nodes": [
        {
            "id": "e",
            "type": "entry_condition",
            "meta": {"rules": ["SMA({fast=10}) crosses above SMA({slow=50})"]},
        },
        {
            "id": "x",
            "type": "exit_condition",
            "meta": {"rules": ["SMA({fast=10}) crosses below SMA({slow=50})"]},
        },
        {"id": "sl", "type": "stop_loss", "meta": {"stop_pct": 5.0}},
    ]
}
ARGS: dict[str, Any] = {
    "params": {"symbols": ["SPX"], "start_date": "2008-01-01", "end_date": "2016-12-31"},
    "grid": {"fast": {"start": 5, "stop": 20, "step": 5}, "slow": [20, 50, 100], "sl.stop_pct": [3, 5]},
    "validation": {"method": "walk_forward", "folds": 3, "in_sample": 0.7},
}


async def test_run_sweep_is_rests_sweep_with_progress(
    server: LiveServer, http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    strategy = await create_strategy(http, headers, GRAPH, name="MA sweep")
    progress: list[tuple[float, str]] = []

    async def on_progress(value: float, _total: float | None, message: str | None) -> None:
        progress.append((value, message or ""))

    async with mcp_session(server.http_url, headers) as session:
        result = await session.call_tool(
            "run_sweep", {"strategy_id": strategy["id"], **ARGS}, progress_callback=on_progress
        )
        swept = ok(result)
        again = ok(await session.call_tool("get_sweep", {"execution_id": swept["execution_id"]}))
        table = await session.read_resource(AnyUrl(swept["table_uri"]))
    execution_id = swept["execution_id"]
    rest = (await http.get(f"/executions/{execution_id}/sweep", headers=headers)).json()
    assert swept["status"] == "completed" and swept["result"] == rest == again["result"]
    assert rest["combinations"] == 24 and rest["evaluated"] == 22
    summary = text_of(result).split("\n", 1)[0]
    assert f"Best sharpe_ratio: {rest['best']['metrics']['sharpe_ratio']}" in summary
    assert str(rest["optimization"]["values"]) in summary and "PBO" in summary

    values = [v for v, _ in progress]
    assert values == sorted(set(values)) and values[-1] == 1.0
    stages = list(dict.fromkeys(m.split(":", 1)[0] for _, m in progress))
    assert stages == ["queued", "analyzing", "generating_code", "executing", "completed"]
    assert any("combinations" in m for _, m in progress)  # progress moves with the combinations done

    rest_csv = (await http.get(f"/executions/{execution_id}/sweep.csv", headers=headers)).text
    csv_text = table.contents[0].text  # type: ignore[union-attr]
    assert csv_text == rest_csv and len(list(csv.DictReader(io.StringIO(csv_text)))) == 22


@pytest.mark.parametrize(
    "change",
    [
        {"grid": {"nope": [1, 2]}},
        {"grid": {"sl.stop_pct": [5, 150]}},
        {"objective": "luck"},
        {"grid": {"fast": [5, 10]}, "heatmap": ["fast", "slow"]},
        {"grid": {}},
        {"grid": {"fast": {"start": 5, "stop": 20, "step": 0}}},
    ],
)
async def test_what_rest_refuses_is_refused_with_the_same_body(
    server: LiveServer, http: httpx.AsyncClient, headers: dict[str, str], change: dict[str, Any]
) -> None:
    strategy = await create_strategy(http, headers, GRAPH, name="Refused")
    body = {**ARGS, **change}
    rest = await http.post(f"/executions/strategies/{strategy['id']}/sweep", json=body, headers=headers)
    async with mcp_session(server.http_url, headers) as session:
        refused = error(await session.call_tool("run_sweep", {"strategy_id": strategy["id"], **body}))
    assert rest.status_code == refused["status"] == 422
    if refused["error"] == "ValidationError":
        assert [e["msg"] for e in refused["errors"]] == [e["msg"] for e in rest.json()["errors"]]
    else:
        assert without_status(refused) == rest.json()
    runs = (await http.get(f"/executions/strategies/{strategy['id']}/executions", headers=headers)).json()
    assert runs == []  # nothing was created


async def test_a_backtest_or_another_users_run_is_not_a_sweep(
    server: LiveServer, http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    strategy = await create_strategy(http, headers)
    async with mcp_session(server.http_url, headers) as session:
        run = ok(await session.call_tool("run_backtest", {"strategy_id": strategy["id"]}))
        not_sweep = error(await session.call_tool("get_sweep", {"execution_id": run["execution_id"]}))
    rest = (await http.get(f"/executions/{run['execution_id']}/sweep", headers=headers)).json()
    assert without_status(not_sweep) == rest and not_sweep["status"] == 404
    intruder = await register(http)
    async with mcp_session(server.http_url, intruder) as session:
        theirs = error(await session.call_tool("get_sweep", {"execution_id": run["execution_id"]}))
        sweep_of_theirs = error(await session.call_tool("run_sweep", {"strategy_id": strategy["id"], **ARGS}))
        with pytest.raises(McpError):
            await session.read_resource(AnyUrl(f"stratcrew://executions/{run['execution_id']}/sweep.csv"))
    assert theirs["error"] == "ExecutionNotFound" and sweep_of_theirs["error"] == "StrategyNotFound"
