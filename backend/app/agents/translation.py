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
from typing import Any

# Always true on real prices, so it cannot make `build_spec` call an exit "never triggers".
PLACEHOLDER = "close above 0"

Key = tuple[str, str]  # (node id, rule text)


def with_placeholders(graph: dict[str, Any], keys: set[Key]) -> dict[str, Any]:
    swapped = copy.deepcopy(graph)
    for node in swapped.get("nodes", []):
        meta = node.get("meta") or {}
        rules = meta.get("rules")
        if not isinstance(rules, list):
            continue
        meta["rules"] = [
            PLACEHOLDER if isinstance(rule, str) and (node.get("id"), rule) in keys else rule
            for rule in rules
        ]
    return swapped


def apply_translations(spec: Any, graph: dict[str, Any], translations: dict[Key, tuple[Any, str]]) -> Any:
    """Puts each translated condition where its placeholder was parsed; returns a new (validated) spec."""
    from app.services.language.spec import Rule, StrategySpec

    originals: dict[str, list[str]] = {}
    for node in graph.get("nodes", []):
        rules = (node.get("meta") or {}).get("rules")
        if isinstance(rules, list):
            originals[str(node.get("id"))] = [r for r in rules if isinstance(r, str)]

    def fix(rule_sets: list[Any]) -> list[Any]:
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
