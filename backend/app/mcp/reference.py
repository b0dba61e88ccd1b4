"""The strategy language as a model needs it, derived from the language package, never copied: node types and
their fields from the node JSON schema; the phrasing examples the grammar is tested on, each read here by the
same reader a run uses (so the `understood` line shown is what the rule really becomes) and grouped by the
indicator family it uses; every indicator from the catalog (names, parameters, outputs, formula). A family or
phrasing added to the language appears here without a change to this module.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import BaseModel, Field

from app.models.params import ExecutionParams
from app.services.language import Reading, node_json_schema, read_rule
from app.services.language.catalog import Family, families, family_of
from app.services.language.indicators import Indicator
from app.services.language.suggest import CANONICAL_EXAMPLES

TIME_LIMITS, STOPS, PRICE = "Time limits", "Stops and targets", "Price, candles and patterns"


class NodeType(BaseModel):
    type: str
    description: str
    meta_schema: dict[str, Any] = Field(description="JSON Schema of the node's `meta` object.")


class Phrasing(BaseModel):
    rule: str
    understood: str = Field(description="How the grammar reads the rule (its canonical wording).")
    notes: list[str] = Field(default=[], description="Unit conversions the reading made.")


class PhrasingFamily(BaseModel):
    family: str
    examples: list[Phrasing]


class IndicatorParam(BaseModel):
    name: str
    default: float


class IndicatorInfo(BaseModel):
    key: str
    title: str
    names: list[str] = Field(description="How a rule may name it.")
    params: list[IndicatorParam] = Field(
        description="In the order a rule gives them: RSI(14), MACD(12, 26, 9)."
    )
    outputs: list[str] = Field(description="The series it offers (MACD: line, signal, histogram).")
    kinds: list[str] = Field(description='Names in structured conditions: {"indicator": kind, "period": N}.')
    formula: str
    needs_period: bool = Field(description="True when a rule must give its window (no default).")


class LanguageReference(BaseModel):
    node_types: list[NodeType]
    graph_schema: dict[str, Any] = Field(
        description="JSON Schema of a strategy's graph (GET /strategies/schema)."
    )
    phrasings: list[PhrasingFamily] = Field(
        description="Rules the grammar reads, by family, with their readings."
    )
    indicators: list[IndicatorInfo]
    params_schema: dict[str, Any] = Field(description="JSON Schema of run_backtest's `params`.")
    conventions: list[str]


CONVENTIONS = [
    "Percent fields are percents: 7.0 means 7 %; metrics too (total_return 25.5 means 25.5 %).",
    "A strategy needs an entry condition node; every node needs a unique string id (errors name it).",
    "A condition node's rules and conditions must all hold, unless its meta.combine is 'any'.",
    "Days, weeks and months in a rule become bars of the run's timeframe (the reading's notes say how).",
    "Named parameters: write {name=default} in a rule (SMA({fast=10})); a normal run uses the default.",
]


@lru_cache(maxsize=1)
def language_reference() -> LanguageReference:
    schema = node_json_schema()
    return LanguageReference(
        node_types=_node_types(schema),
        graph_schema=schema,
        phrasings=_phrasing_families(),
        indicators=[_indicator(family) for family in families()],
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


def _phrasing_families() -> list[PhrasingFamily]:
    grouped: dict[str, list[Phrasing]] = {}
    for rule in CANONICAL_EXAMPLES:
        reading = read_rule(rule)
        phrasing = Phrasing(rule=rule, understood=reading.understood, notes=list(reading.notes))
        grouped.setdefault(_family_of(reading), []).append(phrasing)
    return [PhrasingFamily(family=name, examples=examples) for name, examples in grouped.items()]


def _family_of(reading: Reading) -> str:
    if reading.exit_after_bars is not None:
        return TIME_LIMITS
    if reading.price_exit is not None:
        return STOPS
    indicators = _indicators_in(reading.condition)
    return family_of(indicators[0].kind).title if indicators else PRICE


def _indicators_in(value: Any) -> list[Indicator]:
    """Every indicator a parsed condition refers to (walks the spec models, whatever their shape)."""
    if isinstance(value, Indicator):
        return [value]
    if isinstance(value, BaseModel):
        return [found for name in type(value).model_fields for found in _indicators_in(getattr(value, name))]
    if isinstance(value, list | tuple):
        return [found for item in value for found in _indicators_in(item)]
    return []


def _indicator(family: Family) -> IndicatorInfo:
    return IndicatorInfo(
        key=family.key,
        title=family.title,
        names=list(family.names),
        params=[IndicatorParam(name=p.label, default=p.default) for p in family.params],
        outputs=[out.label for out in family.outputs],
        kinds=[out.kind for out in family.outputs],
        formula=family.formula,
        needs_period=family.needs_period,
    )


def summary(reference: LanguageReference) -> str:
    """The reference as a few lines a model reads before writing rules."""
    lines = ["Node types: " + "; ".join(f"{n.type} ({n.description})" for n in reference.node_types)]
    lines.append("Rules the grammar reads (rule -> understood as), by family:")
    for family in reference.phrasings:
        lines.append(f"  {family.family}:")
        lines += [f"    {p.rule} -> {p.understood}" for p in family.examples]
    lines.append("Indicators: " + ", ".join(i.title for i in reference.indicators))
    lines += reference.conventions
    return "\n".join(lines)
