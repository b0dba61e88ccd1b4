"""Node graph + execution parameters -> StrategySpec, with the checks that make a spec meaningful.

Several entry (or exit) nodes: each node is one self-contained setup, so a signal fires when ANY node's
rules hold; inside a node, rules combine with AND unless ``meta.combine`` is ``"any"``.

A rule that states a stop ("stop loss 8%", "2.5 ATR trailing stop") becomes the node of that kind, as if
it had been drawn (so the one-node-per-kind checks apply); a rule that states a time limit ("exit after
10 days", "... or after 10 days, whichever comes first") sets ``exit_after_bars``: those exits are not
combined with the node's other rules, they close the position on their own (see `builder_rules.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol

from app.services.language.builder_rules import RuleReader, custom_context, needed_customs
from app.services.language.builder_stops import price_exit_fields, single
from app.services.language.checks import check_spec, never_true
from app.services.language.custom import SavedIndicator
from app.services.language.errors import ImpossibleStrategy
from app.services.language.indicators import DEFAULT_PERIOD, Indicator
from app.services.language.nodes import (
    EntryConditionNode,
    ExitConditionNode,
    Operand,
    PositionSizingNode,
    ShortEntryConditionNode,
    ShortExitConditionNode,
    StrategyGraph,
    StructuredCondition,
)
from app.services.language.spec import (
    Arith,
    Compare,
    Condition,
    Const,
    Cross,
    Expr,
    IndicatorRef,
    PriceRef,
    RuleSet,
    Sizing,
    StrategySpec,
)


class ExecutionParamsLike(Protocol):
    """What `build_spec` reads from the execution's parameters (`app.models.params.ExecutionParams`);
    read-only, so a narrower type (a `Literal` timeframe) satisfies it."""

    @property
    def symbols(self) -> list[str]: ...

    @property
    def timeframe(self) -> str: ...

    @property
    def start_date(self) -> date: ...

    @property
    def end_date(self) -> date: ...

    @property
    def initial_capital(self) -> float: ...

    @property
    def benchmark(self) -> str | None: ...

    @property
    def fees(self) -> float: ...

    @property
    def slippage(self) -> float: ...

    @property
    def position_sizing(self) -> str: ...

    @property
    def position_size(self) -> float | None: ...

    @property
    def exposure(self) -> float: ...

    @property
    def risk_free_rate(self) -> float: ...

    @property
    def stop_slippage(self) -> bool: ...

    @property
    def reenter_on_exit_bar(self) -> bool: ...


def build_spec(
    graph: StrategyGraph, params: ExecutionParamsLike, library: Sequence[SavedIndicator] = ()
) -> StrategySpec:
    """Read every rule, gather stops and sizing, and check the result can mean something.

    ``library`` holds the user's saved custom indicators (usable by name; a ``custom_indicator`` node of
    the same name wins). Raises `RuleNotUnderstood` for a rule the grammar cannot read,
    `InvalidStrategyGraph` for a bad custom indicator, `ImpossibleStrategy` otherwise.
    """
    customs, ctx = custom_context(graph, library, params.timeframe)
    reader = RuleReader(ctx)
    sides = {
        field: reader.rule_sets(graph, cls, field)
        for field, cls in (
            ("entries", EntryConditionNode),
            ("exits", ExitConditionNode),
            ("short_entries", ShortEntryConditionNode),
            ("short_exits", ShortExitConditionNode),
        )
    }
    if not sides["entries"] and not sides["short_entries"]:
        raise ImpossibleStrategy("the entry nodes hold no entry signal, only stops or time limits")
    graph = reader.with_stop_nodes(graph)
    stops = price_exit_fields(graph)
    sizing = _sizing(single(graph, PositionSizingNode, "position_sizing"), params)
    for rule_set in [*sides["exits"], *sides["short_exits"]]:
        way_out = stops or reader.time_limit is not None
        if not way_out and all(never_true(rule.condition) for rule in rule_set.rules):
            raise ImpossibleStrategy(
                "these exit rules can never trigger and there is no stop or take-profit, "
                "so a position would never close",
                node_id=rule_set.node_id,
            )
    _check_sides(sides)
    spec = StrategySpec(
        symbols=list(params.symbols),
        timeframe=params.timeframe,
        start_date=params.start_date,
        end_date=params.end_date,
        initial_capital=params.initial_capital,
        benchmark=params.benchmark,
        fees=params.fees,
        slippage=params.slippage,
        exposure=params.exposure,
        risk_free_rate=params.risk_free_rate,
        sizing=sizing,
        stop_slippage=params.stop_slippage,
        reenter_on_exit_bar=params.reenter_on_exit_bar,
        exit_after_bars=reader.time_limit,
        custom_indicators=needed_customs(customs, graph, [rs for side in sides.values() for rs in side]),
        stated_exits=reader.stated,
        **sides,
        **stops,
    )
    check_spec(spec)
    return spec


def _check_sides(sides: dict[str, list[RuleSet]]) -> None:
    """An exit node needs an entry node of its side: it would close positions that never open."""
    for exits, entries, words in (("exits", "entries", "long"), ("short_exits", "short_entries", "short")):
        if sides[exits] and not sides[entries]:
            entry_type = "entry_condition" if words == "long" else "short_entry_condition"
            raise ImpossibleStrategy(
                f"this {words} exit has no {words} entry to close: add an '{entry_type}' node or remove it",
                node_id=sides[exits][0].node_id,
            )


def _sizing(node: PositionSizingNode | None, params: ExecutionParamsLike) -> Sizing:
    method = node.meta.method if node is not None else params.position_sizing
    value = node.meta.value if node is not None and node.meta.value is not None else params.position_size
    node_id = node.id if node is not None else ""
    if method == "equal":
        return Sizing(method="equal")
    if value is None or value <= 0:
        raise ImpossibleStrategy(f"position sizing '{method}' needs a value above 0", node_id=node_id)
    if method == "fixed_fraction" and value > 1:
        raise ImpossibleStrategy(
            f"a fixed fraction is a share of cash between 0 and 1 (got {value})", node_id=node_id
        )
    return Sizing(method=method, value=value)


_OPS = {"above": ">", "below": "<", "at_or_above": ">=", "at_or_below": "<=", ">": ">", "<": "<"}


def structured_condition(item: StructuredCondition, node_id: str) -> Condition:
    left, right = _operand(item.left, node_id), _operand(item.right, node_id)
    if item.op in ("crosses_above", "crosses_below"):
        return Cross(left=left, direction="above" if item.op == "crosses_above" else "below", right=right)
    op = _OPS.get(item.op, item.op)
    return Compare(left=left, op=op, right=right)


def _operand(operand: Operand, node_id: str) -> Expr:
    given = [operand.value is not None, operand.price is not None, operand.indicator is not None]
    if sum(given) != 1:
        raise ImpossibleStrategy(
            "a structured operand needs exactly one of 'value', 'price' or 'indicator'", node_id=node_id
        )
    expr: Expr
    if operand.value is not None:
        return Const(value=operand.value)
    if operand.price is not None:
        expr = PriceRef(field=operand.price, lag=operand.lag)
    else:
        assert operand.indicator is not None
        kind = operand.indicator
        period = operand.period if operand.period is not None else DEFAULT_PERIOD.get(kind)
        if period is None:
            raise ImpossibleStrategy(f"indicator '{kind}' needs a 'period'", node_id=node_id)
        extra: dict[str, object] = {}
        if kind.startswith("macd"):
            extra = {"slow": operand.slow or 26, "signal": operand.signal or 9}
        elif kind.startswith("stoch"):
            extra = {"signal": operand.signal or 3}
        elif kind.startswith("bb_"):
            extra = {"std": operand.std if operand.std is not None else 2.0}
        source = operand.source or {"highest": "high", "lowest": "low", "volume_sma": "volume"}.get(
            kind, "close"
        )
        indicator = Indicator(kind=kind, period=period, source=source, **extra)
        expr = IndicatorRef(indicator=indicator, lag=operand.lag)
    if operand.multiplier is not None:
        expr = Arith(op="mul", left=expr, right=Const(value=operand.multiplier))
    return expr
