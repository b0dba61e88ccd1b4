"""The second half of a comparison: what is said about the subject ("crosses above the 50 EMA",
"is 5% below the 20-day SMA", "drops 5% in 3 days", "touches the lower Bollinger band").
"""

from __future__ import annotations

from typing import Literal

from app.services.language.cursor import Cursor
from app.services.language.indicators import Indicator
from app.services.language.series import Subject, parse_series
from app.services.language.spec import (
    AllOf,
    Arith,
    Compare,
    Condition,
    Const,
    Cross,
    Expr,
    IndicatorRef,
    Not,
    PriceRef,
)

Op = Literal[">", ">=", "<", "<="]

CROSS_ABOVE = (
    "cross back above", "cross up above", "cross up through", "cross above", "cross through", "cross up",
    "move back above", "move above", "rise back above", "rise above", "break out above", "break above",
    "break through", "breakout above", "jump above", "pop above", "turns above", "closes back above",
)  # fmt: skip
CROSS_BELOW = (
    "cross back below", "cross down below", "cross down through", "cross below", "cross down",
    "move back below", "move below", "drop back below", "drop below", "break down below", "break below",
    "break down through", "breakdown below", "slips below", "turns below", "closes back below",
)  # fmt: skip
COMPARE: tuple[tuple[str, Op], ...] = (
    ("greater or equal", ">="), ("above or equal", ">="), ("at or above", ">="), ("at least", ">="),
    (">=", ">="), ("no less", ">="), ("not below", ">="),
    ("less or equal", "<="), ("below or equal", "<="), ("at or below", "<="), ("at most", "<="),
    ("<=", "<="), ("no more", "<="), ("not above", "<="),
    ("above", ">"), ("greater", ">"), ("more", ">"), ("higher", ">"), ("bigger", ">"), ("larger", ">"),
    (">", ">"), ("exceeds", ">"),
    ("below", "<"), ("less", "<"), ("lower", "<"), ("smaller", "<"), ("fewer", "<"), ("<", "<"),
)  # fmt: skip
# Oversold / overbought thresholds by indicator.
ZONES: dict[str, tuple[float, float]] = {
    "rsi": (30.0, 70.0),
    "stoch_k": (20.0, 80.0),
    "stoch_d": (20.0, 80.0),
    "cci": (-100.0, 100.0),
}


