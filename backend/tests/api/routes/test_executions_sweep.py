"""The sweep through the API: the contract of POST .../sweep, GET .../sweep and .../sweep.csv, 422s that
name what is wrong, ownership, and a best row that replays as a normal execution."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest

from tests.utils.factories import create_strategy, execute, register, wait_final

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
PARAMS = {"symbols": ["SPX"], "start_date": "2008-01-01", "end_date": "2016-12-31"}
BODY: dict[str, Any] = {
    "params": PARAMS,
    "grid": {"fast": {"start": 5, "stop": 20, "step": 5}, "slow": [20, 50, 100], "sl.stop_pct": [3, 5]},
    "objective": "sharpe_ratio",
    "validation": {"method": "walk_forward", "folds": 3, "in_sample": 0.7},
}


async def test_sweep_contract_end_to_end(client: httpx.AsyncClient) -> None:
    headers = await register(client)
    strategy = await create_strategy(client, headers, GRAPH, name="MA sweep")
    created = await client.post(f"/executions/strategies/{strategy['id']}/sweep", json=BODY, headers=headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["kind"] == "sweep" and body["status"] == "queued"
    final = await wait_final(client, headers, body["id"], timeout_s=600)
    assert final["status"] == "completed", final["error_message"]
    logs = " ".join(final["execution_logs"])
    assert "combinations" in logs and " / " in logs  # progress of combinations done / total

    sweep = (await client.get(f"/executions/{body['id']}/sweep", headers=headers)).json()
    for key in ("combinations", "evaluated", "skipped", "objective", "elapsed_s", "combos_per_s", "rows",
                "heatmap", "walk_forward", "overfitting"):  # fmt: skip
        assert key in sweep, key
    assert sweep["combinations"] == 4 * 3 * 2
    swapped = sum(1 for f in (5, 10, 15, 20) for s in (20, 50, 100) if f >= s)  # fast >= slow: not run
    assert sweep["skipped"] == swapped * 2 == 2
    assert sweep["evaluated"] == sweep["combinations"] - sweep["skipped"]
    assert set(sweep["heatmap"]) >= {"x", "y", "x_values", "y_values", "z"}
    assert (sweep["heatmap"]["x"], sweep["heatmap"]["y"]) == ("fast", "slow")
    assert len(sweep["walk_forward"]["folds"]) == 3 and sweep["walk_forward"]["stitched_equity"]
    assert 0 <= sweep["overfitting"]["deflated_sharpe_ratio"] <= 1
    assert sweep["overfitting"]["pbo"]["partitions"] == 16
    assert sweep["optimization"]["values"] and sweep["optimization"]["reasons"]
    # offline: the deterministic reasons, the picked row's metrics from the table
    assert sweep["optimization"]["method"] == "deterministic" and sweep["optimization"]["warning"] is None
    assert final["agent_insights"]["agents"]["mode"] == "offline"
    picked = sweep["optimization"]["values"]
    same = [r for r in sweep["rows"] if r["values"] == picked]
    if same:  # the pick is among the top 100 rows: its metrics are that row's (float32 in the table)
        assert sweep["optimization"]["metrics"]["sharpe_ratio"] == pytest.approx(
            same[0]["metrics"]["sharpe_ratio"], abs=1e-5
        )
    assert sweep["cost_breakeven"] is None  # no cost swept

    csv_text = (await client.get(f"/executions/{body['id']}/sweep.csv", headers=headers)).text
    table = list(csv.DictReader(io.StringIO(csv_text)))
    assert len(table) == sweep["evaluated"]
    assert {"fast", "slow", "sl.stop_pct", "sharpe_ratio"} <= set(table[0])

    # the best row replays as a normal execution with the same values
    best = sweep["best"]
    values = best["values"]
    replay = {
        "nodes": [
            {"id": "e", "type": "entry_condition",
             "meta": {"rules": [f"SMA({values['fast']:g}) crosses above SMA({values['slow']:g})"]}},
            {"id": "x", "type": "exit_condition",
             "meta": {"rules": [f"SMA({values['fast']:g}) crosses below SMA({values['slow']:g})"]}},
            {"id": "sl", "type": "stop_loss", "meta": {"stop_pct": values["sl.stop_pct"]}},
        ]
    }  # fmt: skip
    other = await create_strategy(client, headers, replay, name="best row")
    run = await wait_final(
        client, headers, (await execute(client, headers, other["id"], params=PARAMS))["id"]
    )
    assert run["status"] == "completed", run["error_message"]
    metrics = (await client.get(f"/executions/{run['id']}/results", headers=headers)).json()["metrics"]
    for key, value in best["metrics"].items():
        if metrics.get(key) is None:
            assert value is None, key
        else:
            assert value == pytest.approx(metrics[key], abs=1e-9), key

    # the pick went to memory: the next sweep of a similar strategy starts with it as a suggestion
    again = await client.post(
        f"/executions/strategies/{strategy['id']}/sweep",
        json={"params": PARAMS, "grid": {"fast": [5, 10], "slow": [50]}, "validation": None},
        headers=headers,
    )
    second = await wait_final(client, headers, again.json()["id"], timeout_s=600)
    assert second["status"] == "completed", second["error_message"]
    suggestion = second["agent_insights"]["sweep_suggestion"]
    assert suggestion["execution_id"] == body["id"]
    assert suggestion["values"] == sweep["optimization"]["values"]

    # ownership: another user sees nothing
    stranger = await register(client)
    assert (await client.get(f"/executions/{body['id']}/sweep", headers=stranger)).status_code == 404
    assert (await client.get(f"/executions/{body['id']}/sweep.csv", headers=stranger)).status_code == 404


@pytest.mark.parametrize(
    ("grid", "param", "words"),
    [
        ({"fsat": [5, 10]}, "fsat", "unknown parameter"),
        ({"sl.stop_pct": [5, 150]}, "sl.stop_pct", "sl.stop_pct = 150 is not valid"),
        ({"fast": {"start": 1, "stop": 1000, "step": 1}, "slow": {"start": 1, "stop": 2000, "step": 1}}, None,
         "more than the limit"),
    ],
)  # fmt: skip
async def test_a_bad_sweep_is_a_422_naming_it(
    client: httpx.AsyncClient, grid: dict[str, Any], param: str | None, words: str
) -> None:
    headers = await register(client)
    strategy = await create_strategy(client, headers, GRAPH)
    response = await client.post(
        f"/executions/strategies/{strategy['id']}/sweep",
        json={"params": PARAMS, "grid": grid},
        headers=headers,
    )
    assert response.status_code == 422, response.text
    error = response.json()
    assert error["error"] == "InvalidSweep" and words in error["detail"]
    assert error["param"] == param


async def test_results_wait_for_completion_and_backtests_are_not_sweeps(client: httpx.AsyncClient) -> None:
    headers = await register(client)
    strategy = await create_strategy(client, headers)
    run = await execute(client, headers, strategy["id"], params=PARAMS)
    response = await client.get(f"/executions/{run['id']}/sweep", headers=headers)
    assert response.status_code == 404 and "not a sweep" in response.json()["detail"]
