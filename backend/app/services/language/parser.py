"""Recursive-descent reader of one plain-language rule into a spec condition.

Grammar (after synonyms are folded and filler words dropped, see `lexer.py`)::

    rule       := prefix? or_expr END
    prefix     := ('enter' | 'exit' | 'buy' | 'sell' | 'go long' | ...)* ('when' | 'if' | 'on' | ...)*
    or_expr    := and_expr ('or' and_expr)*
    and_expr   := unary (('and' | ',') (tail_of_last_subject | unary))*
    unary      := 'not' unary | '(' or_expr ')' | special | subject tail
    special    := golden/death cross | bullish/bearish MACD crossover | N% drop/rise (from X | in N days)
    tail       := 'not'? ( band | cross_op rhs | compare_op rhs | 'between' N 'and' M | touch rhs
                           | move | 'makes new N-day high' | 'turns positive' | 'oversold' ... )
    band       := N% above/below X | k ATR above/below X
    rhs        := band | k times X | X (('+'|'-') k ('*')? Y)? | number

Semantics a trader might wonder about are in each reader's docstring; the full list of accepted
phrasings is the test file `tests/services/language/test_parser.py`.
"""

from __future__ import annotations

from app.services.language.cursor import Cursor
from app.services.language.errors import RuleNotUnderstood
from app.services.language.indicators import Indicator
from app.services.language.lexer import tokenize
from app.services.language.parser_tail import TailReader
from app.services.language.series import Subject, parse_series
from app.services.language.spec import AllOf, AnyOf, Condition, Cross, IndicatorRef, Not
from app.services.language.suggest import suggest

_VERBS = (
    "enter",
    "entry",
    "exit",
    "buy",
    "sell",
    "long",
    "position",
    "trade",
    "out",
    "get",
    "signal",
    "trigger",
)
_CONNECTORS = ("when", "whenever", "if", "once", "on", "after", "as soon as", "there", "where", "while")


class RuleParser(TailReader):
    def rule(self) -> Condition | None:
        self._prefix()
        cond = self.or_expr()
        if cond is None:
            return None
        if not self.c.at_end():
            self.c.note("'and'", "'or'", "the end of the rule")
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
        while c.opt(*_CONNECTORS):
            pass

    def or_expr(self) -> Condition | None:
        first = self.and_expr()
        if first is None:
            return None
        items = [first]
        while True:
            mark = self.c.mark()
            if not self.c.opt("or"):
                break
            item = self.and_expr()
            if item is None:
                self.c.reset(mark)
                break
            items.append(item)
        return items[0] if len(items) == 1 else AnyOf(items=items)

    def and_expr(self) -> Condition | None:
        first = self.unary()
        if first is None:
            return None
        items = [first]
        while True:
            mark = self.c.mark()
            if not (self.c.opt(", and", "and", ",", "but", "with", "while")):
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
        return cond

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
                return inner
            c.reset(mark)
        special = self.special()
        if special is not None:
            return special
        c.reset(mark)
        subject = parse_series(c)
        if subject is None:
            c.note("'golden cross'", "'death cross'", "a percent such as '5%'")
            return None
        self.last_subject = subject
        cond = self.tail(subject)
        if cond is None:
            c.reset(mark)
        return cond

    def special(self) -> Condition | None:
        for reader in (self._golden_cross, self._macd_crossover, self._percent_first):
            mark = self.c.mark()
            found = reader()
            if found is not None:
                return found
            self.c.reset(mark)
        return None

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
        c.opt("bar")
        sep = c.opt("/", "and", ",")
        b = c.whole_number("a period") if sep else None
        if a is not None and b is not None:
            c.opt("bar")
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

    def _percent_first(self) -> Condition | None:
        """'a 5% price drop from the 20-day moving average' = close <= SMA(20) * (1 - 0.05);
        'a 5% drop in 3 days' = ROC(3) <= -5; 'a 5% drop' alone means in one bar."""
        c = self.c
        tok = c.number("a percent", percent=True)
        if tok is None:
            return None
        c.opt("price", "close")
        direction = c.phrase("drop", "rise")
        if direction is None:
            return None
        c.opt("price", "in price")
        close = Subject(self.close_ref(), "close")
        return self.percent_move(close, tok.value, direction, strict=False)


def parse_rule(text: str, node_id: str = "") -> Condition:
    """Read one rule; raise `RuleNotUnderstood` naming where reading stopped and what would fit there.

    >>> from app.services.language.spec import describe
    >>> describe(parse_rule("Enter on a 5% price drop from the 20-day moving average"))
    'close <= SMA(20) * 0.95'
    """
    if "{" in text:  # named parameters ({fast=10}): read the rule with their defaults
        return _parse_with_defaults(text, node_id)
    tokens = tokenize(text)
    cursor = Cursor(text, tokens)
    bad = next((t for t in tokens if t.kind == "bad"), None)
    cond = RuleParser(cursor).rule() if bad is None else None
    if cond is not None:
        return cond
    if bad is not None:
        position, expected = bad.pos, ["letters, numbers, '%', '(', ')' or ','"]
    else:
        position, expected = cursor.char_pos(max(cursor.fail_i, 0)), cursor.fail_expected
    raise RuleNotUnderstood(
        node_id=node_id, rule=text, position=position, expected=expected, suggestion=suggest(text)
    )


def _parse_with_defaults(text: str, node_id: str) -> Condition:
    from app.services.language.parameters import position_in_original, substitute

    plain = substitute(text)
    if "{" in plain:
        at = _stray_brace(text)
        raise RuleNotUnderstood(
            node_id=node_id,
            rule=text,
            position=at,
            expected=["a parameter written {name=default}, e.g. {fast=10}"],
            suggestion=None,
        )
    try:
        return parse_rule(plain, node_id)
    except RuleNotUnderstood as exc:
        raise RuleNotUnderstood(
            node_id=node_id,
            rule=text,
            position=position_in_original(text, int(exc.fields.get("position") or 0)),
            expected=list(exc.fields.get("expected") or []),
            suggestion=exc.fields.get("suggestion"),
        ) from None


def _stray_brace(text: str) -> int:
    """Position of the first ``{`` that does not start a well-formed ``{name=default}``."""
    from app.services.language.parameters import PATTERN

    covered = {i for m in PATTERN.finditer(text) for i in range(m.start(), m.end())}
    return next(i for i, c in enumerate(text) if c == "{" and i not in covered)
