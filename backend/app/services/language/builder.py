"""Node graph + execution parameters -> StrategySpec, with the checks that make a spec meaningful.

Several entry (or exit) nodes: each node is one self-contained setup, so a signal fires when ANY node's
rules hold; inside a node, rules combine with AND unless ``meta.combine`` is ``"any"``.

A rule that states a stop ("stop loss 8%", "2.5 ATR trailing stop") becomes the node of that kind, as if
it had been drawn (so the one-node-per-kind checks apply); a rule that states a time limit ("exit after
10 days", "... or after 10 days, whichever comes first") sets ``exit_after_bars``: those exits are not
combined with the node's other rules, they close the position on their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, Literal, Protocol, TypeVar

from app.services.language.checks import check_spec, never_true
from app.services.language.context import ReadContext
from app.services.language.custom import SavedIndicator, resolve, used_customs
from app.services.language.errors import ImpossibleStrategy
from app.services.language.indicators import DEFAULT_PERIOD, Indicator
from app.services.language.nodes import (
    ConditionMeta,
    CustomIndicatorNode,
    EntryConditionNode,
    ExitConditionNode,
    Operand,
    PositionSizingNode,
    StopLossMeta,
    StopLossNode,
    StrategyGraph,
    StructuredCondition,
    TakeProfitMeta,
    TakeProfitNode,
    TrailingStopMeta,
    TrailingStopNode,
)
from app.services.language.parser_events import PriceExit
from app.services.language.reading import read_rule
from app.services.language.spec import (
    Arith,
    Compare,
    Condition,
    Const,
    Cross,
    CustomIndicator,
    Expr,
    IndicatorRef,
    PriceRef,
    Rule,
    RuleSet,
    Sizing,
    StatedExit,
    StrategySpec,
    condition_exprs,
    describe,
)

N = TypeVar("N")


class ExecutionParamsLike(Protocol):
    """What `build_spec` reads from the execution's parameters (`app.models.params.ExecutionParams`)."""

    symbols: list[str]
    timeframe: str
    start_date: date
    end_date: date
    initial_capital: float
    benchmark: str | None
    fees: float
    slippage: float
    position_sizing: str
    position_size: float | None
    exposure: float
    risk_free_rate: float


def build_spec(
    graph: StrategyGraph, params: ExecutionParamsLike, library: Sequence[SavedIndicator] = ()
) -> StrategySpec:
    """Read every rule, gather stops and sizing, and check the result can mean something.

    ``library`` holds the user's saved custom indicators (usable by name; a ``custom_indicator`` node of
    the same name wins). Raises `RuleNotUnderstood` for a rule the grammar cannot read,
    `InvalidStrategyGraph` for a bad custom indicator, `ImpossibleStrategy` otherwise.
    """
    customs, ctx = _custom_indicators(graph, library, params.timeframe)
    reader = _Reader(ctx)
    entries = reader.rule_sets(graph, EntryConditionNode, "entry")
    exits = reader.rule_sets(graph, ExitConditionNode, "exit")
    if not entries:
        raise ImpossibleStrategy("the entry nodes hold no entry signal (only stops or time limits)")
    graph = graph.model_copy(update={"nodes": [*graph.nodes, *reader.stop_nodes]})
    stop_loss = _single(graph, StopLossNode, "stop_loss")
    take_profit = _single(graph, TakeProfitNode, "take_profit")
    trailing = _single(graph, TrailingStopNode, "trailing_stop")
    sizing_node = _single(graph, PositionSizingNode, "position_sizing")
    if stop_loss is not None and trailing is not None:
        raise ImpossibleStrategy(
            "a fixed stop-loss and a trailing stop together: vectorbt keeps one stop per position; "
            "keep the one you mean",
            node_id=trailing.id,
        )
    sizing = _sizing(sizing_node, params)
    for rule_set in exits:
        if (
            stop_loss is None
            and take_profit is None
            and trailing is None
            and all(never_true(rule.condition) for rule in rule_set.rules)
        ):
            raise ImpossibleStrategy(
                "these exit rules can never trigger and there is no stop or take-profit, "
                "so a position would never close",
                node_id=rule_set.node_id,
            )
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
        entries=entries,
        exits=exits,
        stop_loss=_pct(stop_loss.meta.stop_pct, stop_loss.id, "stop-loss", 100.0) if stop_loss else None,
        take_profit=_pct(take_profit.meta.target_pct, take_profit.id, "take-profit", None)
        if take_profit
        else None,
        trailing_stop=_pct(trailing.meta.trail_pct, trailing.id, "trailing stop", 100.0)
        if trailing
        else None,
        exit_after_bars=reader.time_limit,
        custom_indicators=_needed(customs, graph, entries, exits),
        stated_exits=reader.converted,
    )
    check_spec(spec)
    return spec


def _custom_indicators(
    graph: StrategyGraph, library: Sequence[SavedIndicator], timeframe: str
) -> tuple[list[CustomIndicator], ReadContext]:
    nodes = [n for n in graph.nodes if isinstance(n, CustomIndicatorNode)]
    drawn = {n.meta.name.lower() for n in nodes}
    definitions = [(n.meta.name, n.meta.formula, n.id) for n in nodes]
    definitions += [(s.name, s.formula, "") for s in library if s.name.lower() not in drawn]
    customs = resolve(definitions, timeframe)
    return customs, ReadContext(timeframe=timeframe, custom_names=frozenset(c.name for c in customs))


