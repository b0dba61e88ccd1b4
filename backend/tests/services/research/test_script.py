"""A sweep request -> its script: what each parameter moves is learnt from the language, the script's best
row is the normal run of the same values, and what cannot be swept is refused by name."""

from __future__ import annotations

import ast
import sys
from datetime import date
from typing import Any

import pandas as pd
import pytest

import app.services.research.kernel as kernel
from app.models.params import ExecutionParams
from app.services.language import RuleNotUnderstood, SavedIndicator, build_spec, compile_spec, parse_graph
from app.services.language.compiler_sweep import compile_sweep
from app.services.research.design import design, graph_with, known_parameters
from app.services.research.errors import InvalidSweep
from app.services.research.script import sweep_script, sweep_source
from app.services.results import build_results
from app.services.sandbox.harness.script import run_script, strip_stub
from app.services.sandbox.result import TradeRecord
from tests.services.research.kernel.sweep_fixtures import DATASETS

GRAPH: dict[str, Any] = {
    "nodes": [
        {
            "id": "e",
            "type": "entry_condition",
            "meta": {"rules": ["SMA({fast=10}) crosses above SMA({slow=50})"]},
        },
        {"id": "x", "type": "exit_condition", "meta": {"rules": ["close is {drop=5}% below the 20-day SMA"]}},
        {"id": "sl", "type": "stop_loss", "meta": {"stop_pct": 5.0}},
    ]
}
PARAMS = ExecutionParams(symbols=["SPX"], start_date=date(2009, 1, 1), end_date=date(2018, 12, 31))
GRID = {"fast": [5, 10, 20, 30], "slow": [20, 50, 100], "drop": [3, 5], "sl.stop_pct": [3, 5, 8]}


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    raw = pd.read_csv(DATASETS / "SPX.csv.gz", index_col="date", parse_dates=["date"])
    raw.index = pd.DatetimeIndex(raw.index).tz_localize("UTC")
    return raw.rename(columns=str.capitalize).astype("float64")


def run_sweep_script(code: str, frame: pd.DataFrame) -> Any:
    sys.modules.setdefault("stratcrew_research", kernel)  # the sandbox preloads it under this name
    namespace: dict[str, Any] = {"__name__": "strategy", "load_data": lambda symbol: frame.copy()}
    exec(compile(strip_stub(ast.parse(code)), "<sweep>", "exec"), namespace)
    return namespace["sweep"]


def test_each_parameter_moves_what_the_language_says() -> None:
    d = design(GRAPH, PARAMS, GRID)
    leaves = {(leaf.side, leaf.path): leaf for leaf in d.leaves}
    assert leaves[("entries", ("left",))].params == ["fast"]
    assert leaves[("entries", ("right",))].params == ["slow"]
    drop = leaves[("exits", ("right", "right"))]
    assert drop.kind == "const" and d.const_of(drop, 3.0) == 0.97 and d.const_of(drop, 5.0) == 0.95
    assert d.indicator_of(leaves[("entries", ("left",))], {"fast": 30.0}).period == 30
    assert d.exec_fields["stop_loss"][0] == "sl.stop_pct" and d.exec_fields["stop_loss"][1][8.0] == 0.08
    assert d.signal_params == ["fast", "slow", "drop"]


def test_the_best_row_is_the_normal_run_of_its_values(frame: pd.DataFrame) -> None:
    d = design(GRAPH, PARAMS, GRID)
    code = sweep_script(d, "sharpe_ratio", (4, 0.7), None)
    summary = run_sweep_script(code, frame).summary
    assert summary["combinations"] == 72
    swapped = sum(1 for f in GRID["fast"] for w in GRID["slow"] if f >= w)  # (20, 20) and (30, 20)
    assert summary["skipped"] == swapped * 2 * 3 == 12
    assert_best_row_is_the_normal_run(summary, GRAPH, PARAMS, frame)


