"""`rule_readings`: what each readable rule of a graph becomes, with the graph's own custom indicators."""

from __future__ import annotations

from app.services.language import read_rule
from app.services.strategy_checks import rule_readings, strategy_issues


def test_readings_cover_the_readable_rules_and_issues_the_rest() -> None:
    graph = {
        "nodes": [
            {
                "id": "ci",
                "type": "custom_indicator",
                "meta": {"name": "spread", "formula": "close - SMA(50)"},
            },
            {
                "id": "e",
                "type": "entry_condition",
                "meta": {"rules": ["spread crosses above 0", "RSI is bananas"]},
            },
            {"id": "x", "type": "exit_condition", "meta": {"rules": ["RSI(2) > 70 or after 10 days"]}},
        ]
    }
    assert rule_readings(graph) == [
        ("e", "spread crosses above 0", "spread crosses above 0"),
        ("x", "RSI(2) > 70 or after 10 days", read_rule("RSI(2) > 70 or after 10 days").understood),
    ]
    assert [(i.node_id, i.rule) for i in strategy_issues(graph)] == [("e", "RSI is bananas")]
    assert graph["nodes"][0]["type"] == "custom_indicator"  # the caller's graph is left as it was


def test_a_broken_custom_indicator_leaves_its_rules_unread() -> None:
    graph = {
        "nodes": [
            {"id": "ci", "type": "custom_indicator", "meta": {"name": "spread", "formula": "close -"}},
            {
                "id": "e",
                "type": "entry_condition",
                "meta": {"rules": ["spread crosses above 0", "RSI below 30"]},
            },
        ]
    }
    assert rule_readings(graph) == [("e", "RSI below 30", "RSI(14) < 30")]
    assert len(graph["nodes"]) == 2
