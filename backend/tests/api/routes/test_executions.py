import gzip
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest

from tests.utils.factories import create_strategy, execute, register, wait_final

DATASETS = Path(__file__).resolve().parents[3] / "app" / "datasets"
SEED_PARAMS = {
    "symbols": ["SPX"],
    "start_date": "2012-01-01",
    "end_date": "2016-12-31",
    "initial_capital": 10000,
}


def independent_buy_and_hold_pct(symbol: str, start: str, end: str) -> float:
    with gzip.open(DATASETS / f"{symbol}.csv.gz", "rt") as handle:
        frame = pd.read_csv(handle)
    date_col = next(c for c in frame.columns if c.lower() in ("date", "timestamp"))
    close_col = next(c for c in frame.columns if c.lower() == "close")
    dates = pd.to_datetime(frame[date_col], utc=True)
    close = frame[close_col].to_numpy()[
        (dates >= pd.Timestamp(start, tz="UTC")) & (dates <= pd.Timestamp(end, tz="UTC"))
    ]
    return float((close[-1] / close[0] - 1) * 100)


async def test_seed_example_runs_end_to_end(client: httpx.AsyncClient) -> None:
    headers = await register(client)
    strategy = await create_strategy(client, headers)
    created = await execute(client, headers, strategy["id"], params=SEED_PARAMS)
    assert created["id"].startswith("exec_")
    assert created["status"] == "queued"

    final = await wait_final(client, headers, created["id"])
    assert final["status"] == "completed", final["error_message"]
    assert final["started_at"] and final["completed_at"]
    logs = " ".join(final["execution_logs"]).lower()
    for word in ("analy", "generat", "backtest"):
        assert word in logs
    insights = final["agent_insights"]
    assert insights["indicators_used"] and any("20" in label for label in insights["indicators_used"])
    assert insights["execution_time"] > 0
    assert insights["spec"]

    code = (await client.get(f"/executions/{created['id']}/code", headers=headers)).json()
    assert code["language"] == "python"
    assert "from_signals" in code["code"] and "0.05" in code["code"].replace("5.0 / 100", "0.05")

    results = (await client.get(f"/executions/{created['id']}/results", headers=headers)).json()
    assert results["id"].startswith("bt_")
    metrics = results["metrics"]
    for key in ("total_return", "cagr", "sharpe_ratio", "max_drawdown", "win_rate", "trades", "vs_benchmark"):
        assert key in metrics, key
    assert (
        metrics["trades"] == len([t for t in results["trades"] if t.get("exit_time")])
        or metrics["trades"] > 0
    )
    equity = np.array([point[1] for point in results["equity_series"]])
    assert equity[0] == pytest.approx(10000, rel=0.01)
    assert metrics["total_return"] == pytest.approx((equity[-1] / 10000 - 1) * 100, abs=0.05)
    benchmark = independent_buy_and_hold_pct("SPX", "2012-01-01", "2016-12-31")
    assert metrics["vs_benchmark"] == pytest.approx(metrics["total_return"] - benchmark, abs=0.01)
    assert metrics["max_drawdown"] <= 0


async def test_results_are_409_until_completed(client: httpx.AsyncClient, app) -> None:  # type: ignore[no-untyped-def]
    from app.core.ids import new_id
    from app.models.execution import StrategyExecution

    headers = await register(client)
    strategy = await create_strategy(client, headers)
    me = (await client.get("/strategies", headers=headers)).json()[0]
    async with app.state.session_factory() as session:
        from app.models.strategy import Strategy

        row = await session.get(Strategy, me["id"])
        execution = StrategyExecution(
            id=new_id("exec"), strategy_id=strategy["id"], user_id=row.user_id, params={}, status="executing"
        )
        session.add(execution)
        await session.commit()
    response = await client.get(f"/executions/{execution.id}/results", headers=headers)
    assert response.status_code == 409
    assert response.json()["status"] == "executing"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start_date": "2015-01-01", "end_date": "2014-01-01"}, "end_date"),
        ({"initial_capital": 0}, "initial_capital"),
        ({"fees": 0.5}, "fees"),
        ({"slippage": -0.01}, "slippage"),
        ({"exposure": 0}, "exposure"),
        ({"exposure": 1.5}, "exposure"),
        ({"timeframe": "3m"}, "timeframe"),
        ({"symbols": []}, "symbols"),
        ({"symbols": [".."]}, "symbols"),  # refused here, before a run is queued (issue 15)
        ({"symbols": ["SPX", ".x"]}, "symbols"),
        ({"benchmark": ".."}, "benchmark"),
        ({"unknown_field": 1}, "unknown_field"),
    ],
)
async def test_bad_params_are_422_naming_the_field(
    client: httpx.AsyncClient, params: dict, field: str
) -> None:
    headers = await register(client)
    strategy = await create_strategy(client, headers)
    response = await client.post(
        f"/executions/strategies/{strategy['id']}/execute", json={"params": params}, headers=headers
    )
    assert response.status_code == 422, response.text
    assert field in response.json()["detail"]


async def test_unreadable_rule_fails_naming_node_and_rule(client: httpx.AsyncClient) -> None:
    headers = await register(client)
    graph = {
        "nodes": [
            {"id": "entry-7", "type": "entry_condition", "meta": {"rules": ["Buy when the moon is full"]}}
        ]
    }
    strategy = await create_strategy(client, headers, graph)
    final = await wait_final(client, headers, (await execute(client, headers, strategy["id"]))["id"])
    assert final["status"] == "failed"
    assert "entry-7" in final["error_message"] and "Buy when the moon is full" in final["error_message"]
    assert final["agent_insights"]["error"]["error"] == "RuleNotUnderstood"
    assert final["agent_insights"]["failed_stage"] == "analyzing"


async def test_executions_of_other_users_are_404(client: httpx.AsyncClient) -> None:
    owner = await register(client)
    intruder = await register(client)
    strategy = await create_strategy(client, owner)
    execution = await execute(client, owner, strategy["id"], params=SEED_PARAMS)
    for path in (
        f"/executions/{execution['id']}",
        f"/executions/{execution['id']}/code",
        f"/executions/{execution['id']}/results",
        f"/executions/strategies/{strategy['id']}/executions",
    ):
        assert (await client.get(path, headers=intruder)).status_code == 404, path
    assert (await client.post(f"/executions/{execution['id']}/cancel", headers=intruder)).status_code == 404
    await wait_final(client, owner, execution["id"])
    listed = (await client.get(f"/executions/strategies/{strategy['id']}/executions", headers=owner)).json()
    assert [e["id"] for e in listed] == [execution["id"]]


async def test_cancel_stops_a_running_execution(client: httpx.AsyncClient) -> None:
    headers = await register(client)
    strategy = await create_strategy(client, headers)
    spin = "import vectorbt as vbt\nwhile True:\n    pass\n"
    execution = await execute(client, headers, strategy["id"], params=SEED_PARAMS, code=spin)
    loop_deadline = 0
    while loop_deadline < 400:
        status = (await client.get(f"/executions/{execution['id']}", headers=headers)).json()["status"]
        if status == "executing":
            break
        loop_deadline += 1
        import asyncio

        await asyncio.sleep(0.05)
    response = await client.post(f"/executions/{execution['id']}/cancel", headers=headers)
    assert response.status_code == 200
    final = await wait_final(client, headers, execution["id"], timeout_s=5)
    assert final["status"] == "cancelled"
    again = await client.post(f"/executions/{execution['id']}/cancel", headers=headers)
    assert again.status_code == 409
