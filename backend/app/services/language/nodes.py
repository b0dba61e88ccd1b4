"""The node graph a visual builder saves (contract), and its validation.

Accepted verbatim (keys a builder adds, such as ``position``, ``data``, ``label`` or top-level ``edges``,
are ignored)::

    {"nodes": [
      {"id": "entry", "type": "entry_condition",
       "meta": {"rules": ["Enter on a 5% price drop from the 20-day moving average"]}},
      {"id": "tp", "type": "take_profit", "meta": {"target_pct": 7.0}},
      {"id": "sl", "type": "stop_loss", "meta": {"stop_pct": 5.0}}
    ]}

Percent fields are percents (7.0 means 7 %). A condition node holds free-text ``rules`` and/or
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

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from app.services.language.errors import InvalidStrategyGraph
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


class TakeProfitMeta(_Lenient):
    target_pct: float


class TakeProfitNode(_Node):
    type: Literal["take_profit"]
    meta: TakeProfitMeta


class StopLossMeta(_Lenient):
    stop_pct: float


class StopLossNode(_Node):
    type: Literal["stop_loss"]
    meta: StopLossMeta


class TrailingStopMeta(_Lenient):
    trail_pct: float


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
    | TakeProfitNode
    | StopLossNode
    | TrailingStopNode
    | PositionSizingNode
    | CustomIndicatorNode,
    Field(discriminator="type"),
]
NODE_TYPES = (
    "entry_condition", "exit_condition", "take_profit", "stop_loss", "trailing_stop", "position_sizing",
    "custom_indicator",
)  # fmt: skip
_NODE_ADAPTER: TypeAdapter[Node] = TypeAdapter(Node)


class StrategyGraph(_Lenient):
    nodes: list[Node] = Field(min_length=1)

    def of_type(self, node_type: str) -> list[Node]:
        return [node for node in self.nodes if node.type == node_type]


def node_json_schema() -> dict[str, Any]:
    """JSON Schema of a strategy ``{"nodes": [...]}`` (served at ``GET /strategies/schema``)."""
    return StrategyGraph.model_json_schema()


def parse_graph(schema: Any) -> StrategyGraph:
    """Validate a node graph; raise `InvalidStrategyGraph` naming the node and the field at fault."""
    if not isinstance(schema, dict) or not isinstance(schema.get("nodes"), list):
        raise InvalidStrategyGraph("a strategy is an object with a list of 'nodes'", field="nodes")
    nodes: list[Node] = []
    seen: set[str] = set()
    for index, raw in enumerate(schema["nodes"]):
        nodes.append(_parse_node(index, raw, seen))
    if not nodes:
        raise InvalidStrategyGraph("a strategy needs at least one node", field="nodes")
    if not any(node.type == "entry_condition" for node in nodes):
        raise InvalidStrategyGraph("a strategy needs an 'entry_condition' node", field="nodes")
    return StrategyGraph(nodes=nodes)


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
    if isinstance(node, EntryConditionNode | ExitConditionNode) and not (
        node.meta.rules or node.meta.conditions
    ):
        raise InvalidStrategyGraph(
            "needs at least one rule or condition", node_id=node_id, field="meta.rules"
        )
    return node
