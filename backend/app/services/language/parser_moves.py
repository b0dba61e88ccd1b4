"""Tails about movement: percent and ATR moves ("drops 5% in 3 days", "is up 5% over 10 days"), new
and current extremes ("makes a new 52-week high", "closes at a 7-day low", "at its lowest level in 6
months"), states ("is positive", "is oversold") and slopes ("is rising", "is falling").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from app.services.language.cursor import NUM, starts
from app.services.language.indicators import Indicator
from app.services.language.series import Subject, ind_subject, parse_series
from app.services.language.spec import (
    Arith,
    Compare,
    Condition,
    Const,
    Cross,
    Expr,
    Extreme,
    IndicatorRef,
    PriceRef,
)

if TYPE_CHECKING:
    from app.services.language.cursor import Cursor

Op = Literal[">", ">=", "<", "<="]
# Oversold / overbought thresholds by indicator.
ZONES: dict[str, tuple[float, float]] = {
    "rsi": (30.0, 70.0),
    "stoch_k": (20.0, 80.0),
    "stoch_d": (20.0, 80.0),
    "cci": (-100.0, 100.0),
    "willr": (-80.0, -20.0),
    "mfi": (20.0, 80.0),
}
_PRICE_LIKE = ("price", "close")
SLOPE_WORDS = (
    "rise", "drop", "sloping up", "slopes up", "slope up", "sloping down", "slopes down", "slope down",
    "trending up", "trending down", "pointing up", "pointing down", "turning up", "turning down",
)  # fmt: skip


class MoveReader:
    c: Cursor

    @staticmethod
    def close_ref(lag: int = 0) -> PriceRef:
        return PriceRef(field="close", lag=lag)

    @starts("closes", "lower", "higher", "down", "up")
    def closes_direction(self, subject: Subject) -> Condition | None:
        """'closes lower' / 'closes higher' / 'is down' (without a size) = the close against the previous
        close ('the market closes lower three days in a row')."""
        c = self.c
        closes = c.opt("closes") is not None
        word = c.opt("lower", "higher", "down", "up") if closes or subject.domain in _PRICE_LIKE else None
        if word is None or subject.domain not in (*_PRICE_LIKE, "high", "low", "open"):
            return None
        if c.at_word("it", "they", "was", "were") or ago_follows(c):
            return None  # 'higher than (it was) 10 days ago': a comparison with the subject's past value
        nxt = c.peek()
        if nxt is not None and (
            nxt.kind == "name" or (nxt.kind == "num" and nxt.percent) or _starts_series(c)
        ):
            return None
        if nxt is not None and nxt.kind == "num" and not _unit_follows(c):
            return None
        field = "close" if subject.domain in _PRICE_LIKE else subject.domain
        up = word in ("higher", "up")
        return Compare(left=PriceRef(field=field), op=">" if up else "<", right=PriceRef(field=field, lag=1))

    @starts("closes", "drop", "rise", "move", "down", "up")
    def move(self, subject: Subject) -> Condition | None:
        """'price drops 5% in 3 days' = ROC(3) <= -5 (percent change of the close over 3 bars);
        'is up 5% over 10 days' = ROC(10) >= 5; 'is down 3% from yesterday' = ROC(1) <= -3;
        'close rises more than 2 ATR' = close - previous close > 2 * ATR(14);
        'price falls 5% below the 20-day SMA' = close <= SMA(20) * 0.95."""
        c = self.c
        if subject.domain not in _PRICE_LIKE:
            return None
        c.opt("closes")
        direction = c.opt("drop", "rise", "move down", "move up", "down", "up")
        if direction is None:
            return None
        direction = {"move down": "drop", "down": "drop", "move up": "rise", "up": "rise"}.get(
            direction, direction
        )
        strict = c.opt("more", "at least", "by") == "more"
        tok = c.number("a size such as '5%' or '2 ATR'", signed=False)
        if tok is None:
            return None
        if tok.percent:
            return self.percent_move(subject, tok.value, direction, strict)
        atr = parse_series(c)
        if atr is None or atr.domain != "atr":
            c.note("'%' or 'ATR'")
            return None
        bars = self.within_bars() or 1
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
        if side == "from" and c.opt("previous close", "previous bar", "previous day", "previous"):
            if c.at_end() or c.at_word("and", "or", ",", "but", "while", "for"):
                return _roc_compare(1, pct, direction, strict)  # "down 3% from yesterday"
            c.reset(mark)
            side = c.opt("from")
        if side is not None:
            base = parse_series(c, subject)
            if base is not None:
                factor = 1 - pct / 100 if direction == "drop" else 1 + pct / 100
                level = Arith(op="mul", left=base.expr, right=Const(value=round(factor, 12)))
                op: Op = ("<" if strict else "<=") if direction == "drop" else (">" if strict else ">=")
                return Compare(left=subject.expr, op=op, right=level)
            c.reset(mark)
        return _roc_compare(self.within_bars() or 1, pct, direction, strict)

    def within_bars(self) -> int | None:
        """'in 3 days', 'over 5 bars', 'within a day', 'in one session', 'today' -> a bar count."""
        c = self.c
        mark = c.mark()
        if c.opt("today", "in bar", "on bar", "intraday"):
            return 1
        if c.opt("in", "above", "over", "within", "during", "across", "for"):
            c.opt("previous", "next")
            if c.opt("bar", "single bar", "day", "session"):
                return 1
            n = c.bars()
            if n is not None:
                return n
        c.reset(mark)
        return None

    @starts("makes", "touch", "at", "closes", "new")
    def new_extreme(self, subject: Subject) -> Condition | None:
        """'makes a new 52-week high' = close > the highest close of the previous 252 bars (the price's
        own extreme: a new closing high); 'high makes a new 20-day high' uses highs; an indicator its own
        values ('RSI makes a new 20-day low')."""
        c = self.c
        c.opt("makes", "touch", "at", "closes at")
        if not c.opt("new"):
            return None
        n = c.bars()
        if n is None:
            return None
        which = c.phrase("high", "low")
        if which is None:
            return None
        c.opt("close", "closing", "price")
        level = _extreme_level(subject, which, n)
        if level is None:
            c.note("a price or an indicator before 'makes a new high'")
            return None
        return Compare(left=subject.expr, op=">" if which == "high" else "<", right=level)

    @starts(
        "closes",
        "makes",
        "touch",
        "sets",
        "at",
        "on",
        "its",
        "their",
        "highest",
        "lowest",
        "high",
        "low",
        NUM,
    )
    def at_extreme(self, subject: Subject) -> Condition | None:
        """'closes at a 7-day low', 'is a 20-day high', 'is at its lowest level in 6 months', 'is the
        lowest close in 10 days' = the value is the extreme of the last N bars, this one included."""
        c = self.c
        closes = c.opt("closes", "makes", "touch", "sets") == "closes"
        c.opt("at", "on")
        c.opt("its", "their")
        word = c.opt("highest", "lowest", "high", "low")
        n: int | None
        if word is None:
            n = c.bars()
            if n is None:
                return None
            word = c.phrase("high", "low")
            if word is None:
                return None
        else:
            c.opt("close", "closes", "closing", "price", "reading", subject.domain)
            n = c.bars() or _lookback_bars(c)
            if n is None:
                c.note("a number of bars, e.g. 'in 10 days'")
                return None
        which: Literal["high", "low"] = "high" if word in ("high", "highest") else "low"
        expr: Expr = self.close_ref() if closes and subject.domain in _PRICE_LIKE else subject.expr
        return Extreme(expr=expr, which=which, bars=n)

    @starts(
        "turns",
        "enters",
        "move",
        "drop",
        "rise",
        "in",
        "into",
        "positive",
        "negative",
        "oversold",
        "overbought",
    )
    def state(self, subject: Subject) -> Condition | None:
        """'is positive' (> 0), 'turns negative' (crosses below 0), 'is oversold' (RSI < 30, stochastic
        < 20, CCI < -100, Williams %R < -80, MFI < 20), 'enters overbought' (crosses above 70 / 80...)."""
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
                c.note("RSI, stochastic, CCI, Williams %R or MFI before 'oversold'/'overbought'")
                return None
            level = ZONES[kind][0 if word == "oversold" else 1]
        up = word in ("positive", "overbought")
        if turning:
            return Cross(left=subject.expr, direction="above" if up else "below", right=Const(value=level))
        return Compare(left=subject.expr, op=">" if up else "<", right=Const(value=level))

    @starts(SLOPE_WORDS)
    def slope(self, subject: Subject) -> Condition | None:
        """'SMA(50) is rising' = SMA(50) > SMA(50) one bar ago; 'falling', 'declining' the reverse."""
        c = self.c
        word = c.opt(*SLOPE_WORDS)
        if word is None or subject.domain == "const":
            return None
        up = word == "rise" or word.endswith("up")
        previous = _lag_expr(subject.expr, 1)
        if previous is None:
            return None
        return Compare(left=subject.expr, op=">" if up else "<", right=previous)


