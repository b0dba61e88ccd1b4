"""Reading the rules of the condition nodes for `build_spec`: conditions become rule sets; a stop written as
a rule becomes the node of its kind; a time limit becomes the strategy's ``exit_after_bars``; custom
indicators (nodes and the user's library) are read first so rules can name them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from app.services.language.context import ReadContext
from app.services.language.custom import SavedIndicator, resolve, used_customs
from app.services.language.errors import ImpossibleStrategy
from app.services.language.nodes import (
    ConditionMeta,
    CustomIndicatorNode,
    StopLossMeta,
    StopLossNode,
    StrategyGraph,
    TakeProfitMeta,
    TakeProfitNode,
    TrailingStopMeta,
    TrailingStopNode,
)
from app.services.language.parser_events import PriceExit
from app.services.language.reading import read_rule
from app.services.language.spec import CustomIndicator, Rule, RuleSet, StatedExit, condition_exprs, describe

_EXIT_SIDES = ("exits", "short_exits")


def custom_context(
    graph: StrategyGraph, library: Sequence[SavedIndicator], timeframe: str
) -> tuple[list[CustomIndicator], ReadContext]:
    """Every custom indicator the rules may name (a node wins over a library entry of the same name)."""
    nodes = [n for n in graph.nodes if isinstance(n, CustomIndicatorNode)]
    drawn = {n.meta.name.lower() for n in nodes}
    definitions = [(n.meta.name, n.meta.formula, n.id) for n in nodes]
    definitions += [(s.name, s.formula, "") for s in library if s.name.lower() not in drawn]
    customs = resolve(definitions, timeframe)
    return customs, ReadContext(timeframe=timeframe, custom_names=frozenset(c.name for c in customs))


def needed_customs(
    customs: list[CustomIndicator], graph: StrategyGraph, rule_sets: list[RuleSet]
) -> list[CustomIndicator]:
    """The strategy's own custom indicators, and the library's ones its rules use (in order of use)."""
    drawn = {n.meta.name.lower() for n in graph.nodes if isinstance(n, CustomIndicatorNode)}
    exprs = [e for rs in rule_sets for r in rs.rules for e in condition_exprs(r.condition)]
    exprs += [c.expr for c in customs if c.name in drawn]
    needed = used_customs(exprs, customs) | drawn
    return [c for c in customs if c.name in needed]


class RuleReader:
    """Reads the rules of condition nodes, setting aside stops and time limits written as rules."""

    def __init__(self, ctx: ReadContext) -> None:
        self.ctx = ctx
        self.time_limit: int | None = None
        self.stop_nodes: list[Any] = []
        self.stated: list[StatedExit] = []

    def rule_sets(self, graph: StrategyGraph, cls: type[Any], side: str) -> list[RuleSet]:
        found = [self.rule_set(n.id, n.meta, side) for n in graph.nodes if isinstance(n, cls)]
        return [rule_set for rule_set in found if rule_set is not None]

    def rule_set(self, node_id: str, meta: ConditionMeta, side: str) -> RuleSet | None:
        rules = []
        for text in meta.rules:
            reading = read_rule(text, node_id, self.ctx)
            if reading.price_exit is not None:
                self.stop_nodes.append(stop_node(node_id, reading.price_exit))
                self.stated.append(StatedExit(node_id=node_id, text=text, understood=reading.understood))
                continue
            if reading.exit_after_bars is not None:
                self._time_limit(node_id, text, reading.exit_after_bars, side)
                if reading.condition is None:
                    self.stated.append(StatedExit(node_id=node_id, text=text, understood=reading.understood))
            if reading.condition is not None:
                rules.append(Rule(text=text, condition=reading.condition, understood=reading.understood))
        for structured in meta.conditions:
            from app.services.language.builder import structured_condition

            cond = structured_condition(structured, node_id)
            rules.append(Rule(text=describe(cond), condition=cond, understood=describe(cond)))
        if not rules:
            return None
        combine: Literal["all", "any"] = meta.combine
        return RuleSet(node_id=node_id, combine=combine, rules=rules)

    def with_stop_nodes(self, graph: StrategyGraph) -> StrategyGraph:
        return graph.model_copy(update={"nodes": [*graph.nodes, *self.stop_nodes]})

    def _time_limit(self, node_id: str, text: str, bars: int, side: str) -> None:
        if side not in _EXIT_SIDES:
            raise ImpossibleStrategy(
                f"rule '{text}' states a time limit: it belongs in an exit node", node_id=node_id
            )
        if self.time_limit is not None and self.time_limit != bars:
            raise ImpossibleStrategy(
                f"rule '{text}': one time limit per strategy (another rule says {self.time_limit} bars)",
                node_id=node_id,
            )
        self.time_limit = bars


def stop_node(node_id: str, stop: PriceExit) -> Any:
    """The node a stop rule stands for, with its distance in percent or in ATR multiples."""
    classes: dict[str, tuple[Any, Any, str]] = {
        "stop_loss": (StopLossNode, StopLossMeta, "stop"),
        "take_profit": (TakeProfitNode, TakeProfitMeta, "target"),
        "trailing_stop": (TrailingStopNode, TrailingStopMeta, "trail"),
    }
    node_cls, meta_cls, prefix = classes[stop.kind]
    if stop.pct is not None:
        meta = meta_cls(**{f"{prefix}_pct": stop.pct})
    else:
        meta = meta_cls(**{f"{prefix}_atr": stop.atr, "atr_period": stop.atr_period})
    return node_cls(id=node_id, type=stop.kind, meta=meta)
