"""Rules that name an event rather than compare two series: candle patterns, gaps, runs of bars ("3 down
days in a row", "higher highs for 2 days"), "highest volume in 50 days", the Bollinger squeeze, moves
without a subject ("up 5% over 10 days"); and, for exits, time limits ("after 10 days") and stops written
as rules ("stop loss 8%", "2.5 ATR trailing stop").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from app.services.language.cursor import NUM, starts
from app.services.language.parser_tail import TailReader
from app.services.language.series import PRICE_WORDS, Subject, make, parse_series, period_args
from app.services.language.spec import (
    AllOf,
    Arith,
    Compare,
    Condition,
    Const,
    Extreme,
    Pattern,
    PatternName,
    Persist,
    PriceRef,
)

PATTERNS: tuple[tuple[str, PatternName], ...] = (
    ("bullish engulfing", "bullish_engulfing"), ("bearish engulfing", "bearish_engulfing"),
    ("engulfing bullish", "bullish_engulfing"), ("engulfing bearish", "bearish_engulfing"),
    ("inside bar", "inside_bar"), ("inside day", "inside_bar"), ("outside bar", "outside_bar"),
    ("outside day", "outside_bar"), ("outside reversal", "outside_bar"), ("hammer", "hammer"),
    ("shooting star", "shooting_star"), ("doji", "doji"),
)  # fmt: skip
_PATTERN_WORDS = tuple(words for words, _ in PATTERNS)
PATTERN_TAIL = ("candlestick", "candle", "pattern", "formation", "bar", "day", "forms", "appears")
STOP_WORDS = (
    "trailing stop loss", "trailing stop - loss", "trailing stop", "trail stop", "stop loss", "stop - loss",
    "protective stop", "hard stop", "stop",
)  # fmt: skip
TARGET_WORDS = (
    "take profit",
    "take - profit",
    "profit target",
    "take profits",
    "profit taking",
    "target",
    "tp",
)
ExitKind = Literal["stop_loss", "take_profit", "trailing_stop"]


@dataclass(frozen=True)
class PriceExit:
    """A stop or target written as a rule; the builder turns it into the node of the same kind."""

    kind: ExitKind
    pct: float | None = None
    atr: float | None = None
    atr_period: int | None = None

    def describe(self) -> str:
        name = {"stop_loss": "stop-loss", "take_profit": "take-profit", "trailing_stop": "trailing stop"}[
            self.kind
        ]
        size = (
            f"{_num(self.pct)}%"
            if self.pct is not None
            else f"{_num(self.atr or 0)} x ATR({self.atr_period})"
        )
        where = "from the best price since entry" if self.kind == "trailing_stop" else "from the entry"
        return f"{name} {size} {where} ({self.kind} node)"


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


class EventReader(TailReader):
    def event_readers(self) -> list[Callable[[], Condition | None]]:
        return [
            self._percent_first, self._pattern, self._gap, self._run_of_bars, self._count_closes,
            self._series_extreme, self._squeeze, self._subjectless_move, self._subjectless_within,
        ]  # fmt: skip

    # -- conditions -----------------------------------------------------------------------------
    @starts(NUM)
    def _percent_first(self) -> Condition | None:
        """'a 5% price drop from the 20-day moving average' = close <= SMA(20) * (1 - 0.05);
        'a 5% drop in 3 days' = ROC(3) <= -5; 'a 5% drop' alone means in one bar."""
        c = self.c
        tok = c.number("a percent", percent=True, signed=False)
        if tok is None:
            return None
        c.opt("price", "close")
        direction = c.phrase("drop", "rise")
        if direction is None:
            return None
        c.opt("price", "in price")
        return self.percent_move(self._close(), tok.value, direction, strict=False)

    @starts("up", "down", "rise", "drop")
    def _subjectless_move(self) -> Condition | None:
        """'up 5% over 10 days', 'down more than 10% in 5 days' (the close is meant)."""
        if not self.c.at_word("up", "down", "rise", "drop"):
            return None
        return self.move(self._close())

    @starts("within")
    def _subjectless_within(self) -> Condition | None:
        """'within 2% of the 50-day SMA' (the close is meant)."""
        if not self.c.at_word("within"):
            return None
        return self._within(self._close())

    @starts(PRICE_WORDS, "makes", "forms", "shows", "prints", _PATTERN_WORDS, "nr", "narrow range")
    def _pattern(self) -> Condition | None:
        """Candle patterns by name ('bullish engulfing candle', 'inside day', 'NR7', 'hammer')."""
        c = self.c
        c.opt(*PRICE_WORDS)
        c.opt("makes", "forms", "shows", "prints")
        word = c.opt(*_PATTERN_WORDS)
        name: PatternName | None = dict(PATTERNS).get(word or "")
        if name is None and c.opt("nr", "narrow range"):
            n = c.whole_number("4 or 7 (NR4, NR7)")
            if n not in (4, 7):
                return None
            name = "nr7" if n == 7 else "nr4"
        if name is None:
            return None
        c.opt(*PATTERN_TAIL)
        c.opt(*PATTERN_TAIL)
        return Pattern(name=name)

    @starts(PRICE_WORDS, "gap", "gaps", "gapped")
    def _gap(self) -> Condition | None:
        """'gaps up at least 1%' = open >= previous close * 1.01; 'gap down of more than 2%' = open <
        previous close * 0.98 ('gaps up 2% or more' = at least 2%); 'gaps up' without a size = open > previous
        high (a full gap)."""
        c = self.c
        c.opt(*PRICE_WORDS)
        word = c.opt("gap up", "gaps up", "gapped up", "gap down", "gaps down", "gapped down")
        if word is None:
            return None
        up = word.endswith("up")
        c.opt("by", "of")
        strict = c.opt("more", "at least") == "more"
        tok = c.number("a size such as '1%'", percent=True, signed=False)
        if tok is not None and c.opt("or more") and strict:
            return None  # 'more than 2% or more' says it twice: refused rather than guessed
        open_, prev_close = PriceRef(field="open"), PriceRef(field="close", lag=1)
        if tok is None:
            level = PriceRef(field="high" if up else "low", lag=1)
            return Compare(left=open_, op=">" if up else "<", right=level)
        factor = round(1 + tok.value / 100 if up else 1 - tok.value / 100, 12)
        level_expr = Arith(op="mul", left=prev_close, right=Const(value=factor))
        op = (">" if strict else ">=") if up else ("<" if strict else "<=")
        return Compare(left=open_, op=op, right=level_expr)

    @starts(NUM, "consecutive", "straight", "successive", "down", "up", "lower", "higher")
    def _run_of_bars(self) -> Condition | None:
        """'3 down days in a row' = close < previous close on each of the last 3 bars; 'lower lows 3
        days in a row', 'higher highs', '3 consecutive higher closes' likewise on that field."""
        c = self.c
        num_mark = c.mark()
        n = c.whole_number("a number of bars")
        c.opt("consecutive", "straight", "successive")
        word = c.opt("down", "up", "lower", "higher")
        if word is None:
            return None
        up = word in ("up", "higher")
        field = "close"
        if word in ("lower", "higher"):
            named = c.opt("high", "low", "close", "closes", "open")
            if named is None:
                return None
            field = "close" if named == "closes" else named
        elif c.unit() is None and not c.opt("closes", "close"):
            return None
        cond = Compare(left=PriceRef(field=field), op=">" if up else "<", right=PriceRef(field=field, lag=1))
        if n is None:
            return cond  # the count follows: "lower lows 3 days in a row" (read by the persistence suffix)
        c.opt("in row")
        bars = c.span(n, "bar", num_mark)
        return None if bars is None else held(cond, bars)

    @starts(NUM)
    def _count_closes(self) -> Condition | None:
        """'two closes in a row below the lower Bollinger band': the close below it on each of 2 bars."""
        c = self.c
        n = c.whole_number("a number of bars")
        if n is None or not c.opt("closes", "consecutive closes"):
            return None
        c.opt("in row")
        subject = self._close()
        cond = self.tail(subject)
        return None if cond is None else held(cond, n)

    @starts("highest", "lowest")
    def _series_extreme(self) -> Condition | None:
        """'highest volume in 50 days', 'lowest close in 10 days' = the current value is the extreme of
        the last N bars, this one included."""
        c = self.c
        word = c.opt("highest", "lowest")
        if word is None:
            return None
        field = c.opt("volume", "close", "closes", "high", "low", "open")
        if field is None:
            return None
        c.opt("in", "of", "for", "over", "within")
        previous = c.opt("previous") is not None
        n = c.bars()
        if n is None:
            return None
        expr = PriceRef(field="close" if field == "closes" else field)
        if previous:  # "highest close of the previous 20 days": a new high over those 20 bars
            level = make("highest" if word == "highest" else "lowest", n, source=expr.field)
            return Compare(left=expr, op=">" if word == "highest" else "<", right=level.expr)
        return Extreme(expr=expr, which="high" if word == "highest" else "low", bars=n)

    @starts("ttm", "bollinger", "squeeze")
    def _squeeze(self) -> Condition | None:
        """'Bollinger squeeze' = Bollinger bandwidth(20,2) at its lowest of 6 months (John Bollinger's
        definition); 'TTM squeeze' = Bollinger bands (20, 2) inside the Keltner channel (20, 1.5)."""
        c = self.c
        ttm = c.opt("ttm squeeze", "ttm") is not None
        if not ttm:
            if not c.opt("bollinger band squeeze", "bollinger squeeze", "squeeze"):
                return None
            args = period_args(c) or []
            if len(args) > 2:
                c.fail(f"the Bollinger squeeze takes (length, std multiplier): got {len(args)} numbers")
                return None
            n, k = (int(args[0]) if args else 20), (float(args[1]) if len(args) > 1 else 2.0)
            width = make("bb_width", n, std=k)
            bars = c.span(6, "month", c.mark() - 1)
            return None if bars is None else Extreme(expr=width.expr, which="low", bars=bars)
        c.opt("squeeze")
        bb = {pos: make(f"bb_{pos}", 20, std=2.0).expr for pos in ("upper", "lower")}  # type: ignore[arg-type]
        kc = {pos: make(f"kc_{pos}", 20, mult=1.5).expr for pos in ("upper", "lower")}  # type: ignore[arg-type]
        return AllOf(
            items=[
                Compare(left=bb["upper"], op="<", right=kc["upper"]),
                Compare(left=bb["lower"], op=">", right=kc["lower"]),
            ]
        )

    # -- exits that are not signals -------------------------------------------------------------
    def time_limit_phrase(self) -> int | None:
        """'after 10 days', 'after 5 bars in the trade', 'hold for 20 trading days', 'time stop of 10
        bars', 'maximum holding period of 3 weeks' -> bars to hold before exiting at the close."""
        c = self.c
        mark = c.mark()
        lead = c.opt(
            "time stop of", "time stop at", "time stop after", "time stop", "time exit after", "time exit",
            "maximum holding period of", "max holding period of", "holding period of",
            "maximum holding period",
            "max holding period", "holding period", "stays for", "stays in trade for", "stays position for",
            "after holding for", "after holding", "after",
        )  # fmt: skip
        num_mark = c.mark()
        tok = c.peek()
        n = c.whole_number("a number of bars")
        unit = c.unit() if n is not None else None
        if n is None or unit is None or tok is None:
            c.reset(mark)
            return None
        trailer = c.opt(
            "in trade", "in position", "after entry", "from entry", "since entry", "of holding", "held",
            "have passed", "has passed", "elapsed", "time stop",
        )  # fmt: skip
        if lead is None and trailer is None:
            c.reset(mark)
            return None
        bars = c.span(n, unit, num_mark)
        if bars is None:
            c.reset(mark)
        return bars

    def peek_time_limit(self) -> bool:
        mark = self.c.mark()
        self.c.i -= 1
        found = self.time_limit_phrase() is not None
        self.c.reset(mark)
        return found

    def price_exit_rule(self) -> PriceExit | None:
        """'stop loss 8%', '8% stop loss', 'trailing stop of 15%', 'take profit at 20%', 'profit target of
        3 ATR', '2.5 ATR trailing stop', 'stop at 2 x ATR(20)' (ATR multiples of the entry bar's ATR)."""
        c = self.c
        c.opt("with", "using", "use", "place", "set", "put", "exit with", "exit on")
        kind = self._exit_kind()
        c.opt("at", "of", ":", "=", "by", "is")
        distance = self._distance()
        if distance is None:
            return None
        if kind is None:
            kind = self._exit_kind()
            if kind is None:
                return None
        c.opt("below", "above", "from", "off", "under")
        if c.opt("peak", "highest high", "highest close", "high"):
            kind = "trailing_stop" if kind == "stop_loss" else kind
        c.opt("entry price", "entry", "purchase price", "buy price", "price")
        pct, atr, period = distance
        return PriceExit(kind, pct=pct, atr=atr, atr_period=period)

    def _exit_kind(self) -> ExitKind | None:
        c = self.c
        word = c.opt(*STOP_WORDS)
        if word is not None:
            return "trailing_stop" if word.startswith(("trailing", "trail")) else "stop_loss"
        if c.opt(*TARGET_WORDS):
            return "take_profit"
        return None

    def _distance(self) -> tuple[float | None, float | None, int | None] | None:
        c = self.c
        tok = c.number("a distance such as '5%' or '2 ATR'", signed=False)
        if tok is None:
            return None
        if tok.percent:
            return tok.value, None, None
        c.opt("times", "*")
        atr = parse_series(c)
        if atr is None or atr.domain != "atr" or atr.indicator is None:
            c.note("'%' or 'ATR'")
            return None
        return None, tok.value, atr.indicator.period

    def _close(self) -> Subject:
        return Subject(PriceRef(field="close"), "close")


def held(cond: Condition, bars: int) -> Condition:
    return cond if bars == 1 else Persist(item=cond, bars=bars)
