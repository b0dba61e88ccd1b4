"""Properties of the generated code: layout, determinism, allowed names, no look-ahead, several symbols."""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from app.services.language import build_spec, compile_spec, parse_graph
from tests.services.language.corpus_check import signal_section
from tests.services.language.helpers import Params, run_code
from tests.services.language.test_compiler_reference import CASES, _graph

ALL_FAMILIES = {
    "nodes": [
        {"id": "e1", "type": "entry_condition", "meta": {"rules": [
            "RSI below 40 and MACD crosses above signal", "not close above the 20-day high",
            "volume above its 20-day average", "%K below 50 or CCI below 0"]}},
        {"id": "e2", "type": "entry_condition", "meta": {"rules": [
            "close is 2 ATR below the 20-day SMA", "ADX above 20", "WMA(10) above EMA(30)"]}},
        {"id": "x", "type": "exit_condition", "meta": {"rules": [
            "close breaks above the upper Bollinger band", "price rises 5% in 3 days"], "combine": "any"}},
        {"id": "t", "type": "trailing_stop", "meta": {"trail_pct": 10}},
    ]
}  # fmt: skip
ALLOWED_IMPORTS = {"vectorbt", "pandas", "numpy", "math", "datetime", "json"}


def _code(graph: dict[str, Any] = ALL_FAMILIES, **params: Any) -> str:
    return compile_spec(build_spec(parse_graph(graph), Params(**params)))


def test_same_spec_same_text() -> None:
    assert _code() == _code()
    spec = build_spec(parse_graph(ALL_FAMILIES), Params())
    again = type(spec).model_validate_json(spec.model_dump_json())
    assert compile_spec(again) == compile_spec(spec)


def test_code_follows_the_contract_and_the_policy() -> None:
    code = _code()
    tree = ast.parse(code)
    body = [n for n in tree.body if not isinstance(n, ast.Expr)]
    assert all(isinstance(n, ast.Import) for n in body[:4])
    assert isinstance(body[4], ast.FunctionDef) and body[4].name == "load_data"
    stub = ast.unparse(body[4])
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom) and not stub.count(ast.unparse(node)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            assert {n.split(".")[0] for n in names} <= ALLOWED_IMPORTS
        if isinstance(node, ast.Name):
            assert not node.id.startswith("_") and node.id not in {
                "eval",
                "exec",
                "getattr",
                "open",
                "compile",
            }
        if isinstance(node, ast.Attribute):
            assert not node.attr.startswith("_")
            assert not node.attr.startswith(("to_", "read_")), node.attr
    assert "SYMBOLS = [" in code and "INIT_CASH = " in code and "FREQ = " in code
    assert "# Node 'x', rule 1: close breaks above the upper Bollinger band" in code
    assert code.rstrip().endswith(")") and "portfolio = vbt.Portfolio.from_signals(" in code


def test_no_look_ahead(runner: Callable[[str], dict[str, Any]], sp500: pd.DataFrame) -> None:
    """A huge spike (and a crash) from bar 3000 on must not change any signal before bar 3000."""
    code = _code()
    base = run_code(code, {"SPX": sp500})
    shocked = sp500.copy()
    shocked.iloc[3000:, :4] *= np.linspace(3.0, 0.2, len(shocked) - 3000)[:, None]
    shocked.iloc[3000:, 4] *= 10
    moved = run_code(code, {"SPX": shocked})
    for name in ("entries", "exits"):
        before, after = base[name]["SPX"].to_numpy(), moved[name]["SPX"].to_numpy()
        assert before[:3000].any()
        np.testing.assert_array_equal(before[:3000], after[:3000])
        assert not np.array_equal(before[3000:], after[3000:])  # the shock is seen from bar 3000 on


def test_original_example_trade_list_is_not_trivial(runner: Callable[[str], dict[str, Any]]) -> None:
    ns = runner(_code(_graph(CASES[0])))
    assert len(ns["portfolio"].trades.values) > 20


def test_several_symbols_share_cash_with_equal_slices(warm_vbt: None, sp500: pd.DataFrame) -> None:
    other = sp500 * np.array([0.5, 0.5, 0.5, 0.5, 1.0])  # a second, differently priced market
    code = _code(_graph(CASES[1]), symbols=["SPX", "HALF"], initial_capital=10_000.0)
    assert "group_by=True" in code and "cash_sharing=True" in code
    ns = run_code(code, {"SPX": sp500, "HALF": other})
    portfolio = ns["portfolio"]
    orders = portfolio.orders.values
    buys = orders[orders["side"] == 0]
    first_buys = {int(col): float(b["size"] * b["price"]) for col, b in
                  ((b["col"], b) for b in buys[::-1])}  # fmt: skip
    assert set(first_buys) == {0, 1}
    for value in first_buys.values():
        assert abs(value - 5_000.0) < 1e-6  # each entry buys INIT_CASH / 2
    assert np.isfinite(float(portfolio.total_return()))


NEW_FAMILIES = {
    "nodes": [
        {"id": "ci", "type": "custom_indicator", "meta": {"name": "spread", "formula": "close - SMA(50)"}},
        {"id": "e1", "type": "entry_condition", "meta": {"rules": [
            "RSI above its 9-day average for 3 days in a row",
            "Williams %R(14) below -80 or MFI(14) below 20",
            "not close below the lower Keltner channel (20, 1.5)", "close within 2% of the 20-day VWAP"]}},
        {"id": "e2", "type": "entry_condition", "meta": {"rules": [
            "bullish engulfing candle", "gaps up at least 1%", "close makes a new 52-week high",
            "spread above its 10-day average", "Bollinger squeeze", "+DI crosses above -DI"]}},
        {"id": "x", "type": "exit_condition", "meta": {"rules": [
            "ATR(14) / close above 3%", "close crosses below the Donchian channel(20) midline",
            "cumulative RSI(2) of the last 2 days above 150", "slow stochastic %K above 80"],
            "combine": "any"}},
        {"id": "sl", "type": "exit_condition", "meta": {"rules": ["stop loss 8%"]}},
    ]
}  # fmt: skip


def test_code_of_the_new_families_passes_the_sandbox_policy_and_runs(sp500: pd.DataFrame) -> None:
    from app.services.sandbox.policy import validate_code

    code = _code(NEW_FAMILIES)
    assert validate_code(code) == []
    assert code == _code(NEW_FAMILIES)  # deterministic
    assert "SL_STOP = 0.08" in code and "# Custom indicator 'spread': close - SMA(50)" in code
    assert "# bullish_engulfing: the previous bar is black" in code
    tree = ast.parse(code)
    assert all(len(line) <= 130 for line in code.splitlines()), "generated lines stay readable"
    assert tree.body
    namespace = run_code(signal_section(code), {"SPX": sp500})
    assert namespace["entries"]["SPX"].sum() > 0 and namespace["exits"]["SPX"].sum() > 50