def _roc_compare(bars: int, pct: float, direction: str, strict: bool) -> Condition:
    roc = IndicatorRef(indicator=Indicator(kind="roc", period=bars))
    if direction == "drop":
        return Compare(left=roc, op="<" if strict else "<=", right=Const(value=-pct))
    return Compare(left=roc, op=">" if strict else ">=", right=Const(value=pct))


def _starts_series(c: Cursor) -> bool:
    mark = c.mark()
    found = parse_series(c)
    c.reset(mark)
    return found is not None


def ago_follows(c: Cursor) -> bool:
    """The next tokens are 'N days ago' (a number, a time unit, 'ago')."""
    tok = c.peek()
    if tok is None or tok.kind != "num" or tok.percent:
        return False
    mark = c.mark()
    c.i += 1
    found = c.unit() is not None and c.opt("ago") is not None
    c.reset(mark)
    return found


def _unit_follows(c: Cursor) -> bool:
    mark = c.mark()
    c.i += 1
    c.opt("consecutive", "straight")
    found = c.unit() is not None
    c.reset(mark)
    return found


def _lookback_bars(c: Cursor) -> int | None:
    mark = c.mark()
    c.opt("in", "over", "of", "for", "within", "during")
    c.opt("previous")
    n = c.bars()
    if n is None:
        c.reset(mark)
    return n


def _extreme_level(subject: Subject, which: str, n: int) -> Expr | None:
    kind = "highest" if which == "high" else "lowest"
    expr = subject.expr
    if isinstance(expr, PriceRef) and expr.lag == 0:
        field = "close" if subject.domain in _PRICE_LIKE else expr.field
        return ind_subject(Indicator(kind=kind, period=n, source=field)).expr
    if isinstance(expr, IndicatorRef) and expr.lag == 0:
        return ind_subject(Indicator(kind=kind, period=n, of=expr.indicator)).expr
    if expr.type == "custom" and expr.lag == 0:
        return ind_subject(Indicator(kind=kind, period=n, of=expr.name)).expr
    return None


def _lag_expr(expr: Expr, lag: int) -> Expr | None:
    if isinstance(expr, PriceRef | IndicatorRef) or expr.type == "custom":
        return expr.model_copy(update={"lag": expr.lag + lag})
    if isinstance(expr, Arith):
        left, right = _lag_expr(expr.left, lag), _lag_expr(expr.right, lag)
        return None if left is None or right is None else Arith(op=expr.op, left=left, right=right)
    if isinstance(expr, Const):
        return expr
    return None
