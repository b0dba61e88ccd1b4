"""Reading one series out of a rule: a price, an indicator, a custom indicator, a constant.

"20-day SMA", "SMA(20)", "SMA50", "the 50 EMA", "RSI(14)", "stochastic %K", "MACD signal", "upper Bollinger
band (20, 2)", "the 20-day high", "52-week high", "highest close of the prior 10 days", "its 20-day average"
(of the subject: RSI, ATR, volume, the MACD histogram...), "yesterday's high", "the low of 2 days ago",
"today's range", "spread" (a custom indicator). Indicators themselves are read in `series_named.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.services.language import catalog
from app.services.language.catalog import Unit
from app.services.language.cursor import Cursor
from app.services.language.indicators import Indicator, IndicatorKind, PriceField
from app.services.language.spec import Arith, Const, CustomRef, Expr, IndicatorRef, PriceRef

PERIOD = "a period such as '20-day' or '(20)'"
# Words a subject may be called by that mean the price (the close).
PRICE_WORDS = (
    "closing price",
    "close price",
    "closes",
    "close",
    "price",
    "stock",
    "market",
    "index",
    "shares",
)


@dataclass(frozen=True)
class Subject:
    """A parsed series plus what it is about, so later words can refer to it ("its average", "signal").

    ``domain`` is "price" (the word price), "close", "open", "high", "low", "volume", an indicator kind,
    "custom", "range", "ratio" or "const"; ``unit`` says how a percent compared with it is read;
    ``pair`` holds a channel's (upper, lower) lines when the rule named the channel without a side."""

    expr: Expr
    domain: str
    indicator: Indicator | None = None
    unit: Unit = "price"
    pair: tuple[Subject, Subject] | None = None


def ind_subject(indicator: Indicator) -> Subject:
    out = catalog.output(indicator.kind)
    unit: Unit = out.unit
    if isinstance(indicator.of, Indicator) and indicator.kind in (
        "sma",
        "ema",
        "wma",
        "tema",
        "sum",
        "highest",
        "lowest",
    ):
        unit = catalog.output(indicator.of.kind).unit
    elif indicator.source == "volume" and indicator.kind != "roc":
        unit = "volume"
    return Subject(IndicatorRef(indicator=indicator), indicator.kind, indicator, unit)


def make(kind: IndicatorKind, period: int, **extra: object) -> Subject:
    return ind_subject(Indicator(kind=kind, period=period, **extra))


def period_args(c: Cursor) -> list[float] | None:
    """'(20)', '(12, 26, 9)', '(20, 2)' or a bare whole number ('SMA 20', 'SMA50')."""
    mark = c.mark()
    if c.opt("("):
        values: list[float] = []
        while True:
            tok = c.number(PERIOD, percent=False, signed=False)
            if tok is None:
                c.reset(mark)
                return None
            values.append(tok.value)
            if c.opt(")"):
                return values
            if not c.opt(","):
                c.note("')'")
                c.reset(mark)
                return None
    tok = c.peek()
    if tok is not None and tok.kind == "num" and not tok.percent and tok.value.is_integer():
        nxt = c.peek(1)
        # "RSI 14 below 30" yes; "RSI 30%", "RSI 2 ATR" or "EMA 21 days ago"... no.
        if (
            nxt is None
            or nxt.kind != "word"
            or nxt.text not in ("atr", "times", "bar", "day", "week", "month")
        ):
            c.i += 1
            return [tok.value]
    return None


def lookback(c: Cursor) -> int | None:
    """'of the last 20 days', 'over the past 20 bars', 'in 20 days', 'of 6 months' (a bar count)."""
    mark = c.mark()
    c.opt("in", "above", "over", "within", "during", "for", "from")
    c.opt("previous", "next")
    n = c.bars()
    if n is not None and not c.at_word("ago"):
        return n
    c.reset(mark)
    return None


def parse_series(c: Cursor, ctx: Subject | None = None, allow_const: bool = False) -> Subject | None:
    """Parse one series at the cursor (see module doc); None (cursor unchanged) if there is none."""
    mark = c.mark()
    found = _series(c, ctx, allow_const)
    if found is None:
        c.reset(mark)
        return None
    # "close 3 bars ago", "the low of 2 days ago"
    mark = c.mark()
    lag = c.bars("a number")
    if lag is not None and c.opt("ago"):
        return lagged(found, lag)
    c.reset(mark)
    return found


def lagged(subject: Subject, lag: int) -> Subject:
    expr = subject.expr
    if isinstance(expr, PriceRef | IndicatorRef | CustomRef):
        return Subject(
            expr.model_copy(update={"lag": expr.lag + lag}), subject.domain, subject.indicator, subject.unit
        )
    if isinstance(expr, Arith):
        return Subject(_lag_expr(expr, lag), subject.domain, subject.indicator, subject.unit)
    return subject


def _lag_expr(expr: Expr, lag: int) -> Expr:
    if isinstance(expr, PriceRef | IndicatorRef | CustomRef):
        return expr.model_copy(update={"lag": expr.lag + lag})
    if isinstance(expr, Arith):
        return Arith(op=expr.op, left=_lag_expr(expr.left, lag), right=_lag_expr(expr.right, lag))
    return expr


