"""Reading one series out of a rule: a price, an indicator, a constant.

"20-day SMA", "SMA(20)", "the 50 EMA", "RSI(14)", "stochastic %K", "MACD signal", "upper Bollinger band
(20, 2)", "the 20-day high", "highest high of the last 20 days", "its 20-day average" (of the subject),
"previous close", "3-day change".
"""

from __future__ import annotations

from dataclasses import dataclass

from app.services.language.cursor import Cursor
from app.services.language.indicators import DEFAULT_PERIOD, Indicator, IndicatorKind, PriceField
from app.services.language.spec import Const, Expr, IndicatorRef, PriceRef

PERIOD = "a period such as '20-day' or '(20)'"

# (phrase, kind): longest phrases first.
MA_PHRASES: list[tuple[str, IndicatorKind]] = [
    ("simple moving average", "sma"),
    ("exponential moving average", "ema"),
    ("weighted moving average", "wma"),
    ("exponential average", "ema"),
    ("moving average", "sma"),
    ("sma", "sma"),
    ("ema", "ema"),
    ("wma", "wma"),
    ("ma", "sma"),
    ("average", "sma"),
]
SIMPLE: dict[str, IndicatorKind] = {"rsi": "rsi", "atr": "atr", "adx": "adx", "cci": "cci", "roc": "roc"}
# Words that may follow a leading period ("20-day ...").
AFTER_PERIOD = frozenset(
    [
        *("sma", "ema", "wma", "ma", "moving", "simple", "exponential", "weighted", "average", "rsi"),
        *("atr", "adx", "cci", "roc", "high", "low", "highest", "lowest", "volume", "bollinger"),
        *("upper", "lower", "middle", "change", "channel", "stochastic"),
    ]
)


@dataclass(frozen=True)
class Subject:
    """A parsed series plus what it is about, so later words can refer to it ("its average", "signal")."""

    expr: Expr
    domain: (
        str  # "price" (the word price), "close", "open", "high", "low", "volume", an indicator kind, "const"
    )
    indicator: Indicator | None = None


def _ind(kind: IndicatorKind, period: int, **extra: object) -> Subject:
    indicator = Indicator(kind=kind, period=period, **extra)
    return Subject(IndicatorRef(indicator=indicator), kind, indicator)


def period_args(c: Cursor) -> list[float] | None:
    """'(20)', '(12, 26, 9)', '(20, 2)' or a bare whole number ('SMA 20')."""
    mark = c.mark()
    if c.opt("("):
        values: list[float] = []
        while True:
            tok = c.number(PERIOD, percent=False)
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
    if (
        tok is not None
        and tok.kind == "num"
        and not tok.percent
        and tok.value.is_integer()
        and tok.value >= 0
    ):
        nxt = c.peek(1)
        # "RSI 14 below 30" yes; "RSI 30%" or "RSI 2 ATR" no.
        if nxt is None or nxt.kind != "word" or nxt.text not in ("atr", "times", "bar"):
            c.i += 1
            return [tok.value]
    return None


def _whole(values: list[float] | None, index: int) -> int | None:
    if values is None or index >= len(values):
        return None
    value = values[index]
    return int(value) if float(value).is_integer() else None


def _lookback(c: Cursor) -> int | None:
    """'of the last 20 days', 'over the past 20 bars', 'in 20 days' after 'highest high' or 'change'."""
    mark = c.mark()
    c.opt("in", "above", "within", "during", "for")
    c.opt("previous")
    n = c.whole_number("a number of bars")
    if n is not None and c.phrase("bar"):
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
    # "close 3 bars ago"
    mark = c.mark()
    n = c.whole_number("a number")
    if n is not None and c.opt("bar") and c.opt("ago"):
        return _lagged(found, n)
    c.reset(mark)
    return found


def _lagged(subject: Subject, lag: int) -> Subject:
    expr = subject.expr
    if isinstance(expr, PriceRef | IndicatorRef):
        return Subject(expr.model_copy(update={"lag": expr.lag + lag}), subject.domain, subject.indicator)
    return subject


