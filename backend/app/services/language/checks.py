"""Semantic checks: a spec that parses but cannot mean anything is refused with a reason.

`never_true` is conservative: it only claims "never" when a bounded indicator is compared with a level
outside its range ("RSI above 120"), a series with itself ("SMA(20) above SMA(20)"), or when a
combination of such conditions rules everything out.
"""

from __future__ import annotations

from app.services.language import catalog
from app.services.language.errors import ImpossibleStrategy
from app.services.language.indicators import Indicator
from app.services.language.spec import (
    AllOf,
    AnyOf,
    Condition,
    Const,
    Cross,
    Expr,
    Extreme,
    IndicatorRef,
    Not,
    Pattern,
    Persist,
    PriceRef,
    StrategySpec,
    describe,
)


def _bounds(expr: Expr) -> tuple[float, float] | None:
    if isinstance(expr, IndicatorRef):
        if expr.indicator.of is not None:
            return None
        return catalog.output(expr.indicator.kind).bounds
    if isinstance(expr, PriceRef):
        return (0.0, float("inf"))
    if isinstance(expr, Const):
        return (expr.value, expr.value)
    return None


def never_true(cond: Condition) -> bool:
    """True when ``cond`` cannot hold on any bar (see module doc).

    >>> from app.services.language.reading import parse_rule
    >>> never_true(parse_rule("RSI above 120")), never_true(parse_rule("RSI above 70"))
    (True, False)
    """
    if isinstance(cond, AllOf):
        return any(never_true(item) for item in cond.items)
    if isinstance(cond, AnyOf):
        return all(never_true(item) for item in cond.items)
    if isinstance(cond, Not):
        return always_true(cond.item)
    if isinstance(cond, Persist):
        return never_true(cond.item)
    if isinstance(cond, Extreme | Pattern):
        return False
    if cond.left == cond.right:
        return isinstance(cond, Cross) or cond.op in (">", "<")
    left, right = _bounds(cond.left), _bounds(cond.right)
    if left is None or right is None:
        return False
    (l_lo, l_hi), (r_lo, r_hi) = left, right
    if isinstance(cond, Cross):
        # Crossing needs both sides to be able to be above and below each other.
        return (
            l_hi < r_lo
            or l_lo > r_hi
            or (l_hi == r_lo and cond.direction == "above")
            or (l_lo == r_hi and cond.direction == "below")
        )
    return {
        ">": l_hi <= r_lo,
        ">=": l_hi < r_lo,
        "<": l_lo >= r_hi,
        "<=": l_lo > r_hi,
    }[cond.op]


def always_true(cond: Condition) -> bool:
    if isinstance(cond, AllOf):
        return all(always_true(item) for item in cond.items)
    if isinstance(cond, AnyOf):
        return any(always_true(item) for item in cond.items)
    if isinstance(cond, Not):
        return never_true(cond.item)
    return False


def check_spec(spec: StrategySpec) -> None:
    """Refuse windows of 0 bars, inverted MACD windows, non-positive band widths, entries that never fire."""
    for rule_set in spec.rule_sets():
        for rule in rule_set.rules:
            for ind in _indicators(rule.condition):
                check_indicator(ind, f"rule '{rule.text}'", rule_set.node_id)
    for rule_set in [*spec.entries, *spec.short_entries]:
        for rule in rule_set.rules:
            if never_true(rule.condition) and rule_set.combine == "all":
                raise ImpossibleStrategy(
                    f"rule '{rule.text}' ({describe(rule.condition)}) can never be true, "
                    "so there would be no entry",
                    node_id=rule_set.node_id,
                )


def check_indicator(ind: Indicator, where: str, node_id: str) -> None:
    """One indicator's parameters (and those of the indicator it is taken of) must make sense."""
    if isinstance(ind.of, Indicator):
        check_indicator(ind.of, where, node_id)
    what = f"{where}: {ind.label()}"
    family = catalog.family_of(ind.kind)
    for param, value in zip(family.params, ind.params(), strict=True):
        if param.whole and value < 1:
            raise ImpossibleStrategy(f"{what} has a window of 0 bars", node_id=node_id)
        if not param.whole and value <= 0:
            raise ImpossibleStrategy(f"{what}: the {param.label} must be above 0", node_id=node_id)
    if family.key == "macd" and ind.slow is not None and ind.period >= ind.slow:
        raise ImpossibleStrategy(
            f"{what}: the fast window must be shorter than the slow one", node_id=node_id
        )


def _indicators(cond: Condition) -> list[Indicator]:
    from app.services.language.spec import _condition_indicators

    return _condition_indicators(cond)