def assert_best_row_is_the_normal_run(
    summary: dict[str, Any], graph: dict[str, Any], params: ExecutionParams, frame: pd.DataFrame
) -> None:
    """The best row's metrics against a normal run (the normal script and results) of its values."""
    best = summary["best"]["values"]
    for name, value in best.items():
        if name.startswith("params."):
            params = ExecutionParams.model_validate({**params.model_dump(), name[len("params.") :]: value})
        else:
            graph = graph_with(graph, name, value)
    normal_code = compile_spec(build_spec(parse_graph(graph), params))
    report = run_script(normal_code, {"SPX": frame}, ["SPX"])
    out = report["ok"]
    trades = [TradeRecord.model_validate(t) for t in out["trades"]]
    normal = build_results(out["equity"], trades, None, params).metrics.model_dump()
    assert summary["best"]["metrics"]["trades"] > 0
    for key, value in summary["best"]["metrics"].items():
        if normal[key] is None:
            assert value is None, key
        else:
            assert value == pytest.approx(normal[key], abs=1e-9), key


SHORTS: dict[str, Any] = {
    "nodes": [
        {"id": "e", "type": "entry_condition",
         "meta": {"rules": ["SMA({fast=10}) crosses above SMA({slow=50})"]}},
        {"id": "s", "type": "short_entry_condition",
         "meta": {"rules": ["SMA({fast=10}) crosses below SMA({slow=50})"]}},
        {"id": "sl", "type": "stop_loss", "meta": {"stop_pct": 5.0}},
        {"id": "tp", "type": "take_profit", "meta": {"target_pct": 10.0}},
    ]
}  # fmt: skip


@pytest.mark.parametrize(
    ("graph", "params", "grid"),
    [
        # long and short, reversing on the opposite entry, stops mirrored for shorts
        (SHORTS, PARAMS, {"fast": [5, 10, 20], "slow": [50, 100], "tp.target_pct": [6, 10]}),
        # stops fill with slippage (stop_slippage) while the fees are swept
        (GRAPH, PARAMS.model_copy(update={"stop_slippage": True, "slippage": 0.002}),
         {"fast": [5, 10, 20], "slow": [50, 100], "params.fees": [0.0, 0.001, 0.003]}),
    ],
    ids=["shorts", "stop_slippage"],
)  # fmt: skip
def test_the_best_row_is_the_normal_run_with_shorts_and_stop_slippage(
    frame: pd.DataFrame, graph: dict[str, Any], params: ExecutionParams, grid: dict[str, list[float]]
) -> None:
    code = sweep_script(design(graph, params, grid), "total_return", None, None)
    summary = run_sweep_script(code, frame).summary
    assert summary["evaluated"] == summary["combinations"]
    assert_best_row_is_the_normal_run(summary, graph, params, frame)


def test_cost_breakeven_and_a_chosen_heatmap(frame: pd.DataFrame) -> None:
    grid = {"fast": [5, 10, 20], "slow": [50, 100], "params.fees": [0.0, 0.01, 0.04, 0.1]}
    code = sweep_script(design(GRAPH, PARAMS, grid), "total_return", None, ("slow", "params.fees"))
    summary = run_sweep_script(code, frame).summary
    heat = summary["heatmap"]
    assert (heat["x"], heat["y"]) == ("slow", "params.fees")
    assert heat["x_values"] == [50.0, 100.0] and heat["y_values"] == grid["params.fees"]
    # z: the objective over (slow, fees) with fast at its best value, straight from the table
    best_fast = summary["best"]["values"]["fast"]
    rows = {
        (r["values"]["fast"], r["values"]["slow"], r["values"]["params.fees"]): r for r in summary["rows"]
    }
    for i, fees in enumerate(heat["y_values"]):
        for j, slow in enumerate(heat["x_values"]):
            expected = rows[(best_fast, slow, fees)]["metrics"]["total_return"]
            assert heat["z"][i][j] == pytest.approx(expected, abs=1e-6)  # the rows are rounded to 6 places
    # the fees at which the total return turns non-positive, the other parameters at the best row's values
    (breakeven,) = summary["cost_breakeven"]
    assert breakeven["param"] == "params.fees" and breakeven["objective"] == "total_return"
    best = summary["best"]["values"]
    line = [
        (f, rows[(best["fast"], best["slow"], f)]["metrics"]["total_return"]) for f in grid["params.fees"]
    ]
    assert breakeven["curve"] == [[f, pytest.approx(v, abs=1e-6)] for f, v in line]
    assert line[0][1] > 0 and line[-1][1] <= 0, "the fixture must cross zero"
    k = next(i for i, (_, v) in enumerate(line) if v <= 0)
    (c0, v0), (c1, v1) = line[k - 1], line[k]
    assert breakeven["breakeven"] == pytest.approx(c0 + v0 * (c1 - c0) / (v0 - v1), rel=1e-5)


