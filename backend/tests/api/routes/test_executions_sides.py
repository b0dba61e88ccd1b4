"""Through the API, from the real sandbox: long and short in one strategy, stops in ATR multiples, the two
fill settings, and indicators warmed up on the bars before start_date (issue 14, section 4)."""

from __future__ import annotations

import html
import itertools
from typing import Any

import httpx
import pandas as pd
import pytest

from tests.utils.factories import SEED_GRAPH, create_strategy, execute, register, wait_final

LONG_SHORT: dict[str, Any] = {
    "nodes": [
        {"id": "long", "type": "entry_condition", "meta": {"rules": ["SMA(20) crosses above SMA(50)"]}},
        {
            "id": "short",
            "type": "short_entry_condition",
            "meta": {"rules": ["SMA(20) crosses below SMA(50)"]},
        },
        {"id": "cover", "type": "short_exit_condition", "meta": {"rules": ["RSI(14) below 30"]}},
        {"id": "sl", "type": "stop_loss", "meta": {"stop_atr": 3, "atr_period": 14}},
    ]
}
WINDOW = {"symbols": ["SPX"], "start_date": "2004-01-01", "end_date": "2012-12-31"}


async def _run(
    client: httpx.AsyncClient, headers: dict[str, str], graph: dict[str, Any], **params: Any
) -> dict:  # type: ignore[type-arg]
    strategy = await create_strategy(client, headers, graph)
    created = await execute(client, headers, strategy["id"], params=params)
    final = await wait_final(client, headers, created["id"])
    assert final["status"] == "completed", final["error_message"]
    results = (await client.get(f"/executions/{created['id']}/results", headers=headers)).json()
    code = (await client.get(f"/executions/{created['id']}/code", headers=headers)).json()["code"]
    return {"execution": final, "results": results, "code": code}


async def test_long_and_short_with_an_atr_stop(client: httpx.AsyncClient) -> None:
    headers = await register(client)
    run = await _run(client, headers, LONG_SHORT, **WINDOW)
    code, results = run["code"], run["results"]
    assert "short_entries=short_entries" in code and 'upon_opposite_entry="reverse"' in code
    assert "SL_STOP = SL_ATR * atr_14 / close" in code
    assert "Opposite entries:" in code and "stop_slippage: false" in code  # the fill rules, stated
    trades = results["trades"]
    sides = {t["direction"] for t in trades}
    assert sides == {"long", "short"}
    metrics = results["metrics"]
    assert metrics["long_trades"] + metrics["short_trades"] == metrics["trades"] == len(trades)
    reasons = {(t["direction"], t["exit_reason"]) for t in trades}
    assert ("short", "stop_loss") in reasons and ("long", "stop_loss") in reasons
    stop = next(t for t in trades if t["direction"] == "short" and t["exit_reason"] == "stop_loss")
    assert "ATR(14)" in stop["exit_rule"] and "(1 + 3 x ATR(14)" in stop["exit_rule"]
    assert any("reversed the position" in t["exit_rule"] for t in trades)
    assert run["execution"]["agent_insights"]["spec"]["stop_loss_atr"] == {"multiple": 3.0, "period": 14}


async def test_fill_settings_are_honoured_and_stated(client: httpx.AsyncClient) -> None:
    headers = await register(client)
    window = {"symbols": ["SPX"], "start_date": "2008-01-01", "end_date": "2012-12-31"}
    default = await _run(client, headers, SEED_GRAPH, **window)
    slipped = await _run(client, headers, SEED_GRAPH, **window, stop_slippage=True)
    reentry = await _run(client, headers, SEED_GRAPH, **window, reenter_on_exit_bar=True)
    assert (
        'STOP_EXIT_PRICE = "stoplimit"' in default["code"] and "reenter_on_exit_bar: false" in default["code"]
    )
    assert 'STOP_EXIT_PRICE = "stopmarket"' in slipped["code"] and "stop_slippage: true" in slipped["code"]
    assert "REENTER_ON_EXIT_BAR = True" in reentry["code"] and "reenter_on_exit_bar: true" in reentry["code"]
    ret = {
        k: v["results"]["metrics"]["total_return"]
        for k, v in (("d", default), ("s", slipped), ("r", reentry))
    }
    assert ret["s"] < ret["d"] and ret["r"] != pytest.approx(ret["d"], abs=0.01)
    # The report states the same fill rules as the code's header, from the one place that words them.
    from app.models.fills import fill_conventions
    from app.models.params import ExecutionParams

    report = await client.get(f"/executions/{slipped['execution']['id']}/report", headers=headers)
    assert "Fill conventions" in report.text
    header = " ".join(slipped["code"].split('"""')[1].split())
    for convention in fill_conventions(ExecutionParams(**window, stop_slippage=True)):
        assert html.escape(convention.text) in report.text
        assert " ".join(convention.text.split()) in header
    stop_fills = [t for t in slipped["results"]["trades"] if t["exit_reason"] in ("stop_loss", "take_profit")]
    assert stop_fills and all("slippage" in t["exit_rule"] for t in stop_fills)
    trades = reentry["results"]["trades"]
    same_bar = [b for a, b in itertools.pairwise(trades) if a["exit_time"] == b["entry_time"]]
    assert same_bar and all(
        a["exit_reason"] != "signal" for a in trades if a["exit_time"] in {b["entry_time"] for b in same_bar}
    )