def _series(c: Cursor, ctx: Subject | None, allow_const: bool) -> Subject | None:
    from app.services.language.series_named import named_series

    if c.opt("previous", "yesterday"):
        c.unit()
        inner = _series(c, ctx, False)
        return lagged(inner, 1) if inner is not None else None
    c.opt("today", "todays", "current", "this bar", "bar")
    own = c.opt("its", "their") is not None
    c.opt("short", "long")
    if c.at_word("fast", "slow") and not c.at_word("stochastic", ahead=1):
        c.i += 1  # "the fast EMA(12)": a name, not a parameter
    tok = c.peek()
    if tok is not None and tok.kind == "name":
        c.i += 1
        return Subject(CustomRef(name=tok.text), "custom", unit="price")
    mark = c.mark()
    period = _period_prefix(c)
    if period is not None or c.i == mark:
        found = _price(c, ctx, period, own) or named_series(c, ctx, period, own)
        if found is not None:
            return found
    c.reset(mark)
    if allow_const:
        if c.opt("zero"):
            return Subject(Const(value=0.0), "const")
        num = c.number("a number")
        if num is not None:
            return Subject(Const(value=num.value), "const", unit="percent" if num.percent else "price")
    c.note("a price or an indicator (e.g. 'close', 'SMA(20)', 'RSI(14)')")
    return None


def _period_prefix(c: Cursor) -> int | None:
    """'20-day', '52-week', '2-period', '20' (before an indicator word) -> bars; None if absent."""
    tok = c.peek()
    if tok is None or tok.kind != "num" or tok.percent:
        return None
    mark = c.mark()
    c.i += 1
    unit = c.unit()
    nxt = c.peek()
    if unit is None and (nxt is None or nxt.kind != "word" or nxt.text not in _after_period_words()):
        c.reset(mark)
        return None
    if not tok.value.is_integer():
        c.reset(mark)
        c.note("a whole number of bars")
        return None
    bars = c.span(tok.value, unit or "bar", mark)
    if bars is None:
        c.reset(mark)
    return bars


def _after_period_words() -> frozenset[str]:
    from app.services.language.series_named import AFTER_PERIOD

    return AFTER_PERIOD


def _price(c: Cursor, ctx: Subject | None, period: int | None, own: bool) -> Subject | None:
    """Price fields, N-day highs and lows, the bar's range, volume and its average."""
    if c.opt("highest", "lowest", "high", "low") is not None:
        c.i -= 1
        return _high_low(c, ctx, period, own)
    if period is not None:
        if c.opt("average volume", "volume average", "volume"):
            return make("volume_sma", period, source="volume")
        return None
    if c.opt("range", "true range"):
        return Subject(Arith(op="sub", left=PriceRef(field="high"), right=PriceRef(field="low")), "range")
    if c.opt("ibs", "internal bar strength"):
        high, low, close = PriceRef(field="high"), PriceRef(field="low"), PriceRef(field="close")
        ratio = Arith(
            op="div", left=Arith(op="sub", left=close, right=low), right=Arith(op="sub", left=high, right=low)
        )
        return Subject(ratio, "ratio", unit="fraction")
    if c.opt("volume"):
        if c.opt("average", "moving average", "sma", "ma"):
            args = period_args(c)
            n = int(args[0]) if args else lookback(c) or 20
            return make("volume_sma", n, source="volume")
        return Subject(PriceRef(field="volume"), "volume", unit="volume")
    if c.opt("average volume"):
        args = period_args(c)
        n = int(args[0]) if args else lookback(c) or 20
        return make("volume_sma", n, source="volume")
    if c.opt("open", "opens", "opening price", "opening"):
        c.opt("price")
        return Subject(PriceRef(field="open"), "open")
    word = c.opt(*PRICE_WORDS)
    if word is None:
        return None
    c.opt("price")
    return Subject(
        PriceRef(field="close"), "price" if word not in ("close", "closes", "closing price") else "close"
    )


def _high_low(c: Cursor, ctx: Subject | None, period: int | None, own: bool) -> Subject | None:
    """'high', 'the 20-day high', 'highest high of the last 55 days', 'highest close of the prior 10
    days', '52-week low', 'its 52-week high' -> a price field or Highest/Lowest over the previous N bars."""
    word = c.opt("highest", "lowest", "high", "low")
    assert word is not None
    upper = word in ("highest", "high")
    field: PriceField = "high" if upper else "low"
    named = c.opt("high", "low", "close", "closes", "price", "volume")
    if named in ("close", "closes"):
        field = "close"
    elif named == "volume":
        field = "volume"
    n = period if period is not None else lookback(c)
    if n is None:
        if word in ("highest", "lowest") or named is not None:
            c.note("a number of bars, e.g. 'of the last 20 days'")
            return None
        return Subject(PriceRef(field=field), field)
    kind: IndicatorKind = "highest" if upper else "lowest"
    return make(kind, n, source=field)
