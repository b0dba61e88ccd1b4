"""Spec building from a graph, and the checks that refuse impossible strategies."""

from __future__ import annotations

from typing import Any

import pytest

from app.services.language import (
    ImpossibleStrategy,
    RuleNotUnderstood,
    build_spec,
    parse_graph,
)
from tests.services.language.helpers import ORIGINAL, Params


def test_original_example_is_accepted_verbatim() -> None:
    spec = build_spec(parse_graph(ORIGINAL), Params())
    assert spec.take_profit == pytest.approx(0.07) and spec.stop_loss == pytest.approx(0.05)
    assert spec.indicator_labels() == ["SMA(20)"]
    assert spec.longest_window() == 20
    assert spec.entries[0].rules[0].understood == "close <= SMA(20) * 0.95"
    assert spec.exits == [] and spec.trailing_stop is None


def test_structured_conditions() -> None:
    graph = {
        "nodes": [
            {
                "id": "e",
                "type": "entry_condition",
                "meta": {
                    "conditions": [
                        {
                            "left": {"indicator": "rsi", "period": 14},
                            "op": "crosses_above",
                            "right": {"value": 30},
                        },
                        {
                            "left": {"price": "close"},
                            "op": "below",
                            "right": {"indicator": "sma", "period": 20, "multiplier": 0.95},
                        },
                    ]
                },
            }
        ]
    }
    spec = build_spec(parse_graph(graph), Params())
    assert [r.understood for r in spec.entries[0].rules] == [
        "RSI(14) crosses above 30",
        "close < SMA(20) * 0.95",
    ]


def _with(node: dict[str, Any], rules: list[str] | None = None) -> dict[str, Any]:
    entry = {"id": "entry", "type": "entry_condition", "meta": {"rules": rules or ["RSI below 30"]}}
    return {"nodes": [entry, node]}


@pytest.mark.parametrize(
    ("graph", "node_id", "words"),
    [
        (_with({"id": "tp", "type": "take_profit", "meta": {"target_pct": 0}}), "tp", "above 0%"),
        (_with({"id": "tp", "type": "take_profit", "meta": {"target_pct": -3}}), "tp", "above 0%"),
        (_with({"id": "sl", "type": "stop_loss", "meta": {"stop_pct": 100}}), "sl", "below 100%"),
        (_with({"id": "x", "type": "exit_condition", "meta": {"rules": ["RSI above 120"]}}), "x", "never"),
        (
            _with({"id": "tp", "type": "take_profit", "meta": {"target_pct": 5}}, ["SMA(0) above 10"]),
            "entry",
            "0 bars",
        ),
        (
            _with({"id": "tp", "type": "take_profit", "meta": {"target_pct": 5}}, ["RSI below -1"]),
            "entry",
            "never",
        ),
        (
            _with({"id": "ps", "type": "position_sizing", "meta": {"method": "fixed_fraction", "value": 2}}),
            "ps",
            "between 0 and 1",
        ),
    ],
)
def test_impossible_strategies(graph: dict[str, Any], node_id: str, words: str) -> None:
    with pytest.raises(ImpossibleStrategy) as info:
        build_spec(parse_graph(graph), Params())
    assert info.value.fields["node_id"] == node_id
    assert words in info.value.message


def test_exit_that_never_triggers_is_fine_with_a_stop() -> None:
    graph = _with({"id": "x", "type": "exit_condition", "meta": {"rules": ["RSI above 120"]}})
    graph["nodes"].append({"id": "sl", "type": "stop_loss", "meta": {"stop_pct": 5}})
    build_spec(parse_graph(graph), Params())


def test_unreadable_rule_fails_the_build_with_its_node() -> None:
    graph = _with(
        {"id": "tp", "type": "take_profit", "meta": {"target_pct": 5}}, ["Enter when RSI is bananas"]
    )
    with pytest.raises(RuleNotUnderstood) as info:
        build_spec(parse_graph(graph), Params())
    assert info.value.fields["node_id"] == "entry"