async def test_sma200_from_2010_trades_before_october_thanks_to_earlier_bars(
    client: httpx.AsyncClient,
) -> None:
    """The data starts in 1999: a 200-day SMA has its value on the first bar of 2010, so the strategy can
    be in the market in January, and the equity, benchmark and metrics still start on 2010's first bar."""
    headers = await register(client)
    graph = {"nodes": [
        {"id": "e", "type": "entry_condition", "meta": {"rules": ["close above the 200-day SMA"]}},
        {"id": "x", "type": "exit_condition", "meta": {"rules": ["close below the 200-day SMA"]}},
    ]}  # fmt: skip
    run = await _run(client, headers, graph, symbols=["SPX"], start_date="2010-01-01", end_date="2011-12-31")
    results = run["results"]
    first_entry = min(pd.Timestamp(t["entry_time"]) for t in results["trades"])
    assert first_entry < pd.Timestamp("2010-02-01", tz="UTC")  # was October 2010 without the warm-up
    assert results["equity_series"][0][0].startswith("2010-01-04")
    assert results["benchmark_series"][0][0].startswith("2010-01-04")
    assert results["metrics"]["start"].startswith("2010-01-04")
    assert not any("warm-up" in w for w in results["metrics"]["warnings"])
    logs = " ".join(run["execution"]["execution_logs"])
    assert "before 2010-01-01 for the indicators' warm-up" in logs


async def test_missing_earlier_bars_are_said(client: httpx.AsyncClient) -> None:
    headers = await register(client)
    graph = {"nodes": [
        {"id": "e", "type": "entry_condition", "meta": {"rules": ["close above the 200-day SMA"]}},
        {"id": "x", "type": "exit_condition", "meta": {"rules": ["close below the 200-day SMA"]}},
    ]}  # fmt: skip
    run = await _run(client, headers, graph, symbols=["SPX"], start_date="1999-01-01", end_date="2001-12-31")
    warning = next(w for w in run["results"]["metrics"]["warnings"] if "warm-up" in w)
    assert "the first 199 bars of the backtest" in warning and "SPX: the data has 0 bars" in warning


async def test_bad_atr_stop_and_short_exit_without_entry_are_named(client: httpx.AsyncClient) -> None:
    headers = await register(client)
    both = {"nodes": [
        SEED_GRAPH["nodes"][0], {"id": "stop", "type": "stop_loss", "meta": {"stop_pct": 5, "stop_atr": 2}},
    ]}  # fmt: skip
    response = await client.post("/strategies", json={"name": "x", "schema": both}, headers=headers)
    assert response.status_code == 422
    body = response.json()
    assert body["node_id"] == "stop" and "not both" in body["detail"]
    orphan = {"nodes": [
        SEED_GRAPH["nodes"][0],
        {"id": "cover", "type": "short_exit_condition", "meta": {"rules": ["RSI(14) below 30"]}},
    ]}  # fmt: skip
    strategy = await create_strategy(client, headers, orphan)
    created = await execute(client, headers, strategy["id"], params=WINDOW)
    final = await wait_final(client, headers, created["id"])
    assert final["status"] == "failed" and "Node 'cover'" in final["error_message"]


async def test_schema_offers_short_nodes_and_atr_distances(client: httpx.AsyncClient) -> None:
    headers = await register(client)
    text = str((await client.get("/strategies/schema", headers=headers)).json())
    for word in (
        "short_entry_condition",
        "short_exit_condition",
        "stop_atr",
        "target_atr",
        "trail_atr",
        "atr_period",
    ):
        assert word in text, word