def _series(c: Cursor, ctx: Subject | None, allow_const: bool) -> Subject | None:
    if c.opt("previous"):
        c.opt("bar")
        inner = _series(c, ctx, False)
        return _lagged(inner, 1) if inner is not None else None
    c.opt("its", "their")
    c.opt("fast", "slow", "short", "long", "current")
    period: int | None = None
    mark = c.mark()
    if (tok := c.peek()) is not None and tok.kind == "num" and not tok.percent:
        nxt = c.peek(1)
        if nxt is not None and nxt.kind == "word" and (nxt.text == "bar" or nxt.text in AFTER_PERIOD):
            c.i += 1
            c.opt("bar")
            period = int(tok.value) if tok.value.is_integer() else None
            if period is None:
                c.reset(mark)
                c.note("a whole number of bars")
                return None
    found = _keyword_series(c, ctx, period)
    if found is not None:
        return found
    c.reset(mark)
    if allow_const:
        if c.opt("zero"):
            return Subject(Const(value=0.0), "const")
        tok = c.number("a number")
        if tok is not None:
            return Subject(Const(value=tok.value), "const")
    c.note("a price or an indicator (e.g. 'close', 'SMA(20)', 'RSI(14)')")
    return None


def _keyword_series(c: Cursor, ctx: Subject | None, period: int | None) -> Subject | None:
    for reader in (_price, _moving_average, _simple, _stochastic, _macd, _bollinger, _change):
        mark = c.mark()
        found = reader(c, ctx, period)
        if found is not None:
            return found
        c.reset(mark)
    return None


def _price(c: Cursor, ctx: Subject | None, period: int | None) -> Subject | None:
    if c.opt("highest", "high"):
        c.opt("high", "price")
        n = period if period is not None else _lookback(c)
        if n is None:
            return Subject(PriceRef(field="high"), "high")
        return _ind("highest", n, source="high")
    if c.opt("lowest", "low"):
        c.opt("low", "price")
        n = period if period is not None else _lookback(c)
        if n is None:
            return Subject(PriceRef(field="low"), "low")
        return _ind("lowest", n, source="low")
    if period is not None and c.opt("channel"):
        which = c.phrase("high", "low", "upper", "lower")
        if which is None:
            return None
        return (
            _ind("highest", period, source="high") if which in ("high", "upper") else _ind("lowest", period)
        )
    if period is not None:
        if c.opt("average volume", "volume average", "volume"):
            return _ind("volume_sma", period, source="volume")
        return None
    if c.opt("volume"):
        if c.opt("average", "moving average", "sma", "ma"):
            n = _whole(period_args(c), 0) or DEFAULT_PERIOD["volume_sma"]
            return _ind("volume_sma", n, source="volume")
        return Subject(PriceRef(field="volume"), "volume")
    if c.opt("average volume"):
        n = _whole(period_args(c), 0) or DEFAULT_PERIOD["volume_sma"]
        return _ind("volume_sma", n, source="volume")
    word = c.opt("closes price", "close", "closes", "price", "open", "opening price")
    if word is None:
        return None
    c.opt("price")
    field: PriceField = "open" if word.startswith("open") else "close"
    return Subject(PriceRef(field=field), "price" if word == "price" else field)


def _moving_average(c: Cursor, ctx: Subject | None, period: int | None) -> Subject | None:
    kind: IndicatorKind | None = None
    for phrase, ma_kind in MA_PHRASES:
        if c.opt(phrase):
            kind = ma_kind
            break
    if kind is None:
        return None
    if period is None:
        period = _whole(period_args(c), 0)
    if period is None:
        period = _lookback(c)
    volume_ctx = ctx is not None and ctx.domain == "volume"
    if period is None:
        if volume_ctx:
            period = DEFAULT_PERIOD["volume_sma"]
        else:
            c.note(PERIOD)
            return None
    if volume_ctx:
        return (
            _ind("volume_sma", period, source="volume")
            if kind == "sma"
            else _ind(kind, period, source="volume")
        )
    if c.opt("volume"):  # "20-day average volume" read as average + volume
        return _ind("volume_sma", period, source="volume")
    return _ind(kind, period)


