"""run_backtest through the SDK client: the seed example gives REST's numbers, progress arrives stage by
stage, a cancelled call cancels the run, and nothing REST refuses gets through (params, hostile code)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp.shared.exceptions import McpError

from tests.mcp.client import DIP_BUYER, SEED_PARAMS, cancel_request, error, mcp_session, ok, text_of
from tests.utils.factories import create_strategy, execute, wait_final
from tests.utils.live_server import LiveServer

SPIN = "import vectorbt as vbt\nwhile True:\n    pass\n"


async def test_seed_example_gives_the_metrics_of_the_rest_results(
    server: LiveServer, http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    stages: list[tuple[float, float | None, str | None]] = []

    async def progress(value: float, total: float | None, message: str | None) -> None:
        stages.append((value, total, message))

    async with mcp_session(server.http_url, headers) as session:
        strategy = ok(await session.call_tool("create_strategy", {"name": "Dip buyer", "graph": DIP_BUYER}))
        result = await session.call_tool(
            "run_backtest", {"strategy_id": strategy["id"], "params": SEED_PARAMS}, progress_callback=progress
        )
    run = ok(result)
    assert run["status"] == "completed" and run["execution_id"].startswith("exec_")
    rest = (await http.get(f"/executions/{run['execution_id']}/results", headers=headers)).json()
    assert run["backtest_run_id"] == rest["id"]
    for key, value in run["metrics"].items():
        assert value == rest["metrics"][key], key
    assert {
        "total_return",
        "cagr",
        "sharpe_ratio",
        "max_drawdown",
        "win_rate",
        "trades",
        "vs_benchmark",
    } <= set(run["metrics"])
    assert run["warnings"] == rest["metrics"]["warnings"]
    summary = text_of(result).split("\n", 1)[0]
    assert run["execution_id"] in summary and f"total return {rest['metrics']['total_return']}%" in summary

    # a notification as each stage begins (and as the run moves on within one), in the order the run
    # passed them, each carrying its log line, ending at 1.0 on completion
    execution = (await http.get(f"/executions/{run['execution_id']}", headers=headers)).json()
    passed = [m.split(":", 1)[0] for _, _, m in stages if m]
    assert list(dict.fromkeys(passed)) == ["queued", "analyzing", "generating_code", "executing", "completed"]
    assert passed == sorted(passed, key=passed.index)  # never back to a stage it left
    values = [value for value, _, _ in stages]
    assert values == sorted(set(values)) and values[-1] == 1.0 and all(t == 1.0 for _, t, _ in stages)
    logs = execution["execution_logs"]
    messages = [m.split(": ", 1)[1] for _, _, m in stages if m]
    assert all(message in logs for message in messages)
    assert [logs.index(message) for message in messages] == sorted(
        logs.index(message) for message in messages
    )


async def test_cancelling_the_call_cancels_the_execution(
    server: LiveServer, http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    strategy = await create_strategy(http, headers)
    executing = asyncio.Event()

    async def progress(_value: float, _total: float | None, message: str | None) -> None:
        if message and message.startswith("executing"):
            executing.set()

    async with mcp_session(server.http_url, headers) as session:
        call = asyncio.create_task(
            session.call_tool(
                "run_backtest",
                {"strategy_id": strategy["id"], "params": SEED_PARAMS, "code": SPIN},
                progress_callback=progress,
            )
        )
        await asyncio.wait_for(executing.wait(), 60)
        request_id = session.sent["tools/call"][-1]
        await cancel_request(session, request_id)
        with pytest.raises(McpError, match="cancelled"):
            await asyncio.wait_for(call, 10)
    listed = (await http.get(f"/executions/strategies/{strategy['id']}/executions", headers=headers)).json()
    final = await wait_final(http, headers, listed[0]["id"], timeout_s=10)
    assert final["status"] == "cancelled"


async def test_wait_false_answers_at_once_with_the_execution(
    server: LiveServer, http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    strategy = await create_strategy(http, headers)
    async with mcp_session(server.http_url, headers) as session:
        queued = ok(await session.call_tool("run_backtest", {"strategy_id": strategy["id"], "wait": False}))
        assert queued["status"] == "queued" and queued["metrics"] == {}
        final = await wait_final(http, headers, queued["execution_id"])
        shown = ok(await session.call_tool("get_execution", {"execution_id": queued["execution_id"]}))
    assert shown["status"] == final["status"] == "completed"
    assert shown["execution_logs"] == final["execution_logs"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"fees": 5}, "params.fees"),
        ({"start_date": "2015-01-01", "end_date": "2014-01-01"}, "params"),
        ({"symbols": []}, "params.symbols"),
        ({"symbols": ["SPX"], "leverage": 10}, "params.leverage"),
        ({"position_sizing": "fixed_fraction"}, "params"),
    ],
)
async def test_params_rest_refuses_are_refused_naming_the_field(
    server: LiveServer, http: httpx.AsyncClient, headers: dict[str, str], params: dict[str, Any], field: str
) -> None:
    strategy = await create_strategy(http, headers)
    rest = await http.post(
        f"/executions/strategies/{strategy['id']}/execute", json={"params": params}, headers=headers
    )
    assert rest.status_code == 422
    async with mcp_session(server.http_url, headers) as session:
        body = error(
            await session.call_tool("run_backtest", {"strategy_id": strategy["id"], "params": params})
        )
    assert body["error"] == "ValidationError" and body["status"] == 422
    assert [e["field"] for e in body["errors"]] == [field]
    assert [e["msg"] for e in body["errors"]] == [e["msg"] for e in rest.json()["errors"]]
    listed = (await http.get(f"/executions/strategies/{strategy['id']}/executions", headers=headers)).json()
    assert listed == []  # nothing was created


async def test_hostile_edited_code_fails_like_rest_naming_the_line(
    server: LiveServer, http: httpx.AsyncClient, headers: dict[str, str], tmp_path: Path
) -> None:
    marker = tmp_path / "pwned"
    hostile = f"import vectorbt as vbt\nimport os\nos.system('touch {marker}')\nportfolio = None\n"
    strategy = await create_strategy(http, headers)
    async with mcp_session(server.http_url, headers) as session:
        body = error(
            await session.call_tool(
                "run_backtest", {"strategy_id": strategy["id"], "params": SEED_PARAMS, "code": hostile}
            )
        )
    rest = await wait_final(
        http, headers, (await execute(http, headers, strategy["id"], params=SEED_PARAMS, code=hostile))["id"]
    )
    assert rest["status"] == body["execution_status"] == "failed"
    assert body == {
        **rest["agent_insights"]["error"],
        "execution_id": body["execution_id"],
        "execution_status": "failed",
    }
    assert body["error"] == "CodePolicyViolation" and "line 2" in body["detail"]
    assert not marker.exists()
    too_long = "x = 1\n" * 40_000
    async with mcp_session(server.http_url, headers) as session:
        refused = error(
            await session.call_tool("run_backtest", {"strategy_id": strategy["id"], "code": too_long})
        )
    assert refused["errors"][0]["field"] == "code" and refused["status"] == 422


async def test_an_unreadable_rule_fails_naming_node_and_rule(
    server: LiveServer, http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    graph = {"nodes": [{"id": "buy", "type": "entry_condition", "meta": {"rules": ["RSI is bananas"]}}]}
    strategy = await create_strategy(http, headers, graph=graph)
    async with mcp_session(server.http_url, headers) as session:
        body = error(
            await session.call_tool("run_backtest", {"strategy_id": strategy["id"], "params": SEED_PARAMS})
        )
    assert body["error"] == "RuleNotUnderstood" and body["execution_id"].startswith("exec_")
    assert body["node_id"] == "buy" and body["rule"] == "RSI is bananas"
    assert isinstance(body["position"], int) and body["suggestion"]


@pytest.mark.parametrize(
    "code",
    [
        "import vectorbt as vbt\nportfolio = None\n",
        "import os\nos.system('id')\n",
        "import vectorbt as vbt\nx = ().__class__.__bases__[0].__subclasses__()\n",
        "open('/etc/passwd').read()\n",
    ],
)
async def test_validate_code_is_rests_policy_check(
    server: LiveServer, http: httpx.AsyncClient, headers: dict[str, str], code: str
) -> None:
    async with mcp_session(server.http_url, headers) as session:
        checked = ok(await session.call_tool("validate_code", {"code": code}))
    rest = (await http.post("/code/validate", json={"code": code}, headers=headers)).json()
    assert checked == rest
    assert checked["ok"] == (code.startswith("import vectorbt as vbt\nportfolio"))
    assert all(v["line"] >= 1 for v in checked["violations"])


async def test_a_run_longer_than_the_wait_answers_its_status_and_keeps_going(
    server: LiveServer, http: httpx.AsyncClient, headers: dict[str, str], app: Any
) -> None:
    strategy = await create_strategy(http, headers)
    await app.state.runtime.pipelines.get()  # loaded, so the run is surely past `queued` when the wait ends
    settings = app.state.runtime.settings
    waited, settings.mcp.run_wait_s = settings.mcp.run_wait_s, 3.0
    try:
        async with mcp_session(server.http_url, headers) as session:
            result = await session.call_tool("run_backtest", {"strategy_id": strategy["id"], "code": SPIN})
    finally:
        settings.mcp.run_wait_s = waited
    still = ok(result)
    assert still["status"] in ("analyzing", "generating_code", "executing")  # the spin runs for 20 s
    assert "still" in text_of(result).split("\n", 1)[0]
    running = (await http.get(f"/executions/{still['execution_id']}", headers=headers)).json()
    assert running["status"] not in ("cancelled", "failed", "completed")  # not cancelled by the wait ending
    await http.post(f"/executions/{still['execution_id']}/cancel", headers=headers)
    assert (await wait_final(http, headers, still["execution_id"], timeout_s=10))["status"] == "cancelled"