def test_what_the_kernel_does_not_simulate_is_refused_by_name() -> None:
    atr = {
        **GRAPH,
        "nodes": [*GRAPH["nodes"][:2], {"id": "sl", "type": "stop_loss", "meta": {"stop_atr": 2.0}}],
    }
    with pytest.raises(InvalidSweep) as caught:
        design(atr, PARAMS, {"fast": [5, 10]})
    assert caught.value.fields["param"] == "sl.stop_atr" and caught.value.fields["node_id"] == "sl"
    assert "ATR multiples cannot be swept" in caught.value.message
    reenter = PARAMS.model_copy(update={"reenter_on_exit_bar": True})
    with pytest.raises(InvalidSweep) as again:
        design(GRAPH, reenter, {"fast": [5, 10]})
    assert again.value.fields["param"] == "params.reenter_on_exit_bar"
    timed = {**GRAPH, "nodes": [*GRAPH["nodes"], {"id": "t", "type": "exit_condition",
                                                 "meta": {"rules": ["exit after 10 days"]}}]}  # fmt: skip
    with pytest.raises(InvalidSweep) as limit:
        design(timed, PARAMS, {"fast": [5, 10]})
    assert "time limit" in limit.value.message and limit.value.fields["node_id"] == "t"


def test_unknown_parameters_and_bad_values_are_named() -> None:
    with pytest.raises(InvalidSweep) as caught:
        design(GRAPH, PARAMS, {"fsat": [5, 10]})
    assert caught.value.fields["param"] == "fsat" and "fast" in caught.value.message
    with pytest.raises(InvalidSweep) as bad:
        design(GRAPH, PARAMS, {"sl.stop_pct": [5, 150]})
    assert bad.value.fields["param"] == "sl.stop_pct" and bad.value.fields["value"] == 150
    assert "sl.stop_pct = 150 is not valid" in bad.value.message
    with pytest.raises(InvalidSweep) as unsupported:
        design(GRAPH, PARAMS, {"params.exposure": [0.5]})
    assert unsupported.value.fields["param"] == "params.exposure"


def test_known_parameters_lists_rules_nodes_and_params() -> None:
    known = known_parameters(GRAPH)
    assert known["fast"] == 10 and known["drop"] == 5 and known["sl.stop_pct"] == 5
    assert "params.fees" in known and "params.slippage" in known


def test_a_sweep_reads_the_users_saved_indicators() -> None:
    """The owner's library (`/indicators`) reaches the sweep's design as it reaches a backtest: a rule naming
    a saved indicator is swept, and the script computes it; without the library the name is unknown."""
    graph = {
        "nodes": [
            {"id": "e", "type": "entry_condition", "meta": {"rules": ["spread crosses above {lvl=0}"]}},
            {"id": "sl", "type": "stop_loss", "meta": {"stop_pct": 5.0}},
        ]
    }
    library = [SavedIndicator("spread", "close - SMA(50)")]
    d = design(graph, PARAMS, {"lvl": [0.0, 5.0]}, library)
    assert [c.name for c in d.default.custom_indicators] == ["spread"]
    assert [(leaf.side, leaf.params) for leaf in d.leaves] == [("entries", ["lvl"])]
    code = compile_sweep(d.default, sweep_source(d, "sharpe_ratio", None, None))
    assert "spread = close - sma_50" in code
    with pytest.raises(RuleNotUnderstood):
        design(graph, PARAMS, {"lvl": [0.0, 5.0]})
