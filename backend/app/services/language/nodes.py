"""The node graph a visual builder saves (contract), and its validation.

Accepted verbatim (keys a builder adds, such as ``position``, ``data``, ``label`` or top-level ``edges``,
are ignored)::

    {"nodes": [
      {"id": "entry", "type": "entry_condition",
       "meta": {"rules": ["Enter on a 5% price drop from the 20-day moving average"]}},
      {"id": "tp", "type": "take_profit", "meta": {"target_pct": 7.0}},
      {"id": "sl", "type": "stop_loss", "meta": {"stop_pct": 5.0}}
    ]}

Percent fields are percents (7.0 means 7 %). Each exit by price takes its distance either in percent or in
multiples of the Wilder ATR at the entry bar (``atr_period`` bars, default 14), never both::

    {"id": "sl", "type": "stop_loss", "meta": {"stop_atr": 3, "atr_period": 14}}
    {"id": "tp", "type": "take_profit", "meta": {"target_atr": 4}}
    {"id": "ts", "type": "trailing_stop", "meta": {"trail_atr": 2.5, "atr_period": 20}}

``short_entry_condition`` / ``short_exit_condition`` nodes open and close short positions; they take the same
``meta`` as ``entry_condition`` / ``exit_condition``, and the stop nodes apply to both sides (mirrored for a
short: its stop-loss sits above the entry, its take-profit below). A strategy needs an entry node of either
side.

A condition node holds free-text ``rules`` and/or
structured ``conditions`` (for builders without free text), combined with AND unless ``combine`` is
``"any"``. A structured condition::

    {"left": {"indicator": "sma", "period": 20}, "op": "crosses_above", "right": {"value": 30}}

where an operand is ``{"value": 30}``, ``{"price": "close"}`` or ``{"indicator": KIND, "period": N, ...}``
(MACD: ``period`` fast, ``slow``, ``signal``; stochastic: ``period`` %K, ``signal`` %D; Bollinger: ``std``),
optionally ``"multiplier": 0.95`` (scale) and ``"lag": 1`` (previous bar).

A ``custom_indicator`` node names a formula the rules can use by name (see `custom.py`)::

    {"id": "ci", "type": "custom_indicator", "meta": {"name": "spread", "formula": "close - SMA(50)"}}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from app.core.config import Settings
from app.services.language.errors import InvalidStrategyGraph, StrategyTooLarge
from app.services.language.indicators import IndicatorKind, PriceField


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Operand(_Strict):
    value: float | None = None
    price: PriceField | None = None
    indicator: IndicatorKind | None = None
    period: int | None = Field(default=None, ge=0)
    slow: int | None = Field(default=None, ge=0)
    signal: int | None = Field(default=None, ge=0)
    std: float | None = None
    source: PriceField | None = None
    multiplier: float | None = None
    lag: int = Field(default=0, ge=0)


StructuredOp = Literal[
    "above", "below", "at_or_above", "at_or_below", ">", "<", ">=", "<=", "crosses_above", "crosses_below"
]  # fmt: skip


class StructuredCondition(_Strict):
    left: Operand
    op: StructuredOp
    right: Operand


class ConditionMeta(_Lenient):
    rules: list[str] = []
    combine: Literal["all", "any"] = "all"
    conditions: list[StructuredCondition] = []


class _Node(_Lenient):
    id: str = Field(min_length=1)


class EntryConditionNode(_Node):
    type: Literal["entry_condition"]
    meta: ConditionMeta


class ExitConditionNode(_Node):
    type: Literal["exit_condition"]
    meta: ConditionMeta


class ShortEntryConditionNode(_Node):
    type: Literal["short_entry_condition"]
    meta: ConditionMeta


class ShortExitConditionNode(_Node):
    type: Literal["short_exit_condition"]
    meta: ConditionMeta


_ATR_PERIOD = Field(
    default=None, ge=1, le=1000, description="Bars of the Wilder ATR the *_atr distance uses (default 14)."
)


class PriceExitMeta(_Lenient):
    """A distance in percent (``*_pct``) or in ATR multiples (``*_atr`` with ``atr_period``): exactly one."""

    atr_period: int | None = _ATR_PERIOD

    PCT: ClassVar[str]
    ATR: ClassVar[str]

    def distance(self) -> tuple[float | None, float | None]:
        """``(percent, atr_multiple)``; `parse_graph` has checked that exactly one is set."""
        return getattr(self, self.PCT), getattr(self, self.ATR)


class TakeProfitMeta(PriceExitMeta):
    PCT: ClassVar[str] = "target_pct"
    ATR: ClassVar[str] = "target_atr"
    target_pct: float | None = Field(default=None, description="Take profit this far from the entry, in %.")
    target_atr: float | None = Field(default=None, description="...or this many ATRs from the entry.")


class TakeProfitNode(_Node):
    type: Literal["take_profit"]
    meta: TakeProfitMeta


class StopLossMeta(PriceExitMeta):
    PCT: ClassVar[str] = "stop_pct"
    ATR: ClassVar[str] = "stop_atr"
    stop_pct: float | None = Field(default=None, description="Stop this far from the entry, in %.")
    stop_atr: float | None = Field(default=None, description="...or this many ATRs from the entry.")


class StopLossNode(_Node):
    type: Literal["stop_loss"]
    meta: StopLossMeta


class TrailingStopMeta(PriceExitMeta):
    PCT: ClassVar[str] = "trail_pct"
    ATR: ClassVar[str] = "trail_atr"
    trail_pct: float | None = Field(default=None, description="Trail the best price by this much, in %.")
    trail_atr: float | None = Field(default=None, description="...or by this many ATRs (at entry).")


class TrailingStopNode(_Node):
    type: Literal["trailing_stop"]
    meta: TrailingStopMeta


class CustomIndicatorMeta(_Strict):
    name: str = Field(min_length=1, max_length=40, description="How rules refer to it, e.g. 'spread'.")
    formula: str = Field(
        min_length=1, max_length=500, description="Arithmetic in the rule language, e.g. 'close - SMA(50)'."
    )


class CustomIndicatorNode(_Node):
    type: Literal["custom_indicator"]
    meta: CustomIndicatorMeta


class PositionSizingMeta(_Lenient):
    method: Literal["equal", "fixed_fraction", "fixed_amount"] = "equal"
    value: float | None = None


class PositionSizingNode(_Node):
    type: Literal["position_sizing"]
    meta: PositionSizingMeta = PositionSizingMeta()


Node = Annotated[
    EntryConditionNode
    | ExitConditionNode
    | ShortEntryConditionNode
    | ShortExitConditionNode
    | TakeProfitNode
    | StopLossNode
    | TrailingStopNode
    | PositionSizingNode
    | CustomIndicatorNode,
    Field(discriminator="type"),
]
NODE_TYPES = (
    "entry_condition", "exit_condition", "short_entry_condition", "short_exit_condition", "take_profit",
    "stop_loss", "trailing_stop", "position_sizing", "custom_indicator",
)  # fmt: skip
ENTRY_TYPES = ("entry_condition", "short_entry_condition")
CONDITION_NODES = (EntryConditionNode, ExitConditionNode, ShortEntryConditionNode, ShortExitConditionNode)
PRICE_EXIT_NODES = (StopLossNode, TakeProfitNode, TrailingStopNode)
_NODE_ADAPTER: TypeAdapter[Node] = TypeAdapter(Node)


class StrategyGraph(_Lenient):
    nodes: list[Node] = Field(min_length=1)

    def of_type(self, node_type: str) -> list[Node]:
        return [node for node in self.nodes if node.type == node_type]


def node_json_schema() -> dict[str, Any]:
    """JSON Schema of a strategy ``{"nodes": [...]}`` (served at ``GET /strategies/schema``)."""
    return StrategyGraph.model_json_schema()


@dataclass(frozen=True)
class GraphLimits:
    """Size limits of a graph (the service's `MAX_STRATEGY_NODES` and `MAX_RULES_PER_NODE`)."""

    max_nodes: int
    max_rules_per_node: int

    @classmethod
    def of(cls, settings: Settings) -> GraphLimits:
        return cls(settings.max_strategy_nodes, settings.max_rules_per_node)


def parse_graph(schema: Any, limits: GraphLimits | None = None) -> StrategyGraph:
    """Validate a node graph; raise `InvalidStrategyGraph` naming the node and the field at fault, or
    `StrategyTooLarge` naming the limit (and the node) a graph goes over. Sizes are checked before any
    node is validated, so an oversized graph costs nothing to refuse."""
    if not isinstance(schema, dict) or not isinstance(schema.get("nodes"), list):
        raise InvalidStrategyGraph("a strategy is an object with a list of 'nodes'", field="nodes")
    if limits is not None:
        _check_size(schema["nodes"], limits)
    nodes: list[Node] = []
    seen: set[str] = set()
    for index, raw in enumerate(schema["nodes"]):
        nodes.append(_parse_node(index, raw, seen))
    if not nodes:
        raise InvalidStrategyGraph("a strategy needs at least one node", field="nodes")
    if not any(node.type in ENTRY_TYPES for node in nodes):
        raise InvalidStrategyGraph(
            "a strategy needs an 'entry_condition' (long) or 'short_entry_condition' node", field="nodes"
        )
    return StrategyGraph(nodes=nodes)


def _check_size(raw_nodes: list[Any], limits: GraphLimits) -> None:
    if len(raw_nodes) > limits.max_nodes:
        first_over = raw_nodes[limits.max_nodes]
        node_id = first_over.get("id") if isinstance(first_over, dict) else None
        raise StrategyTooLarge(  # named by the first node past the limit
            f"the strategy has {len(raw_nodes)} nodes; at most {limits.max_nodes} are allowed "
            "(MAX_STRATEGY_NODES)",
            limit="max_strategy_nodes",
            value=len(raw_nodes),
            maximum=limits.max_nodes,
            node_id=node_id if isinstance(node_id, str) else "",
        )
    for raw in raw_nodes:
        meta = raw.get("meta") if isinstance(raw, dict) else None
        if not isinstance(meta, dict):
            continue
        count = sum(len(meta[key]) for key in ("rules", "conditions") if isinstance(meta.get(key), list))
        if count > limits.max_rules_per_node:
            node_id = raw.get("id")
            raise StrategyTooLarge(
                f"{count} rules and conditions; at most {limits.max_rules_per_node} per node are allowed "
                "(MAX_RULES_PER_NODE)",
                limit="max_rules_per_node",
                value=count,
                maximum=limits.max_rules_per_node,
                node_id=node_id if isinstance(node_id, str) else "",
            )


def _parse_node(index: int, raw: Any, seen: set[str]) -> Node:
    where = f"nodes[{index}]"
    if not isinstance(raw, dict):
        raise InvalidStrategyGraph(f"{where} must be an object", field=where)
    node_id = raw.get("id")
    if not isinstance(node_id, str) or not node_id.strip():
        raise InvalidStrategyGraph(f"{where} needs a non-empty string 'id'", field="id")
    if node_id in seen:
        raise InvalidStrategyGraph("duplicate node id", node_id=node_id, field="id")
    seen.add(node_id)
    node_type = raw.get("type")
    if node_type not in NODE_TYPES:
        raise InvalidStrategyGraph(
            f"unknown node type {node_type!r}; expected one of {', '.join(NODE_TYPES)}",
            node_id=node_id,
            field="type",
        )
    try:
        node = _NODE_ADAPTER.validate_python(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"][1:]) or "meta"
        raise InvalidStrategyGraph(first["msg"], node_id=node_id, field=field) from exc
    if isinstance(node, CONDITION_NODES) and not (node.meta.rules or node.meta.conditions):
        raise InvalidStrategyGraph(
            "needs at least one rule or condition", node_id=node_id, field="meta.rules"
        )
    if isinstance(node, PRICE_EXIT_NODES):
        _check_distance(node.id, node.meta)
    return node


def _check_distance(node_id: str, meta: PriceExitMeta) -> None:
    """Exactly one of the percent and the ATR distance; ``atr_period`` only with the ATR one."""
    pct, atr = meta.distance()
    if (pct is None) == (atr is None):
        said = "both" if pct is not None else "neither"
        raise InvalidStrategyGraph(
            f"give the distance either in percent ('{meta.PCT}') or in ATR multiples ('{meta.ATR}'), "
            f"not {said}",
            node_id=node_id,
            field=f"meta.{meta.PCT}",
        )
    if atr is not None and not 0 < atr <= 100:
        raise InvalidStrategyGraph(
            f"an ATR multiple must be above 0 and at most 100 (got {atr:g})",
            node_id=node_id,
            field=f"meta.{meta.ATR}",
        )
    if atr is None and meta.atr_period is not None:
        raise InvalidStrategyGraph(
            f"'atr_period' only applies to an ATR distance ('{meta.ATR}'); this node's distance is in "
            "percent",
            node_id=node_id,
            field="meta.atr_period",
        )
