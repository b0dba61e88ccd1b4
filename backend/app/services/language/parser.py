"""Recursive-descent reader of one plain-language rule into a spec condition (plus, for exit rules, a time
limit, or a stop written as a rule).

Grammar (after synonyms are folded and filler words dropped, see `lexer.py`)::

    rule       := prefix? (price_exit | or_expr) END
    prefix     := ('enter' | 'exit' | 'buy' | 'sell' | 'go long' | ...)* ('when' | 'if' | 'on' | ...)*
    or_expr    := 'either'? and_expr (('or' | ',') (time_limit | and_expr))* (', whichever comes first')?
    and_expr   := unary (('and' | ',' | 'but only if' | 'while' | 'when' | ...) (last_subject_tail | unary))*
    unary      := ('not' unary | '(' or_expr ')' | event | subject tail) persistence?
    persistence:= 'for' N unit ('in a row' | 'consecutive')? | N 'consecutive' unit | N unit 'in a row'
    event      := golden/death cross | MACD crossover | N% drop/rise | candle pattern | gap | N down days
                  in a row | higher highs ... | highest volume in N days | Bollinger squeeze
                  (all in parser_events.py)
    subject    := expression (formula.py: series with + - * /), a series is read by series.py
    tail       := 'not'? ( band | cross_op level | compare_op level | 'between' N 'and' M
                  | 'within' D level | 'inside' channel | touch level | move | new extreme | at extreme
                  | state | slope )
    time_limit := 'after'? N unit ('in the trade' | 'after entry')?   (exit after N bars, reason 'time')
    price_exit := 'stop loss' N% | N% 'trailing stop' | 'take profit at' N% | N 'ATR' ('(' P ')')? stop ...

Units (days, weeks, months, years, bars) become bars by the strategy's interval (`context.py`). Semantics
a trader might wonder about are in each reader's docstring and in docs/language.md; the accepted
phrasings are tested in `tests/services/language/test_parser*.py`.
"""

from __future__ import annotations

from app.services.language.cursor import Cursor, may_start, starts
from app.services.language.indicators import Indicator
from app.services.language.parser_events import EventReader, PriceExit
from app.services.language.series import Subject, parse_series
from app.services.language.spec import AllOf, AnyOf, Condition, Cross, IndicatorRef, Not, Persist

_VERBS = (
    "enter", "entry", "exit", "buy", "sell", "long", "position", "out", "get", "signal", "trigger",
    "go",
)  # fmt: skip
_CONNECTORS = ("when", "whenever", "if", "once", "on", "after", "as soon as", "there", "where", "while")
_AND = (
    ", and", "and also", "and when", "and if", "and", "but only if", "but only when", "but only while",
    "only if", "only when", "provided", "as long as", "but", "with", "while", "when", "if", ",",
)  # fmt: skip


