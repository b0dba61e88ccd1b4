"""Translated rules land where their placeholder was parsed, on either side of the strategy."""

from __future__ import annotations

from app.services.language import build_spec, parse_graph, parse_rule
from app.services.pipeline.translation import PLACEHOLDER, apply_translations, with_placeholders
from tests.services.language.helpers import Params

GRAPH = {
    "nodes": [
        {"id": "long", "type": "entry_condition", "meta": {"rules": ["RSI(14) below 30"]}},
        {"id": "short", "type": "short_entry_condition", "meta": {"rules": ["the trend turns down"]}},
        {"id": "cover", "type": "short_exit_condition", "meta": {"rules": ["momentum fades"]}},
    ]
}


def test_a_short_nodes_translation_replaces_its_placeholder() -> None:
    keys = {("short", "the trend turns down"), ("cover", "momentum fades")}
    swapped = with_placeholders(GRAPH, keys)
    spec = build_spec(parse_graph(swapped), Params())
    assert spec.short_entries[0].rules[0].text == PLACEHOLDER
    down, fades = parse_rule("SMA(20) crosses below SMA(50)"), parse_rule("RSI(14) above 50")
    translated = apply_translations(
        spec,
        GRAPH,
        {("short", "the trend turns down"): (down, "SMA(20) crosses below SMA(50)"),
         ("cover", "momentum fades"): (fades, "RSI(14) > 50")},
    )  # fmt: skip
    short_rule, cover_rule = translated.short_entries[0].rules[0], translated.short_exits[0].rules[0]
    assert (short_rule.text, short_rule.condition) == ("the trend turns down", down)
    assert (cover_rule.text, cover_rule.condition) == ("momentum fades", fades)
    assert "translated by the LLM" in short_rule.understood
    assert translated.entries == spec.entries  # the readable long rule is untouched
