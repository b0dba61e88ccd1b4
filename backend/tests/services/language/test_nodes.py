"""The node graph a builder saves: accepted verbatim, extras ignored, every invalid graph named by node and
field."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from app.services.language import (
    GraphLimits,
    InvalidStrategyGraph,
    StrategyTooLarge,
    node_json_schema,
    parse_graph,
)
from tests.services.language.helpers import ORIGINAL


def test_builder_extras_are_ignored() -> None:
    graph = copy.deepcopy(ORIGINAL)
    graph["edges"] = [{"source": "entry", "target": "tp"}]
    for i, node in enumerate(graph["nodes"]):
        node.update(position={"x": i * 10, "y": 5}, data={"color": "red"}, label=node["id"].upper())
    assert parse_graph(graph) == parse_graph(ORIGINAL)


@pytest.mark.parametrize(
    ("mutate", "node_id", "field"),
    [
        (lambda g: g["nodes"].append({"id": "x", "type": "magic", "meta": {}}), "x", "type"),
        (lambda g: g["nodes"][1].pop("id"), "", "id"),
        (lambda g: g["nodes"].append({"id": "tp", "type": "stop_loss", "meta": {"stop_pct": 2}}), "tp", "id"),
        (lambda g: g["nodes"][1]["meta"].update(target_pct="seven"), "tp", "meta.target_pct"),
        (lambda g: g["nodes"][0]["meta"].update(rules="not a list"), "entry", "meta.rules"),
        (lambda g: g["nodes"][0]["meta"].update(combine="most"), "entry", "meta.combine"),
        (lambda g: g["nodes"].pop(0), "", "nodes"),
    ],
)
def test_invalid_graphs_name_node_and_field(mutate: Any, node_id: str, field: str) -> None:
    graph = copy.deepcopy(ORIGINAL)
    mutate(graph)
    with pytest.raises(InvalidStrategyGraph) as info:
        parse_graph(graph)
    assert info.value.fields["node_id"] == node_id
    assert info.value.fields["field"] == field
    assert info.value.status_code == 422


def test_json_schema_lists_every_node_type() -> None:
    schema = node_json_schema()
    text = str(schema)
    for node_type in ("entry_condition", "exit_condition", "take_profit", "stop_loss", "trailing_stop"):
        assert node_type in text
    assert "nodes" in schema["properties"]


def test_graphs_over_the_size_limits_name_the_limit_and_the_node() -> None:
    graph = copy.deepcopy(ORIGINAL)
    graph["nodes"].append({"id": "extra", "type": "trailing_stop", "meta": {"trail_pct": 3}})
    limits = GraphLimits(max_nodes=3, max_rules_per_node=2)
    with pytest.raises(StrategyTooLarge) as info:
        parse_graph(graph, limits)
    assert info.value.fields == {"node_id": "extra", "limit": "max_strategy_nodes", "value": 4, "maximum": 3}
    assert "MAX_STRATEGY_NODES" in info.value.message and info.value.status_code == 422
    assert parse_graph(graph, GraphLimits(max_nodes=4, max_rules_per_node=2)) == parse_graph(graph)

    graph = copy.deepcopy(ORIGINAL)
    graph["nodes"][0]["meta"]["rules"].append("RSI(14) below 30")
    graph["nodes"][0]["meta"]["conditions"] = [
        {"left": {"price": "close"}, "op": "above", "right": {"value": 1}}
    ]
    with pytest.raises(StrategyTooLarge, match=r"Node 'entry': 3 rules and conditions; at most 2") as info:
        parse_graph(graph, limits)
    assert (info.value.fields["limit"], info.value.fields["value"]) == ("max_rules_per_node", 3)


def test_sizes_are_checked_before_any_node_is_validated() -> None:
    """An oversized graph of junk is refused for its size, without validating 10,000 nodes first."""
    junk = {"nodes": [{"id": f"n{i}", "type": "nonsense"} for i in range(10_000)]}
    with pytest.raises(StrategyTooLarge):
        parse_graph(junk, GraphLimits(max_nodes=200, max_rules_per_node=50))