class RuleParser(EventReader):
    def __init__(self, cursor: Cursor) -> None:
        super().__init__(cursor)
        self.time_limit: int | None = None
        self.price_exit: PriceExit | None = None

    def rule(self) -> Condition | None:
        """The rule's condition; a stop written as a rule sets ``price_exit`` and returns None, a time
        limit alone sets ``time_limit`` and returns None. Check `at_end` for success."""
        self._prefix()
        mark = self.c.mark()
        stop = self.price_exit_rule()
        if stop is not None and self.c.at_end():
            self.price_exit = stop
            return None
        self.c.reset(mark)
        cond = self.or_expr()
        if not self.c.at_end():
            self.c.note("'and'", "'or'", "the end of the rule")
            self.time_limit = None
            return None
        return cond

    def _prefix(self) -> None:
        c = self.c
        while True:
            if c.opt(*_VERBS) or c.opt("move long", "move short"):
                continue
            if c.at_word("close") and c.at_word(
                "when", "if", "once", "on", "position", "trade", "out", ahead=1
            ):
                c.i += 1
                continue
            break
        while True:
            mark = c.mark()
            if c.opt(*_CONNECTORS) is None:
                break
            if c.at_word("after", ahead=-1) and self.peek_time_limit():
                c.reset(mark)  # "sell after 10 days": the time limit keeps its 'after'
                break

    def or_expr(self) -> Condition | None:
        """Alternatives; one of them may be a time limit ('... or after 10 days, whichever comes first')."""
        c = self.c
        c.opt("either")
        items: list[Condition] = []
        first = True
        while True:
            mark = c.mark()
            if not first and not c.opt("or", ", or", ","):
                break
            if not first:
                c.opt("when", "if", "on")
            limit = self.time_limit_phrase()
            if limit is not None:
                if self.time_limit is not None:
                    c.fail("only one time limit per rule")
                    c.reset(mark)
                    break
                self.time_limit = limit
            else:
                item = self.and_expr()
                if item is None:
                    c.reset(mark)
                    if first:
                        return None
                    break
                items.append(item)
            first = False
        c.opt(", whichever comes first", "whichever comes first", ", whichever first", "whichever first")
        if not items:
            return None
        return items[0] if len(items) == 1 else AnyOf(items=items)

    def and_expr(self) -> Condition | None:
        first = self.unary()
        if first is None:
            return None
        items = [first]
        while True:
            mark = self.c.mark()
            if self.c.opt(*_AND) is None:
                break
            item = self._elliptic() or self.unary()
            if item is None:
                self.c.reset(mark)
                break
            items.append(item)
        return items[0] if len(items) == 1 else AllOf(items=items)

    def _elliptic(self) -> Condition | None:
        """'RSI above 30 and below 70': a tail right after 'and' reuses the last subject."""
        if self.last_subject is None:
            return None
        mark = self.c.mark()
        cond = self.tail(self.last_subject)
        if cond is None:
            self.c.reset(mark)
            return None
        return self.persistence(cond)

    def unary(self) -> Condition | None:
        c = self.c
        mark = c.mark()
        if c.opt("not", "no"):
            inner = self.unary()
            if inner is not None:
                return Not(item=inner)
            c.reset(mark)
            return None
        if c.opt("("):
            inner = self.or_expr()
            if inner is not None and c.phrase(")"):
                return self.persistence(inner)
            c.reset(mark)
        special = self.special()
        if special is not None:
            return self.persistence(special)
        c.reset(mark)
        subject = self.subject()
        if subject is None:
            c.note("'golden cross'", "'death cross'", "a percent such as '5%'")
            return None
        self.last_subject = subject
        cond = self.tail(subject)
        if cond is None:
            c.reset(mark)
            return None
        return self.persistence(cond)

    def persistence(self, cond: Condition) -> Condition:
        """'... for 3 consecutive days', '... 3 days in a row', '... for two days' -> held on each bar."""
        c = self.c
        mark = c.mark()
        lead = c.opt("for", "on", "over") is not None
        c.opt("at least", "each of", "previous", "past")
        num_mark = c.mark()
        tok = c.peek()
        n = c.whole_number("a number of bars")
        if n is None or tok is None:
            c.reset(mark)
            return cond
        consecutive = c.opt("consecutive", "straight", "successive") is not None
        unit = c.unit()
        in_row = c.opt("in row", "consecutively", "running") is not None
        if unit is None or not (lead or in_row or consecutive):
            c.reset(mark)
            return cond
        bars = c.span(n, unit, num_mark)
        if bars is None:
            c.reset(mark)
            return cond
        return cond if bars == 1 else Persist(item=cond, bars=bars)

    def special(self) -> Condition | None:
        key = self.c.start_key()
        for reader in (self._golden_cross, self._macd_crossover, *self.event_readers()):
            if not may_start(reader, key):
                continue
            mark = self.c.mark()
            found = reader()
            if found is not None:
                return found
            self.c.reset(mark)
        return None

    @starts("golden cross", "death cross")
    def _golden_cross(self) -> Condition | None:
        """'golden cross' = SMA(50) crosses above SMA(200); 'death cross' the reverse.

        Other windows: 'golden cross of the 20 and 50-day EMA', 'golden cross (20/50)'."""
        c = self.c
        which = c.opt("golden cross", "death cross")
        if which is None:
            return None
        fast, slow, kind = 50, 200, "sma"
        mark = c.mark()
        c.opt("(")
        a = c.whole_number("a period")
        c.unit()
        sep = c.opt("/", "and", ",")
        b = c.whole_number("a period") if sep else None
        if a is not None and b is not None:
            c.unit()
            c.opt(")")
            word = c.opt("sma", "ema", "wma", "moving average", "ma")
            fast, slow = min(a, b), max(a, b)
            kind = {"ema": "ema", "wma": "wma"}.get(word or "", "sma")
        else:
            c.reset(mark)
        fast_ma = IndicatorRef(indicator=Indicator(kind=kind, period=fast))
        slow_ma = IndicatorRef(indicator=Indicator(kind=kind, period=slow))
        direction = "above" if which == "golden cross" else "below"
        return Cross(left=fast_ma, direction=direction, right=slow_ma)

    def _macd_crossover(self) -> Condition | None:
        """'bullish MACD crossover' = MACD crosses above its signal; 'bearish' = crosses below."""
        c = self.c
        if not c.at_word("bullish", "bearish", "macd"):
            return None
        mood = c.opt("bullish", "bearish")
        macd = parse_series(c)
        if macd is None or macd.domain != "macd":
            return None
        mood = mood or c.opt("bullish", "bearish")
        if mood is None or not c.phrase("cross"):
            return None
        assert macd.indicator is not None
        ind = macd.indicator
        signal = IndicatorRef(indicator=ind.model_copy(update={"kind": "macd_signal"}))
        return Cross(left=macd.expr, direction="above" if mood == "bullish" else "below", right=signal)

    def subject(self) -> Subject | None:
        from app.services.language.formula import read_expression

        return read_expression(self.c, None, allow_const=False)
