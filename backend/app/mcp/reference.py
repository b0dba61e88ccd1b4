"""The strategy language as a model needs it, derived from the language package at call time, never copied:
node types and their fields from the node JSON schema, the phrasing examples the grammar is tested on (each
read by the parser here, so the `understood` line shown is what a rule really becomes), and the indicators
the compiler knows. A phrasing added to the language appears here without a change to this module.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, get_args

from pydantic import BaseModel, Field

from app.models.params import ExecutionParams
from app.services.language import node_json_schema, parse_rule
from app.services.language.indicators import DEFAULT_PERIOD, Indicator, IndicatorKind
from app.services.language.spec import describe
from app.services.language.suggest import CANONICAL_EXAMPLES


class NodeType(BaseModel):
    type: str
    description: str
    meta_schema: dict[str, Any] = Field(description="JSON Schema of the node's `meta` object.")


class Phrasing(BaseModel):
    rule: str
    understood: str = Field(description="How the grammar reads the rule (its canonical wording).")


class IndicatorInfo(BaseModel):
    kind: str = Field(description='Name in structured conditions: {"indicator": kind, "period": N}.')
    name: str = Field(description="How rules and results name it.")
    default_period: int | None = Field(description="Window used when a rule names none.")
    in_examples: list[str] = Field(description="How the phrasing examples parameterise it.")


class LanguageReference(BaseModel):
    node_types: list[NodeType]
    graph_schema: dict[str, Any] = Field(
        description="JSON Schema of a strategy's graph (GET /strategies/schema)."
    )
    phrasings: list[Phrasing] = Field(description="Rules the grammar reads, with what each becomes.")
    indicators: list[IndicatorInfo]
    params_schema: dict[str, Any] = Field(description="JSON Schema of run_backtest's `params`.")
    conventions: list[str]


CONVENTIONS = [
    "Percent fields are percents: 7.0 means 7 %; metrics too (total_return 25.5 means 25.5 %).",
    "A strategy needs an entry_condition node; every node needs a unique string id (errors name it).",
    "A condition node's rules and conditions must all hold, unless its meta.combine is 'any'.",
    "Positions are long only: they open on the entry rules and close on exit rules, stops or take-profit.",
]


@lru_cache(maxsize=1)
def language_reference() -> LanguageReference:
    schema = node_json_schema()
    return LanguageReference(
        node_types=_node_types(schema),
        graph_schema=schema,
        phrasings=[_phrasing(rule) for rule in CANONICAL_EXAMPLES],
        indicators=_indicators(list(CANONICAL_EXAMPLES)),
        params_schema=ExecutionParams.model_json_schema(),
        conventions=CONVENTIONS,
    )


def _node_types(schema: dict[str, Any]) -> list[NodeType]:
    defs: dict[str, Any] = schema.get("$defs", {})
    found: list[NodeType] = []
    for definition in defs.values():
        properties = definition.get("properties", {})
        node_type = properties.get("type", {}).get("const")
        if node_type is None:
            continue
        meta = properties.get("meta", {})
        meta_schema = defs.get(meta.get("$ref", "").rsplit("/", 1)[-1], meta)
        fields = ", ".join(meta_schema.get("properties", {}))
        found.append(
            NodeType(
                type=node_type,
                description=definition.get("description") or f"meta fields: {fields or 'none'}",
                meta_schema=meta_schema,
            )
        )
    return found


def _phrasing(rule: str) -> Phrasing:
    return Phrasing(rule=rule, understood=describe(parse_rule(rule)))


def _indicators(phrasings: list[str]) -> list[IndicatorInfo]:
    seen: dict[str, set[str]] = {}
    for rule in phrasings:
        for indicator in _indicators_in(parse_rule(rule)):
            seen.setdefault(indicator.kind, set()).add(indicator.label())
    infos = []
    for kind in get_args(IndicatorKind):
        period = DEFAULT_PERIOD.get(kind)
        name = Indicator(kind=kind, period=period or 0).label().split("(", 1)[0]
        infos.append(
            IndicatorInfo(kind=kind, name=name, default_period=period, in_examples=sorted(seen.get(kind, ())))
        )
    return infos


def _indicators_in(value: Any) -> list[Indicator]:
    """Every indicator a parsed condition refers to (walks the spec models, whatever their shape)."""
    if isinstance(value, Indicator):
        return [value]
    if isinstance(value, BaseModel):
        return [found for name in type(value).model_fields for found in _indicators_in(getattr(value, name))]
    if isinstance(value, list | tuple):
        return [found for item in value for found in _indicators_in(item)]
    return []


def summary(reference: LanguageReference) -> str:
    """The reference as a few lines a model reads before writing rules."""
    lines = ["Node types: " + "; ".join(f"{n.type} ({n.description})" for n in reference.node_types)]
    lines.append("Rules the grammar reads (rule -> understood as):")
    lines += [f"  {p.rule} -> {p.understood}" for p in reference.phrasings]
    lines.append("Indicators: " + ", ".join(f"{i.name} ({i.kind})" for i in reference.indicators))
    lines += reference.conventions
    return "\n".join(lines)