class TailReader:
    def __init__(self, cursor: Cursor) -> None:
        self.c = cursor
        self.last_subject: Subject | None = None

    @staticmethod
    def close_ref(lag: int = 0) -> PriceRef:
        return PriceRef(field="close", lag=lag)

    def tail(self, subject: Subject) -> Condition | None:
        c = self.c
        negate = c.opt("does not", "doesnt", "isnt", "not", "never") is not None
        for reader in (
            self._band,
            self._cross,
            self._compare,
            self._between,
            self._touch,
            self._move,
            self._new_extreme,
            self._state,
        ):
            mark = c.mark()
            cond = reader(subject)
            if cond is not None:
                return Not(item=cond) if negate else cond
            c.reset(mark)
        c.note("'above'", "'below'", "'crosses above'", "'crosses below'", "'between'", "'touches'")
        return None

    # -- right-hand sides -------------------------------------------------------------------------
    def band(self, ctx: Subject) -> tuple[str, Expr] | None:
        """'5% below the 20-day SMA' -> ('below', SMA(20) * 0.95); '2 ATR above the 20-day SMA' ->
        ('above', SMA(20) + 2 * ATR(14))."""
        c = self.c
        tok = c.number("a number")
        if tok is None:
            return None
        atr = None
        if not tok.percent:
            atr = parse_series(c)
            if atr is None or atr.domain != "atr":
                return None
        side = c.phrase("above", "below")
        if side is None:
            return None
        base = parse_series(c, ctx)
        if base is None:
            return None
        if atr is not None:
            offset = Arith(op="mul", left=Const(value=tok.value), right=atr.expr)
            return side, Arith(op="add" if side == "above" else "sub", left=base.expr, right=offset)
        factor = 1 + tok.value / 100 if side == "above" else 1 - tok.value / 100
        return side, Arith(op="mul", left=base.expr, right=Const(value=round(factor, 12)))

    def rhs(self, subject: Subject) -> Expr | None:
        c = self.c
        mark = c.mark()
        banded = self.band(subject)
        if banded is not None:
            return banded[1]
        c.reset(mark)
        tok = c.peek()
        if tok is not None and tok.kind == "num" and c.at_word("times", "*", ahead=1):
            c.i += 2
            scaled = parse_series(c, subject)
            if scaled is None:
                return None
            return Arith(op="mul", left=Const(value=tok.value), right=scaled.expr)
        base = parse_series(c, subject, allow_const=True)
        if base is None:
            return None
        mark = c.mark()
        sign = c.opt("+", "plus", "-", "minus", "*")
        if sign is None:
            return base.expr
        k = c.number("a number", percent=False)
        if k is not None and sign == "*":
            return Arith(op="mul", left=base.expr, right=Const(value=k.value))
        c.opt("times", "*")
        other = parse_series(c, subject, allow_const=k is None)
        if other is None:
            c.reset(mark)
            return base.expr
        offset = other.expr if k is None else Arith(op="mul", left=Const(value=k.value), right=other.expr)
        return Arith(op="add" if sign in ("+", "plus") else "sub", left=base.expr, right=offset)

    # -- tails ----------------------------------------------------------------------------------
    def _band(self, subject: Subject) -> Condition | None:
        """'close is (at least | more than) 5% below the 20-day SMA': the band's side sets the direction."""
        c = self.c
        c.opt("closes", "stays")
        strict = c.opt("more", "at least", "by") == "more"
        banded = self.band(subject)
        if banded is None:
            return None
        side, level = banded
        op: Op = (">" if strict else ">=") if side == "above" else ("<" if strict else "<=")
        return Compare(left=subject.expr, op=op, right=level)

    def _cross(self, subject: Subject) -> Condition | None:
        c = self.c
        direction: Literal["above", "below"]
        if c.opt(*CROSS_ABOVE):
            direction = "above"
        elif c.opt(*CROSS_BELOW):
            direction = "below"
        else:
            return None
        right = self.rhs(subject)
        return None if right is None else Cross(left=subject.expr, direction=direction, right=right)

    def _compare(self, subject: Subject) -> Condition | None:
        c = self.c
        c.opt("closes", "stays")
        phrases = [p for p, _ in COMPARE]
        word = c.opt(*phrases)
        tok = c.peek()
        if word is None and tok is not None and tok.kind == "num" and c.at_word("times", ahead=1):
            word = "at least"  # "volume is 2 times its average"
        if word is None:
            return None
        op = dict(COMPARE)[word]
        right = self.rhs(subject)
        return None if right is None else Compare(left=subject.expr, op=op, right=right)

    def _between(self, subject: Subject) -> Condition | None:
        c = self.c
        if not c.opt("between"):
            return None
        low, high = c.number("a number"), None
        if low is not None and c.phrase("and"):
            high = c.number("a number")
        if low is None or high is None:
            return None
        lo, hi = sorted((low.value, high.value))
        return AllOf(
            items=[
                Compare(left=subject.expr, op=">=", right=Const(value=lo)),
                Compare(left=subject.expr, op="<=", right=Const(value=hi)),
            ]
        )

    def _touch(self, subject: Subject) -> Condition | None:
        """'price touches the lower Bollinger band' = the bar's low reaches it (low <= band);
        upper band/highs use the bar's high; 'close touches ...' uses the close; any other level
        is touched when it lies inside the bar's range (low <= level <= high)."""
        c = self.c
        if not c.opt("touch"):
            return None
        c.opt("or cross", "or break")
        target = parse_series(c, subject)
        if target is None:
            return None
        kind = target.indicator.kind if target.indicator is not None else target.domain
        upper = kind in ("bb_upper", "highest", "high")
        lower = kind in ("bb_lower", "lowest", "low")
        if subject.domain == "close" and (upper or lower):
            return Compare(left=subject.expr, op=">=" if upper else "<=", right=target.expr)
        if subject.domain not in ("price", "close"):
            c.note("'price' or 'close' before 'touches'")
            return None
        high, low = PriceRef(field="high"), PriceRef(field="low")
        if upper:
            return Compare(left=high, op=">=", right=target.expr)
        if lower:
            return Compare(left=low, op="<=", right=target.expr)
        return AllOf(
            items=[
                Compare(left=low, op="<=", right=target.expr),
                Compare(left=high, op=">=", right=target.expr),
            ]
        )

    def _move(self, subject: Subject) -> Condition | None:
        """'price drops 5% in 3 days' = ROC(3) <= -5 (percent change of the close over 3 bars);
        'close rises more than 2 ATR' = close - previous close > 2 * ATR(14);
        'price falls 5% below the 20-day SMA' = close <= SMA(20) * 0.95."""
        c = self.c
        if subject.domain not in ("price", "close"):
            return None
        direction = c.opt("drop", "rise", "move down", "move up")
        if direction is None:
            return None
        direction = {"move down": "drop", "move up": "rise"}.get(direction, direction)
        strict = c.opt("more", "at least", "by") == "more"
        tok = c.number("a size such as '5%' or '2 ATR'")
        if tok is None:
            return None
        if tok.percent:
            return self.percent_move(subject, tok.value, direction, strict)
        atr = parse_series(c)
        if atr is None or atr.domain != "atr":
            c.note("'%' or 'ATR'")
            return None
        bars = self._bars() or 1
        now, before = self.close_ref(), self.close_ref(bars)
        size = Arith(op="mul", left=Const(value=tok.value), right=atr.expr)
        moved = (
            Arith(op="sub", left=before, right=now)
            if direction == "drop"
            else Arith(op="sub", left=now, right=before)
        )
        return Compare(left=moved, op=">" if strict else ">=", right=size)

    def percent_move(self, subject: Subject, pct: float, direction: str, strict: bool) -> Condition | None:
        c = self.c
        mark = c.mark()
        side = c.opt("from", "below", "off") if direction == "drop" else c.opt("from", "above")
        if side is not None:
            base = parse_series(c, subject)
            if base is not None:
                factor = 1 - pct / 100 if direction == "drop" else 1 + pct / 100
                level = Arith(op="mul", left=base.expr, right=Const(value=round(factor, 12)))
                op: Op = ("<" if strict else "<=") if direction == "drop" else (">" if strict else ">=")
                return Compare(left=subject.expr, op=op, right=level)
            c.reset(mark)
        bars = self._bars() or 1
        roc = IndicatorRef(indicator=Indicator(kind="roc", period=bars))
        if direction == "drop":
            return Compare(left=roc, op="<" if strict else "<=", right=Const(value=-pct))
        return Compare(left=roc, op=">" if strict else ">=", right=Const(value=pct))

    def _bars(self) -> int | None:
        """'in 3 days', 'over 5 bars', 'within a day', 'in one session', 'today' -> a bar count."""
        c = self.c
        mark = c.mark()
        if c.opt("today", "in one bar", "in single bar", "in bar", "on bar", "in a bar", "intraday"):
            return 1
        if c.opt("in", "above", "within", "during", "across", "for"):
            c.opt("previous", "next")
            if c.opt("one bar", "single bar", "bar"):
                return 1
            n = c.whole_number("a number of bars")
            if n is not None and c.phrase("bar"):
                return n
        c.reset(mark)
        return None

    def _new_extreme(self, subject: Subject) -> Condition | None:
        """'price makes a new 20-day high' = high > highest high of the previous 20 bars."""
        c = self.c
        c.opt("makes", "touch", "at")
        if not c.opt("new"):
            return None
        n = c.whole_number("a number of bars")
        if n is None or not c.opt("bar"):
            return None
        which = c.phrase("high", "low")
        if which == "high":
            ind = Indicator(kind="highest", period=n, source="high")
            return Compare(left=PriceRef(field="high"), op=">", right=IndicatorRef(indicator=ind))
        if which == "low":
            ind = Indicator(kind="lowest", period=n, source="low")
            return Compare(left=PriceRef(field="low"), op="<", right=IndicatorRef(indicator=ind))
        return None

    def _state(self, subject: Subject) -> Condition | None:
        """'is positive' (> 0), 'turns negative' (crosses below 0), 'is oversold' (RSI < 30, stochastic
        < 20, CCI < -100), 'enters overbought' (crosses above 70 / 80 / 100)."""
        c = self.c
        turning = c.opt("turns", "enters", "move into", "drop into", "rise into") is not None
        c.opt("in", "into")
        word = c.opt("positive", "negative", "oversold", "overbought")
        if word is None:
            return None
        c.opt("territory", "zone", "area", "region", "conditions")
        if word in ("positive", "negative"):
            level = 0.0
        else:
            kind = subject.indicator.kind if subject.indicator is not None else ""
            if kind not in ZONES:
                c.note("RSI, stochastic or CCI before 'oversold'/'overbought'")
                return None
            level = ZONES[kind][0 if word == "oversold" else 1]
        up = word in ("positive", "overbought")
        if turning:
            return Cross(left=subject.expr, direction="above" if up else "below", right=Const(value=level))
        return Compare(left=subject.expr, op=">" if up else "<", right=Const(value=level))
