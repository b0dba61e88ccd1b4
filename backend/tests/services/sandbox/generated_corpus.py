"""Every script the service itself generates, for the policy's "generated code is never refused" test: the
builder's four templates, the compiler's family graphs and reference cases, every rule of the real-rules
corpus, the parameter variants that change the backtest section, and sweep scripts (plain, walk-forward,
heatmap). The allowlist in app/services/sandbox/policy_tables.py was built from what these touch."""

from __future__ import annotations

from datetime import date
from typing import Any

from app.core.errors import DomainError
from app.models.params import ExecutionParams
from app.services.language import build_spec, compile_spec, parse_graph
from app.services.research.design import design
from app.services.research.script import sweep_script
from tests.services.language.corpus_check import _graph as corpus_graph
from tests.services.language.corpus_check import load_corpus
from tests.services.language.helpers import ORIGINAL, Params
from tests.services.language.test_compiler import ALL_FAMILIES, NEW_FAMILIES
from tests.services.language.test_compiler_reference import CASES
from tests.services.language.test_compiler_reference import _graph as case_graph


def _node(id_: str, type_: str, **meta: Any) -> dict[str, Any]:
    return {"id": id_, "type": type_, "meta": meta}


# frontend/src/builder/templates.ts, the graphs only (positions do not reach the compiler).
TEMPLATES: dict[str, dict[str, Any]] = {
    "original": ORIGINAL,
    "ma_crossover": {"nodes": [
        _node("entry", "entry_condition", rules=["10-day MA crosses above 30-day MA"], combine="all"),
        _node("exit", "exit_condition", rules=["10-day MA crosses below 30-day MA"], combine="any"),
        _node("sl", "stop_loss", stop_pct=8)]},
    "rsi_reversion": {"nodes": [
        _node("entry", "entry_condition", rules=["RSI(14) below 30"], combine="all"),
        _node("exit", "exit_condition", rules=["RSI(14) above 70"], combine="any"),
        _node("sl", "stop_loss", stop_pct=10)]},
    "breakout": {"nodes": [
        _node("entry", "entry_condition", rules=["close above the 20-day high"], combine="all"),
        _node("exit", "exit_condition", rules=["close below the 10-day low"], combine="any"),
        _node("trail", "trailing_stop", trail_pct=5)]},
}  # fmt: skip

PARAM_VARIANTS = [
    Params(),
    Params(symbols=["SPX", "IXIC"], benchmark="SPX", fees=0.001, slippage=0.0005),
    Params(position_sizing="fixed_fraction", position_size=0.2, exposure=0.5, stop_slippage=True),
    Params(position_sizing="fixed_amount", position_size=1000.0, reenter_on_exit_bar=True, timeframe="1h"),
]

SWEEP_GRAPH: dict[str, Any] = {"nodes": [
    _node("e", "entry_condition", rules=["SMA({fast=10}) crosses above SMA({slow=50})"]),
    _node("x", "exit_condition", rules=["close is {drop=5}% below the 20-day SMA"]),
    _node("sl", "stop_loss", stop_pct=5.0)]}  # fmt: skip
SWEEP_PARAMS = ExecutionParams(symbols=["SPX"], start_date=date(2009, 1, 1), end_date=date(2018, 12, 31))
SWEEP_GRID = {"fast": [5, 10, 20], "slow": [20, 50], "drop": [3, 5], "sl.stop_pct": [3, 5]}


def _compile(graph: dict[str, Any], params: Params) -> str | None:
    try:
        return compile_spec(build_spec(parse_graph(graph), params))
    except DomainError:
        return None  # a rule the language refuses produces no code


def generated_scripts() -> list[tuple[str, str]]:
    """(label, code) of every generated script above."""
    graphs: dict[str, dict[str, Any]] = {f"template {k}": g for k, g in TEMPLATES.items()}
    graphs |= {"all families": ALL_FAMILIES, "new families": NEW_FAMILIES}
    graphs |= {f"case {c.name}": case_graph(c) for c in CASES}
    graphs |= {f"corpus {r['id']}": corpus_graph(r["side"], r["text"]) for r in load_corpus()["rules"]}
    scripts = []
    for label, graph in graphs.items():
        variants = PARAM_VARIANTS if label.startswith(("template", "all", "new")) else PARAM_VARIANTS[:1]
        for i, params in enumerate(variants):
            code = _compile(graph, params)
            if code is not None:
                scripts.append((f"{label} #{i}", code))
    d = design(SWEEP_GRAPH, SWEEP_PARAMS, SWEEP_GRID)
    for objective, walk, heat in [
        ("sharpe_ratio", None, None),
        ("total_return", (4, 0.7), None),
        ("sharpe_ratio", None, ("fast", "slow")),
    ]:
        scripts.append((f"sweep {objective} {walk} {heat}", sweep_script(d, objective, walk, heat)))
    d2 = design(SWEEP_GRAPH, replace_params(SWEEP_PARAMS), SWEEP_GRID)
    scripts.append(("sweep two symbols", sweep_script(d2, "sharpe_ratio", None, None)))
    return scripts


def replace_params(params: ExecutionParams) -> ExecutionParams:
    return params.model_copy(update={"symbols": ["SPX", "IXIC"], "benchmark": "SPX", "fees": 0.001})
