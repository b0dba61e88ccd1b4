"""The node graph a builder saves: accepted verbatim, extras ignored, every invalid graph named by node and
field."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from app.services.language import InvalidStrategyGraph, node_json_schema, parse_graph
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
