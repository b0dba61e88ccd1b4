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
from app.services.language import build_spec, compile_spec, parse_graph
from app.services.research.design import design, known_parameters
from app.services.research.errors import InvalidSweep
from app.services.research.script import sweep_script
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
    best = summary["best"]["values"]
    graph = GRAPH
    for name in ("fast", "slow", "drop"):
        from app.services.research.design import graph_with

        graph = graph_with(graph, name, best[name])
    graph = graph_with(graph, "sl.stop_pct", best["sl.stop_pct"])
    normal_code = compile_spec(build_spec(parse_graph(graph), PARAMS))
    report = run_script(normal_code, {"SPX": frame}, ["SPX"])
    out = report["ok"]
    trades = [TradeRecord.model_validate(t) for t in out["trades"]]
    normal = build_results(out["equity"], trades, None, PARAMS).metrics.model_dump()
    for key, value in summary["best"]["metrics"].items():
        if normal[key] is None:
            assert value is None, key
        else:
            assert value == pytest.approx(normal[key], abs=1e-9), key


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
