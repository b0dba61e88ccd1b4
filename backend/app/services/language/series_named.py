"""Reading a named indicator: moving averages (of the price or of the rule's subject), the catalog's
single-line indicators (RSI, ATR, CCI, ROC, MFI, Williams %R, OBV, VWAP...), ADX/+DI/-DI, the stochastic,
MACD, and the Bollinger / Keltner / Donchian bands.

Parameters are checked against the catalog: more numbers than the indicator takes is refused, naming
its parameters ("RSI takes (length): got 2 numbers"), never silently dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from app.services.language import catalog
from app.services.language.catalog import Family
from app.services.language.cursor import Cursor
from app.services.language.indicators import Indicator, IndicatorKind
from app.services.language.lexer import fold
from app.services.language.series import Subject, ind_subject, lookback, make, period_args

# (phrase, kind): longest phrases first.
MA_PHRASES: list[tuple[str, IndicatorKind]] = [
    ("triple exponential moving average", "tema"),
    ("simple moving average", "sma"),
    ("exponential moving average", "ema"),
    ("weighted moving average", "wma"),
    ("exponential average", "ema"),
    ("moving average", "sma"),
    ("sma", "sma"),
    ("ema", "ema"),
    ("wma", "wma"),
    ("tema", "tema"),
    ("ma", "sma"),
    ("average", "sma"),
]
_MA_WORDS = tuple(phrase for phrase, _ in MA_PHRASES)
_MA_KINDS: dict[str, IndicatorKind] = dict(MA_PHRASES)
POSITIONS = {
    "upper": "upper", "top": "upper", "high": "upper", "middle": "middle", "mid": "middle",
    "midline": "middle", "centre": "middle", "center": "middle", "basis": "middle", "lower": "lower",
    "bottom": "lower", "low": "lower",
}  # fmt: skip
# Series whose values are price levels: "SMA(200)" after "EMA(50) >" is the close's, not EMA(50)'s.
PRICE_LEVELS = frozenset(
    ["sma", "ema", "wma", "tema", "bb_upper", "bb_middle", "bb_lower", "kc_upper", "kc_middle", "kc_lower",
     "dc_middle", "highest", "lowest", "vwap", "price", "close", "open", "high", "low", "const"]
)  # fmt: skip


@lru_cache(maxsize=1)
def _generic_names() -> dict[str, Family]:
    """Names of the catalog's generically read families, longest first (the order `opt` tries them)."""
    found = [(fold(name), f) for f in catalog.families() if f.reader == "generic" for name in f.names]
    return dict(sorted(found, key=lambda item: -len(item[0].split())))


AFTER_PERIOD = frozenset(
    [
        *(
            "sma",
            "ema",
            "wma",
            "tema",
            "ma",
            "moving",
            "simple",
            "exponential",
            "weighted",
            "average",
            "triple",
        ),
        *(
            "rsi",
            "atr",
            "adx",
            "cci",
            "roc",
            "mfi",
            "vwap",
            "williams",
            "rate",
            "momentum",
            "obv",
            "cumulative",
        ),
        *("high", "low", "highest", "lowest", "volume", "bollinger", "keltner", "donchian", "upper", "lower"),
        *(
            "middle",
            "change",
            "channel",
            "stochastic",
            "slow",
            "fast",
            "sum",
            "relative",
            "average",
            "commodity",
        ),
        *("money", "true", "percent", "return", "performance"),
    ]
)


def named_series(c: Cursor, ctx: Subject | None, period: int | None, own: bool) -> Subject | None:
    for reader in (_moving_average, _sum, _bands, _generic, _dmi, _stochastic, _macd, _change):
        mark = c.mark()
        found = reader(c, ctx, period, own)
        if found is not None:
            return found
        c.reset(mark)
    return None


def _args(c: Cursor, family: Family, name: str, period: int | None) -> list[float] | None:
    """The parenthesised (or bare) parameters, checked against the family's; None + a refusal if they
    do not fit. A leading period ("20-day") is the first parameter."""
    if period is not None:
        return [float(period)]
    start = c.mark()
    args = period_args(c) or []
    if len(args) > len(family.params):
        c.fail(f"{name} takes {family.param_text()}: got {len(args)} numbers ({_nums(args)})", start)
        return None
    for value, param in zip(args, family.params, strict=False):
        if param.whole and not float(value).is_integer():
            c.fail(f"{name}'s {param.label} must be a whole number of bars (got {_nums([value])})", start)
            return None
    return args


def _nums(values: list[float]) -> str:
    return ", ".join(str(int(v)) if float(v).is_integer() else str(v) for v in values)


def _fill(family: Family, args: list[float], given: Mapping[str, float] | None = None) -> dict[str, Any]:
    """The family's parameters by field: defaults, then ``given``, then the numbers written."""
    values: dict[str, float] = {p.field: p.default for p in family.params}
    values.update(given or {})
    for value, param in zip(args, family.params, strict=False):
        values[param.field] = value
    return {k: (int(v) if family_param(family, k).whole else float(v)) for k, v in values.items()}


def family_param(family: Family, field: str) -> catalog.Param:
    return next(p for p in family.params if p.field == field)


