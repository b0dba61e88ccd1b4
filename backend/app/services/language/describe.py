"""The canonical one-line wording of a reading: what the user is shown as "understood".

It is exact (every indicator with all its parameters, every operator), compact, and itself a rule the
grammar reads back to the same meaning for the plain comparisons.

>>> from app.services.language.reading import parse_rule
>>> describe_condition(parse_rule("RSI above its 9-day average for 3 days"))
'RSI(14) > SMA(9) of RSI(14) for 3 bars in a row'
"""

from __future__ import annotations

from app.services.language.indicators import _num
from app.services.language.spec import (
    AllOf,
    AnyOf,
    Arith,
    Compare,
    Condition,
    Const,
    Cross,
    CustomRef,
    Expr,
    Extreme,
    IndicatorRef,
    Not,
    Pattern,
    Persist,
    PriceRef,
)

_ARITH_SYMBOL = {"add": "+", "sub": "-", "mul": "*", "div": "/"}
PATTERN_WORDS = {
    "bullish_engulfing": "bullish engulfing candle",
    "bearish_engulfing": "bearish engulfing candle",
    "inside_bar": "inside bar",
    "outside_bar": "outside bar",
    "nr4": "NR4 (narrowest range of 4 bars)",
    "nr7": "NR7 (narrowest range of 7 bars)",
    "hammer": "hammer candle",
    "shooting_star": "shooting star candle",
    "doji": "doji candle",
}


def _lagged(text: str, lag: int) -> str:
    return text if lag == 0 else f"{text}[{lag} bar(s) ago]"


def describe_expr(expr: Expr) -> str:
    if isinstance(expr, Const):
        return _num(expr.value)
    if isinstance(expr, PriceRef):
        return _lagged(expr.field, expr.lag)
    if isinstance(expr, IndicatorRef):
        return _lagged(expr.indicator.label(), expr.lag)
    if isinstance(expr, CustomRef):
        return _lagged(expr.name, expr.lag)
    left, right = describe_expr(expr.left), describe_expr(expr.right)
    if isinstance(expr.right, Arith) and not (expr.op in ("add", "sub") and expr.right.op in ("mul", "div")):
        right = f"({right})"
    if isinstance(expr.left, Arith) and expr.op in ("mul", "div") and expr.left.op in ("add", "sub"):
        left = f"({left})"
    return f"{left} {_ARITH_SYMBOL[expr.op]} {right}"


def describe_condition(cond: Condition) -> str:
    if isinstance(cond, Compare):
        return f"{describe_expr(cond.left)} {cond.op} {describe_expr(cond.right)}"
    if isinstance(cond, Cross):
        return f"{describe_expr(cond.left)} crosses {cond.direction} {describe_expr(cond.right)}"
    if isinstance(cond, Not):
        return f"not ({describe_condition(cond.item)})"
    if isinstance(cond, Persist):
        inner = describe_condition(cond.item)
        if isinstance(cond.item, AllOf | AnyOf):
            inner = f"({inner})"
        return f"{inner} for {cond.bars} bars in a row"
    if isinstance(cond, Extreme):
        return f"{describe_expr(cond.expr)} is at a {cond.bars}-bar {cond.which}"
    if isinstance(cond, Pattern):
        return PATTERN_WORDS[cond.name]
    joiner = " and " if isinstance(cond, AllOf) else " or "
    return joiner.join(
        f"({describe_condition(item)})" if isinstance(item, AllOf | AnyOf) else describe_condition(item)
        for item in cond.items
    )
