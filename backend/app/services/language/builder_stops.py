"""The graph's exits by price (stop-loss, take-profit, trailing stop) -> the spec's stop fields.

Each node gives its distance in percent or in ATR multiples (`nodes._check_distance` made sure it is
exactly one). Percent becomes a fraction (``stop_loss=0.05``); an ATR distance becomes an `AtrDistance`
(``stop_loss_atr``). vectorbt keeps one stop-loss slot per position, so a fixed stop-loss and a trailing
stop cannot both be given.
"""

from __future__ import annotations

from typing import Any, TypeVar

from app.services.language.errors import ImpossibleStrategy
from app.services.language.nodes import (
    PriceExitMeta,
    StopLossNode,
    StrategyGraph,
    TakeProfitNode,
    TrailingStopNode,
)
from app.services.language.spec import AtrDistance

DEFAULT_ATR_PERIOD = 14

N = TypeVar("N")

# node class, spec field, words, upper bound of the percent (None: unbounded)
_EXITS: tuple[tuple[type[Any], str, str, float | None], ...] = (
    (StopLossNode, "stop_loss", "stop-loss", 100.0),
    (TakeProfitNode, "take_profit", "take-profit", None),
    (TrailingStopNode, "trailing_stop", "trailing stop", 100.0),
)


def single(graph: StrategyGraph, cls: type[N], name: str) -> N | None:
    found = [node for node in graph.nodes if isinstance(node, cls)]
    if len(found) > 1:
        raise ImpossibleStrategy(f"only one {name} node is allowed", node_id=getattr(found[1], "id", ""))
    return found[0] if found else None


def price_exit_fields(graph: StrategyGraph) -> dict[str, Any]:
    """``{"stop_loss": 0.05, "take_profit_atr": AtrDistance(...), ...}`` for `StrategySpec`."""
    fields: dict[str, Any] = {}
    for cls, field, words, upper in _EXITS:
        node = single(graph, cls, field)
        if node is None:
            continue
        pct, _ = node.meta.distance()
        if pct is not None:
            fields[field] = percent_fraction(pct, node.id, words, upper)
        else:
            fields[f"{field}_atr"] = _atr_distance(node.meta)
    if StopLossNode in {type(n) for n in graph.nodes} and TrailingStopNode in {type(n) for n in graph.nodes}:
        trailing = single(graph, TrailingStopNode, "trailing_stop")
        raise ImpossibleStrategy(
            "a fixed stop-loss and a trailing stop together: vectorbt keeps one stop per position; "
            "keep the one you mean",
            node_id=trailing.id if trailing is not None else "",
        )
    return fields


def percent_fraction(value: float, node_id: str, name: str, upper: float | None) -> float:
    if value <= 0:
        raise ImpossibleStrategy(f"the {name} must be above 0% (got {value}%)", node_id=node_id)
    if upper is not None and value >= upper:
        raise ImpossibleStrategy(f"the {name} must be below {upper:g}% (got {value}%)", node_id=node_id)
    return round(value / 100.0, 12)


def _atr_distance(meta: PriceExitMeta) -> AtrDistance:
    _, multiple = meta.distance()
    assert multiple is not None
    period = meta.atr_period if meta.atr_period is not None else DEFAULT_ATR_PERIOD
    return AtrDistance(multiple=multiple, period=period)