def _moving_average(c: Cursor, ctx: Subject | None, period: int | None, own: bool) -> Subject | None:
    phrase = c.opt(*_MA_WORDS)
    if phrase is None:
        return None
    kind = _MA_KINDS[phrase]
    family = catalog.family_of(kind)
    args = _args(c, family, family.title, period)
    if args is None:
        return None
    n = int(args[0]) if args else lookback(c)
    explicit = c.opt("close", "price", "volume", "high", "low", "open")
    if explicit == "volume" or (c.opt("volume") and explicit is None):
        return (
            make("volume_sma", n or 20, source="volume")
            if kind == "sma"
            else _need(c, n, kind, source="volume")
        )
    if explicit is None and ctx is not None and (own or ctx.domain not in PRICE_LEVELS):
        return _average_of(c, ctx, kind, n)
    if explicit in ("high", "low", "open"):
        return _need(c, n, kind, source=explicit)
    return _need(c, n, kind)


def _need(c: Cursor, n: int | None, kind: IndicatorKind, **extra: object) -> Subject | None:
    if n is None:
        c.note("a period such as '20-day' or '(20)'")
        return None
    return make(kind, n, **extra)


def _average_of(c: Cursor, ctx: Subject, kind: IndicatorKind, n: int | None) -> Subject | None:
    """'its 9-day average' said of RSI, ATR, volume, the MACD histogram...: the average of that series."""
    if ctx.domain == "volume":
        return (
            make("volume_sma", n or 20, source="volume")
            if kind == "sma"
            else _need(c, n, kind, source="volume")
        )
    if n is None:
        c.note("a period such as '20-day' or '(20)'")
        return None
    if ctx.indicator is not None and ctx.expr.type == "indicator" and ctx.expr.lag == 0:
        return make(kind, n, of=ctx.indicator)
    if ctx.domain == "custom" and ctx.expr.type == "custom" and ctx.expr.lag == 0:
        return make(kind, n, of=ctx.expr.name)
    if ctx.domain in ("high", "low", "open") and ctx.expr.type == "price":
        return make(kind, n, source=ctx.domain)
    if ctx.domain in ("price", "close"):
        return make(kind, n)
    c.fail("an average of this expression needs a custom indicator: define it, then average it by name")
    return None


def _sum(c: Cursor, ctx: Subject | None, period: int | None, own: bool) -> Subject | None:
    """'cumulative RSI(2) of the last two days', 'sum of RSI(2) over 2 days' -> Sum(2) of RSI(2)."""
    from app.services.language.series import parse_series

    if not c.opt("cumulative", "sum"):
        return None
    inner = parse_series(c)
    if inner is None or inner.indicator is None or inner.expr.type != "indicator":
        c.note("an indicator to add up, e.g. 'RSI(2)'")
        return None
    n = period if period is not None else lookback(c)
    if n is None:
        c.note("a number of bars, e.g. 'of the last 2 days'")
        return None
    return make("sum", n, of=inner.indicator)


def _generic(c: Cursor, ctx: Subject | None, period: int | None, own: bool) -> Subject | None:
    table = _generic_names()
    found = c.opt(*table)
    if found is None:
        return None
    family, name = table[found], found
    args = _args(c, family, family.title, period)
    if args is None:
        return None
    if not args and family.needs_period:
        n = lookback(c)
        if n is None:
            c.fail(f"{family.title} needs a window on these bars, e.g. 'the 20-day {name.upper()}'")
            return None
        args = [float(n)]
    kind: IndicatorKind = family.outputs[0].kind  # type: ignore[assignment]
    if not family.params:
        return ind_subject(Indicator(kind=kind, period=0))
    values = _fill(family, args)
    return ind_subject(Indicator(kind=kind, **values))


def _dmi(c: Cursor, ctx: Subject | None, period: int | None, own: bool) -> Subject | None:
    family = catalog.family_of("adx")
    for out in family.outputs:
        if c.opt(*out.words):
            args = _args(c, family, out.label, period)
            if args is None:
                return None
            n = int(args[0]) if args else 14
            return make(out.kind, n)  # type: ignore[arg-type]
    return None


def _stochastic(c: Cursor, ctx: Subject | None, period: int | None, own: bool) -> Subject | None:
    """'stochastic(14,3,3) %K' (length, %K smoothing, %D smoothing); '%D' after a stochastic reuses it."""
    family = catalog.family_of("stoch_k")
    base = (
        ctx.indicator
        if ctx is not None and ctx.indicator is not None and ctx.domain.startswith("stoch")
        else None
    )
    base = base or c.recent.get("stoch")
    named = c.opt(*family.names)
    if named is not None:
        c.opt("oscillator")
        line = c.opt("%k", "k", "%d", "d")
    else:
        line = c.opt("%k", "%d")
        if line is None and c.opt("signal") and base is not None:
            line = "%d"
        if line is None:
            return None
    args = _args(c, family, "the stochastic", period)
    if args is None:
        return None
    line = line or c.opt("%k", "k", "%d", "d")  # "stochastic(14, 3, 3) %K"
    if named is None and not args and base is not None:
        given: dict[str, float] = {
            "period": base.period,
            "smooth": base.smooth or 1,
            "signal": base.signal or 3,
        }
    else:
        given = {"smooth": family.extra_defaults.get(named or "", 1)}
    values = _fill(family, args, given)
    kind: IndicatorKind = "stoch_d" if line in ("%d", "d") else "stoch_k"
    found = make(kind, values["period"], smooth=values["smooth"], signal=values["signal"])
    c.recent["stoch"] = found.indicator
    return found


