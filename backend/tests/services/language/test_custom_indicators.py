"""Custom indicators: a named formula in the rule language, usable by name in rules, from a node or the
user's library; checked against numpy, refused when circular, unknown or badly named."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from app.services.language import (
    InvalidStrategyGraph,
    RuleNotUnderstood,
    SavedIndicator,
    build_spec,
    compile_spec,
    parse_formula,
    parse_graph,
    validate_custom_indicator,
)
from app.services.language.spec import describe_expr
from tests.services.language import lang_reference as ref
from tests.services.language.corpus_check import signal_section
from tests.services.language.helpers import Params, run_code


def _graph(rules: list[str], *customs: tuple[str, str]) -> dict[str, Any]:
    nodes: list[dict[str, Any]] = [{"id": "entry", "type": "entry_condition", "meta": {"rules": rules}}]
    for i, (name, formula) in enumerate(customs):
        nodes.append({"id": f"ci{i}", "type": "custom_indicator", "meta": {"name": name, "formula": formula}})
    return {"nodes": nodes}


def _run(
    graph: dict[str, Any], frame: pd.DataFrame, library: list[SavedIndicator] | None = None
) -> dict[str, Any]:
    code = compile_spec(build_spec(parse_graph(graph), Params(), library or []))
    namespace: dict[str, Any] = run_code(signal_section(code), {"SPX": frame})
    namespace["__code__"] = code
    return namespace


def test_a_custom_indicator_is_usable_by_name(sp500: pd.DataFrame) -> None:
    graph = _graph(["spread crosses above 0"], ("spread", "close - SMA(50)"))
    spec = build_spec(parse_graph(graph), Params())
    assert spec.entries[0].rules[0].understood == "spread crosses above 0"
    assert [(c.name, c.formula, c.node_id) for c in spec.custom_indicators] == [
        ("spread", "close - SMA(50)", "ci0")
    ]
    ns = _run(graph, sp500)
    assert "# Custom indicator 'spread': close - SMA(50)\nspread = close - sma_50" in ns["__code__"]
    c = sp500["Close"].to_numpy()
    spread = c - ref.sma(c, 50)
    np.testing.assert_allclose(ns["spread"]["SPX"].to_numpy(), spread, equal_nan=True)
    np.testing.assert_array_equal(ns["entries"]["SPX"].to_numpy(), ref.cross_above(spread, 0.0))


def test_custom_indicators_build_on_each_other_with_lags_and_averages(sp500: pd.DataFrame) -> None:
    graph = _graph(
        ["momentum_gap above its 10-day average"],
        ("momentum_gap", "mid_price / mid_price 5 days ago - 1"),  # defined before what it uses
        ("mid_price", "(high + low) / 2"),
    )
    spec = build_spec(parse_graph(graph), Params())
    assert [c.name for c in spec.custom_indicators] == ["mid_price", "momentum_gap"]
    assert spec.entries[0].rules[0].understood == "momentum_gap > SMA(10) of momentum_gap"
    ns = _run(graph, sp500)
    mid = (sp500["High"].to_numpy() + sp500["Low"].to_numpy()) / 2
    gap = mid / ref.lag(mid, 5) - 1
    np.testing.assert_array_equal(ns["entries"]["SPX"].to_numpy(), ref.gt(gap, ref.sma(gap, 10)))
    assert spec.longest_window() >= 15


def test_the_users_library_is_usable_and_a_node_of_the_same_name_wins(sp500: pd.DataFrame) -> None:
    library = [SavedIndicator("spread", "close - SMA(20)"), SavedIndicator("unused", "close * 2")]
    graph = _graph(["spread below 0"])
    spec = build_spec(parse_graph(graph), Params(), library)
    assert [(c.name, c.formula) for c in spec.custom_indicators] == [("spread", "close - SMA(20)")]
    overridden = build_spec(
        parse_graph(_graph(["spread below 0"], ("spread", "close - SMA(50)"))), Params(), library
    )
    assert [c.formula for c in overridden.custom_indicators] == ["close - SMA(50)"]


def test_a_circle_is_refused_naming_the_node() -> None:
    graph = _graph(["a_line above 0"], ("a_line", "b_line + 1"), ("b_line", "a_line * 2"))
    with pytest.raises(InvalidStrategyGraph) as info:
        build_spec(parse_graph(graph), Params())
    assert info.value.fields["node_id"] in ("ci0", "ci1")
    assert (
        "in a circle (a_line -> b_line -> a_line)" in info.value.message
        or "b_line -> a_line" in info.value.message
    )


def test_an_unknown_name_in_a_formula_is_refused_naming_the_node_and_the_word() -> None:
    graph = _graph(["spread above 0"], ("spread", "close - baseline"))
    with pytest.raises(RuleNotUnderstood) as info:
        build_spec(parse_graph(graph), Params())
    assert info.value.fields["node_id"] == "ci0"
    assert "'baseline' is neither an indicator" in info.value.message
    assert "could not read formula 'close - baseline'" in info.value.message  # a formula, not a rule
    with pytest.raises(RuleNotUnderstood) as unknown_rule:
        build_spec(parse_graph(_graph(["baseline above 0"])), Params())
    assert unknown_rule.value.fields["node_id"] == "entry"


@pytest.mark.parametrize("name", ["close", "rsi", "sma_20", "entries", "2fast", "my-line", "class", "a" * 41])
def test_names_the_language_or_the_code_uses_are_refused(name: str) -> None:
    with pytest.raises(InvalidStrategyGraph) as info:
        validate_custom_indicator(name, "close - open")
    assert info.value.fields["field"] == "meta.name"


def test_validate_is_the_pure_check_the_library_api_calls() -> None:
    checked = validate_custom_indicator("Spread", "close - SMA(50)")
    assert checked.name == "spread" and describe_expr(checked.expr) == "close - SMA(50)"
    uses = validate_custom_indicator("z", "spread / ATR(14)", [SavedIndicator("spread", "close - SMA(50)")])
    assert describe_expr(uses.expr) == "spread / ATR(14)"
    with pytest.raises(RuleNotUnderstood) as info:
        validate_custom_indicator("z", "spread / ATR(14)")
    assert "'spread' is neither an indicator" in info.value.message
    with pytest.raises(RuleNotUnderstood):
        validate_custom_indicator("z", "close > SMA(50)")  # a condition, not a formula
    assert describe_expr(parse_formula("RSI(14) - 50")) == "RSI(14) - 50"
