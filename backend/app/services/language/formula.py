"""Arithmetic over series: the two sides of a comparison and a custom indicator's formula.

    expression := term (('+' | '-' | 'plus' | 'minus') term)*
    term       := factor (('*' | '/' | 'times' | 'divided by') factor)*
    factor     := '(' expression ')' | number ('times' | '*')? factor | number | series

"close - SMA(50)", "(high + low) / 2", "ATR(14) / close", "SMA(20) + 2 * ATR(14)", "1.5 times ATR".
A percent number is a fraction here ("5%" is 0.05) unless the caller reads it against a unit.
"""

from __future__ import annotations

from typing import Literal

from app.services.language.catalog import Unit
from app.services.language.cursor import Cursor
from app.services.language.series import Subject, parse_series
from app.services.language.spec import Arith, Const

ArithOp = Literal["add", "sub", "mul", "div"]
PERCENT = (
    "percent-const"  # the domain of a lone percent number: its meaning depends on what it is compared with
)
_ADD = {"+": "add", "plus": "add", "-": "sub", "minus": "sub"}
_MUL = {"*": "mul", "times": "mul", "/": "div", "divided by": "div"}


def read_expression(c: Cursor, ctx: Subject | None = None, allow_const: bool = True) -> Subject | None:
    """An arithmetic expression of series (see module doc); None and the cursor unchanged if none."""
    mark = c.mark()
    left = _term(c, ctx, allow_const)
    if left is None:
        c.reset(mark)
        return None
    while True:
        op_mark = c.mark()
        word = c.opt(*_ADD)
        if word is None:
            return left
        right = _term(c, ctx, allow_const)
        if right is None:
            c.reset(op_mark)
            return left
        left = combine(left, _ADD[word], right)  # type: ignore[arg-type]


def _term(c: Cursor, ctx: Subject | None, allow_const: bool) -> Subject | None:
    left = _factor(c, ctx, allow_const)
    if left is None:
        return None
    while True:
        op_mark = c.mark()
        word = c.opt(*_MUL)
        if word is None:
            return left
        right = _factor(c, ctx, allow_const)
        if right is None:
            c.reset(op_mark)
            return left
        left = combine(left, _MUL[word], right)  # type: ignore[arg-type]


def _factor(c: Cursor, ctx: Subject | None, allow_const: bool) -> Subject | None:
    mark = c.mark()
    if c.opt("("):
        inner = read_expression(c, ctx, allow_const)
        if inner is not None and c.opt(")"):
            return inner
        c.reset(mark)
    tok = c.peek()
    if tok is not None and (tok.kind == "num" or (tok.kind == "sym" and tok.text in ("-", "+"))):
        series = parse_series(c, ctx, allow_const=False)  # "20 EMA", "200-day SMA"
        if series is not None:
            return series
        num = c.number("a number")
        if num is not None:
            value = num.value / 100 if num.percent else num.value
            const = Subject(
                Const(value=round(value, 12)), PERCENT if num.percent else "const", unit="fraction"
            )
            scaled_mark = c.mark()
            if c.opt("times", "*") or num.percent:  # "2 times ATR", "2% of the close"
                other = _factor(c, ctx, allow_const=False)
                if other is not None:
                    return combine(const, "mul", other)
            c.reset(scaled_mark)
            if allow_const:
                return const
        c.reset(mark)
        return parse_series(c, ctx, allow_const=False)
    return parse_series(c, ctx, allow_const=False)


def combine(left: Subject, op: ArithOp, right: Subject) -> Subject:
    expr = Arith(op=op, left=left.expr, right=right.expr)
    unit: Unit
    if op == "div":
        unit = "fraction"
        domain = "ratio"
    elif left.domain in ("const", PERCENT):
        unit, domain = right.unit, right.domain if op == "mul" else "expression"
    else:
        unit, domain = left.unit, left.domain if op == "mul" and right.domain == "const" else "expression"
    return Subject(expr, domain, None, unit)