def _macd(c: Cursor, ctx: Subject | None, period: int | None, own: bool) -> Subject | None:
    family = catalog.family_of("macd")
    base = (
        ctx.indicator
        if ctx is not None and ctx.indicator is not None and ctx.domain.startswith("macd")
        else None
    )
    base = base or c.recent.get("macd")
    kind: IndicatorKind
    if c.opt("macd"):
        args = _args(c, family, "MACD", period)
        if args is None:
            return None
        part = c.opt("signal", "histogram")
        if not args and part is not None:
            args = _args(c, family, "MACD", None)
            if args is None:
                return None
        kind = {"signal": "macd_signal", "histogram": "macd_hist"}.get(part or "", "macd")  # type: ignore[assignment]
        values = _fill(family, args)
        found = make(kind, values["period"], slow=values["slow"], signal=values["signal"])
        c.recent["macd"] = found.indicator
        return found
    part = c.opt("signal", "histogram")
    if part is None:
        return None
    kind = "macd_signal" if part == "signal" else "macd_hist"
    if base is not None:
        return make(kind, base.period, slow=base.slow, signal=base.signal)
    return make(kind, 12, slow=26, signal=9)


_BAND_FAMILIES = {
    "bollinger": "bb",
    "keltner channel": "kc",
    "keltner": "kc",
    "donchian channel": "dc",
    "donchian": "dc",
}


def _bands(c: Cursor, ctx: Subject | None, period: int | None, own: bool) -> Subject | None:
    """'upper Bollinger band (20, 2)', 'the lower band', 'Bollinger %b', 'Bollinger bandwidth', 'Keltner
    channel (20, 1.5) upper', 'the 20-day Donchian channel midline'; a channel named without a side
    keeps both lines (the comparison picks the upper one for 'above', the lower one for 'below')."""
    position: str | None = None
    output: str | None = None
    key: str | None = None
    args: list[float] | None = None
    saw_band = False
    for _ in range(5):
        word = c.opt(
            *_BAND_FAMILIES,
            "band",
            "channel",
            "%b",
            "percent b",
            "bandwidth",
            "band width",
            "width",
            *POSITIONS,
        )
        if word is None:
            if key is None and saw_band and position is not None:
                key = "bb"  # "the lower band (20, 2.5)" alone is Bollinger's
            if args is None and key is not None:
                family = catalog.family_of({"bb": "bb_upper", "kc": "kc_upper", "dc": "dc_middle"}[key])
                args = _args(c, family, family.title.split(" (")[0], period)
                if args is None:
                    return None
                if args or period is not None:
                    continue
            break
        if word in _BAND_FAMILIES:
            key = _BAND_FAMILIES[word]
        elif word in ("band", "channel"):
            saw_band = True
        elif word in ("%b", "percent b", "bandwidth", "band width", "width"):
            output = {"%b": "pctb", "percent b": "pctb"}.get(word, "width")
            key = key or "bb"
        else:
            position = POSITIONS[word]
    if key is None and (saw_band and position is not None):
        key = "bb"  # "the lower band" alone is Bollinger's
    if key is None:
        return None
    if output is not None and key != "bb":
        c.note("'upper'/'lower'/'middle'")
        return None
    family = catalog.family_of({"bb": "bb_upper", "kc": "kc_upper", "dc": "dc_middle"}[key])
    if args is None:
        args = [float(period)] if period is not None else []
    values = _fill(family, args)
    if key == "dc":
        n = values["period"]
        lines = {"upper": make("highest", n, source="high"), "lower": make("lowest", n, source="low")}
        lines["middle"] = make("dc_middle", n)
    else:
        extra = {"std": values["std"]} if key == "bb" else {"mult": values["mult"]}
        lines = {pos: make(f"{key}_{pos}", values["period"], **extra) for pos in ("upper", "middle", "lower")}  # type: ignore[arg-type]
        if output is not None:
            return make(f"bb_{output}", values["period"], **extra)  # type: ignore[arg-type]
    if position is not None:
        return lines[position]
    upper, lower = lines["upper"], lines["lower"]
    return Subject(upper.expr, upper.domain, upper.indicator, upper.unit, pair=(upper, lower))


def _change(c: Cursor, ctx: Subject | None, period: int | None, own: bool) -> Subject | None:
    """'3-day change', 'price change over 5 days', '10-bar return' -> ROC(n) in percent."""
    c.opt("price", "close")
    c.opt("percent", "percentage", "%")
    if not c.opt("change", "move"):
        return None
    n = period if period is not None else lookback(c)
    if n is None:
        c.note("a number of bars, e.g. 'over 5 days'")
        return None
    return make("roc", n)
