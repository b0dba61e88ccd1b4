"""Rules the grammar cannot read, replaced by conditions the LLM translated (validated) into the spec.

`build_spec` reads the graph's rule texts. To give it a translated rule without teaching the grammar
anything, the rule's text is swapped in the raw graph for a placeholder the grammar reads, the spec is
built (so every other check of the language runs unchanged), and the placeholder's parsed condition is
then replaced by the translation, keeping the user's own words as the rule's text.

>>> graph = {"nodes": [{"id": "e1", "type": "entry_condition", "meta": {"rules": ["trend is strong"]}}]}
>>> swapped = with_placeholders(graph, {("e1", "trend is strong")})
>>> swapped["nodes"][0]["meta"]["rules"] == [PLACEHOLDER]
True
"""

from __future__ import annotations

import copy

from pydantic import JsonValue

from app.services.language.spec import Condition, Rule, RuleSet, StrategySpec

JsonObject = dict[str, JsonValue]

# Always true on real prices, so it cannot make `build_spec` call an exit "never triggers".
PLACEHOLDER = "close above 0"

Key = tuple[str, str]  # (node id, rule text)


def _nodes(graph: JsonObject) -> list[dict[str, JsonValue]]:
    nodes = graph.get("nodes")
    return [node for node in nodes if isinstance(node, dict)] if isinstance(nodes, list) else []


def _rules(node: dict[str, JsonValue]) -> list[JsonValue] | None:
    meta = node.get("meta")
    rules = meta.get("rules") if isinstance(meta, dict) else None
    return rules if isinstance(rules, list) else None


def with_placeholders(graph: JsonObject, keys: set[Key]) -> JsonObject:
    swapped = copy.deepcopy(graph)
    for node in _nodes(swapped):
        rules = _rules(node)
        meta = node.get("meta")
        if rules is None or not isinstance(meta, dict):
            continue
        meta["rules"] = [
            PLACEHOLDER if isinstance(rule, str) and (node.get("id"), rule) in keys else rule
            for rule in rules
        ]
    return swapped


def apply_translations(
    spec: StrategySpec, graph: JsonObject, translations: dict[Key, tuple[Condition, str]]
) -> StrategySpec:
    """Puts each translated condition where its placeholder was parsed; returns a new (validated) spec."""
    originals: dict[str, list[str]] = {}
    for node in _nodes(graph):
        rules = _rules(node)
        if rules is not None:
            originals[str(node.get("id"))] = [r for r in rules if isinstance(r, str)]

    def fix(rule_sets: list[RuleSet]) -> list[RuleSet]:
        fixed = []
        for rule_set in rule_sets:
            pending = [
                t for t in originals.get(rule_set.node_id, []) if (rule_set.node_id, t) in translations
            ]
            rules = []
            for rule in rule_set.rules:
                if rule.text == PLACEHOLDER and pending:
                    text = pending.pop(0)
                    condition, words = translations[(rule_set.node_id, text)]
                    rule = Rule(text=text, condition=condition, understood=f"{words} (translated by the LLM)")
                rules.append(rule)
            fixed.append(rule_set.model_copy(update={"rules": rules}))
        return fixed

    sides = ("entries", "exits", "short_entries", "short_exits")
    updated = spec.model_copy(update={side: fix(getattr(spec, side)) for side in sides})
    # model_copy skips validation: round-trip through the model so the result is checked like any spec.
    return StrategySpec.model_validate(updated.model_dump())