def _needed(
    customs: list[CustomIndicator], graph: StrategyGraph, entries: list[RuleSet], exits: list[RuleSet]
) -> list[CustomIndicator]:
    """The strategy's own custom indicators, and the library's ones its rules use."""
    drawn = {n.meta.name.lower() for n in graph.nodes if isinstance(n, CustomIndicatorNode)}
    exprs = [e for rs in [*entries, *exits] for r in rs.rules for e in condition_exprs(r.condition)]
    exprs += [c.expr for c in customs if c.name in drawn]
    needed = used_customs(exprs, customs) | drawn
    return [c for c in customs if c.name in needed]


class _Reader:
    """Reads the rules of condition nodes, setting aside stops and time limits written as rules."""

    def __init__(self, ctx: ReadContext) -> None:
        self.ctx = ctx
        self.time_limit: int | None = None
        self.stop_nodes: list[Any] = []
        self.converted: list[StatedExit] = []

    def rule_sets(self, graph: StrategyGraph, cls: type[Any], side: str) -> list[RuleSet]:
        found = [self.rule_set(n.id, n.meta, side) for n in graph.nodes if isinstance(n, cls)]
        return [rule_set for rule_set in found if rule_set is not None]

    def rule_set(self, node_id: str, meta: ConditionMeta, side: str) -> RuleSet | None:
        rules = []
        for text in meta.rules:
            reading = read_rule(text, node_id, self.ctx)
            if reading.price_exit is not None:
                self.stop_nodes.append(_stop_node(node_id, reading.price_exit, text))
                self.converted.append(StatedExit(node_id=node_id, text=text, understood=reading.understood))
                continue
            if reading.exit_after_bars is not None:
                self._time_limit(node_id, text, reading.exit_after_bars, side)
                if reading.condition is None:
                    self.converted.append(
                        StatedExit(node_id=node_id, text=text, understood=reading.understood)
                    )
            if reading.condition is not None:
                rules.append(Rule(text=text, condition=reading.condition, understood=reading.understood))
        for structured in meta.conditions:
            cond = structured_condition(structured, node_id)
            rules.append(Rule(text=describe(cond), condition=cond, understood=describe(cond)))
        if not rules:
            return None
        combine: Literal["all", "any"] = meta.combine
        return RuleSet(node_id=node_id, combine=combine, rules=rules)

    def _time_limit(self, node_id: str, text: str, bars: int, side: str) -> None:
        # The bar-by-bar engine that can close a position after N bars is not wired yet: refuse rather
        # than run a backtest that ignores the time limit.
        raise ImpossibleStrategy(
            f"rule '{text}' states a time limit ({bars} bars), which this version cannot run yet; "
            "use an exit rule or a stop instead",
            node_id=node_id,
        )
        if side == "entry":
            raise ImpossibleStrategy(
                f"rule '{text}' states a time limit: it belongs in an exit node", node_id=node_id
            )
        if self.time_limit is not None and self.time_limit != bars:
            raise ImpossibleStrategy(
                f"rule '{text}': only one time limit per strategy (another rule says {self.time_limit} bars)",
                node_id=node_id,
            )
        self.time_limit = bars


def _stop_node(node_id: str, stop: PriceExit, text: str) -> Any:
    """The node a stop rule stands for; ATR distances need the node fields for them."""
    classes: dict[str, tuple[Any, Any, str]] = {
        "stop_loss": (StopLossNode, StopLossMeta, "stop"),
        "take_profit": (TakeProfitNode, TakeProfitMeta, "target"),
        "trailing_stop": (TrailingStopNode, TrailingStopMeta, "trail"),
    }
    node_cls, meta_cls, prefix = classes[stop.kind]
    if stop.pct is not None:
        meta = meta_cls(**{f"{prefix}_pct": stop.pct})
    elif f"{prefix}_atr" in meta_cls.model_fields:
        meta = meta_cls(**{f"{prefix}_atr": stop.atr, "atr_period": stop.atr_period})
    else:
        raise ImpossibleStrategy(
            f"rule '{text}' is a {stop.kind.replace('_', ' ')} in ATR multiples, which this version cannot "
            f"run yet; use a {stop.kind} node with a percent distance",
            node_id=node_id,
        )
    return node_cls(id=node_id, type=stop.kind, meta=meta)


def _single(graph: StrategyGraph, cls: type[N], name: str) -> N | None:
    found = [node for node in graph.nodes if isinstance(node, cls)]
    if len(found) > 1:
        raise ImpossibleStrategy(f"only one {name} node is allowed", node_id=found[1].id)
    return found[0] if found else None


def _pct(value: float, node_id: str, name: str, upper: float | None) -> float:
    if value <= 0:
        raise ImpossibleStrategy(f"the {name} must be above 0% (got {value}%)", node_id=node_id)
    if upper is not None and value >= upper:
        raise ImpossibleStrategy(f"the {name} must be below {upper:g}% (got {value}%)", node_id=node_id)
    return round(value / 100.0, 12)


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