def _simple(c: Cursor, ctx: Subject | None, period: int | None) -> Subject | None:
    word = c.opt(*SIMPLE)
    if word is None:
        return None
    kind = SIMPLE[word]
    if period is None:
        period = _whole(period_args(c), 0)
    return _ind(kind, period if period is not None else DEFAULT_PERIOD[kind])


def _stochastic(c: Cursor, ctx: Subject | None, period: int | None) -> Subject | None:
    if c.opt("stochastic"):
        c.opt("oscillator")
        line = c.opt("%k", "k", "%d", "d")
    else:
        line = c.opt("%k", "%d")
        if line is None and c.opt("signal") and ctx is not None and ctx.domain.startswith("stoch"):
            line = "%d"
        if line is None:
            return None
    args = period_args(c)
    line = line or c.opt("%k", "k", "%d", "d")  # "stochastic(5, 3) %K"
    base = (
        ctx.indicator
        if ctx is not None and ctx.indicator is not None and ctx.domain.startswith("stoch")
        else None
    )
    k = period or _whole(args, 0) or (base.period if base else 14)
    d = _whole(args, 1) or (base.signal if base and base.signal else 3)
    kind: IndicatorKind = "stoch_d" if line in ("%d", "d") else "stoch_k"
    return _ind(kind, k, signal=d)


def _macd(c: Cursor, ctx: Subject | None, period: int | None) -> Subject | None:
    base = (
        ctx.indicator
        if ctx is not None and ctx.indicator is not None and ctx.domain.startswith("macd")
        else None
    )
    kind: IndicatorKind
    if c.opt("macd"):
        args = period_args(c)
        part = c.opt("signal", "histogram")
        kind = {"signal": "macd_signal", "histogram": "macd_hist"}.get(part or "", "macd")  # type: ignore[assignment]
        if args is None and part is not None:
            args = period_args(c)
        fast, slow, signal = (_whole(args, 0) or 12), (_whole(args, 1) or 26), (_whole(args, 2) or 9)
        return _ind(kind, fast, slow=slow, signal=signal)
    part = c.opt("signal", "histogram")
    if part is None:
        return None
    kind = "macd_signal" if part == "signal" else "macd_hist"
    if base is not None:
        return _ind(kind, base.period, slow=base.slow, signal=base.signal)
    return _ind(kind, 12, slow=26, signal=9)


def _bollinger(c: Cursor, ctx: Subject | None, period: int | None) -> Subject | None:
    position: str | None = None
    saw_band = False
    for _ in range(3):
        word = c.opt("upper", "lower", "middle", "top", "bottom", "bollinger", "band")
        if word is None:
            break
        if word in ("bollinger", "band"):
            saw_band = True
        else:
            position = {"top": "upper", "bottom": "lower"}.get(word, word)
    if not saw_band:
        return None
    if position is None:
        c.note("'upper'/'lower'/'middle'")
        return None
    args = period_args(c)
    n = period or _whole(args, 0) or 20
    std = args[1] if args is not None and len(args) > 1 else 2.0
    kind: IndicatorKind = f"bb_{position}"  # type: ignore[assignment]
    return _ind(kind, n, std=float(std))


def _change(c: Cursor, ctx: Subject | None, period: int | None) -> Subject | None:
    """'3-day change', 'price change over 5 days', '10-bar return' -> ROC(n) in percent."""
    c.opt("price", "close")
    c.opt("percent", "percentage", "%")
    if not c.opt("change", "move"):
        return None
    n = period if period is not None else _lookback(c)
    if n is None:
        c.note("a number of bars, e.g. 'over 5 days'")
        return None
    return _ind("roc", n)
