"""A token cursor with backtracking and farthest-failure tracking, for the recursive-descent parser.

Each alternative that fails records what it expected at the token where it failed; the error reported
is the one at the farthest token any alternative reached (the classic PEG error heuristic), so a rule
like "RSI is bananas" fails at "bananas" with "expected a number or 'above'/'below'".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any, TypeVar

from app.services.language.context import UNITS, ReadContext
from app.services.language.lexer import Token


@lru_cache(maxsize=4096)
def _split(option: str) -> tuple[str, ...]:
    """An option as tokens: phrase tables are written in plain words ("in the trade") and matched in
    the lexer's folded form ("in stays"), so a synonym or filler word never makes an option unreachable."""
    from app.services.language.lexer import tokenize

    return tuple(t.text for t in tokenize(option))


NUM = "#num"  # the start key of a number (signed or not)
R = TypeVar("R")


def starts(*firsts: str | Iterable[str]) -> Callable[[R], R]:
    """Mark a reader with the tokens it can start with (phrases in plain words, or `NUM`): the dispatch
    loops skip a reader that cannot start here, instead of letting it try and back off."""
    keys: set[str] = set()
    for item in firsts:
        for phrase in [item] if isinstance(item, str) else item:
            parts = _split(phrase) if phrase != NUM else (NUM,)
            if parts:
                keys.add(parts[0])

    def mark(reader: R) -> R:
        reader.starts = frozenset(keys)  # type: ignore[attr-defined]
        return reader

    return mark


def may_start(reader: object, key: str | None) -> bool:
    allowed: frozenset[str] | None = getattr(reader, "starts", None)
    return allowed is None or (key is not None and key in allowed)


@lru_cache(maxsize=4096)
def _by_first(options: tuple[str, ...]) -> dict[str, list[tuple[tuple[str, ...], str]]]:
    """The options by their first token, in their order: a phrase table is scanned once per position."""
    index: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for option in options:
        parts = _split(option)
        if parts:
            index.setdefault(parts[0], []).append((parts, option))
    return index


class Cursor:
    def __init__(self, text: str, tokens: list[Token], ctx: ReadContext | None = None) -> None:
        self.text = text
        self.tokens = tokens
        self.ctx = ctx or ReadContext()
        self.i = 0
        self.fail_i = -1
        self.fail_expected: list[str] = []
        # A definite refusal ("RSI takes (length): got 2 numbers"): reported if no reading succeeds.
        self.hard_error: tuple[int, str] | None = None
        # Unit conversions made while reading, by token index ("52 weeks = 252 daily bars").
        self.notes: dict[int, str] = {}
        # The last stochastic / MACD read with its parameters: a later bare '%D' or 'signal' is its.
        self.recent: dict[str, Any] = {}

    # -- position -------------------------------------------------------------------------------
    def mark(self) -> int:
        return self.i

    def reset(self, mark: int) -> None:
        self.i = mark

    def at_end(self) -> bool:
        return self.i >= len(self.tokens)

    def peek(self, ahead: int = 0) -> Token | None:
        j = self.i + ahead
        return self.tokens[j] if j < len(self.tokens) else None

    def start_key(self) -> str | None:
        """What the next token is, for `starts`: its text, or `NUM` for a number (with its sign)."""
        tok = self.peek()
        if tok is None:
            return None
        if tok.kind == "num":
            return NUM
        nxt = self.peek(1)
        if tok.kind == "sym" and tok.text in ("-", "+") and nxt is not None and nxt.kind == "num":
            return NUM
        return tok.text

    def char_pos(self, index: int) -> int:
        return self.tokens[index].pos if index < len(self.tokens) else len(self.text.rstrip())

    # -- failures -------------------------------------------------------------------------------
    def note(self, *expected: str) -> None:
        """Record what would have been accepted at the current token."""
        if self.i > self.fail_i:
            self.fail_i = self.i
            self.fail_expected = []
        if self.i == self.fail_i:
            for item in expected:
                if item not in self.fail_expected:
                    self.fail_expected.append(item)

    def fail(self, message: str, at: int | None = None) -> None:
        """Record a definite refusal at token ``at`` (default: here); the farthest one is kept."""
        index = self.i if at is None else at
        if self.hard_error is None or index >= self.hard_error[0]:
            self.hard_error = (index, message)

    # -- matching -------------------------------------------------------------------------------
    def at_word(self, *words: str, ahead: int = 0) -> bool:
        tok = self.peek(ahead)
        return tok is not None and tok.kind in ("word", "sym") and tok.text in words

    def phrase(self, *options: str, quiet: bool = False) -> str | None:
        """Match the first option (space-separated words or symbols) present here; return it.

        Options are tried in order, so list longer phrases first ("cross back above" before "cross").
        """
        tok = self.peek()
        if tok is not None and tok.kind in ("word", "sym"):
            for parts, option in _by_first(options).get(tok.text, ()):
                end = self.i + len(parts)
                if end <= len(self.tokens) and all(
                    t.kind in ("word", "sym") and t.text == part
                    for t, part in zip(self.tokens[self.i + 1 : end], parts[1:], strict=True)
                ):
                    self.i = end
                    return option
        if not quiet:
            self.note(*(f"'{option}'" for option in options))
        return None

    def opt(self, *options: str) -> str | None:
        return self.phrase(*options, quiet=True)

    def number(
        self, label: str = "a number", *, percent: bool | None = None, signed: bool = True
    ) -> Token | None:
        """A number token, with its sign ('-80', '+100'); ``percent`` True/False requires/forbids a
        '%' sign, None accepts either."""
        tok = self.peek()
        sign = 1.0
        if signed and tok is not None and tok.kind == "sym" and tok.text in ("-", "+"):
            nxt = self.peek(1)
            if nxt is not None and nxt.kind == "num":
                sign = -1.0 if tok.text == "-" else 1.0
                tok = nxt
        if tok is not None and tok.kind == "num" and (percent is None or tok.percent == percent):
            self.i += 1 if self.peek() is tok else 2
            if sign < 0:
                return Token("num", f"-{tok.text}", tok.pos, -tok.value, tok.percent)
            return tok
        self.note(label)
        return None

    def unit(self) -> str | None:
        """A time unit word: 'bar' (bars, periods, sessions), 'day', 'week', 'month', 'year', 'hour'."""
        mark = self.i
        self.opt("trading", "calendar")
        word = self.opt(*UNITS)
        if word is None:
            self.i = mark
        return word

    def span(self, count: float, unit: str, at: int) -> int | None:
        """``count`` ``unit`` as bars of the strategy's interval (see `context.py`); notes a conversion,
        records a refusal when there is no whole number of bars."""
        bars, note, error = self.ctx.bars(count, unit)
        if error is not None:
            self.fail(error, at)
            return None
        if note is not None:
            self.notes[at] = note
        return bars

    def bars(self, label: str = "a number of bars") -> int | None:
        """'20 days', '3 weeks', '5 bars' -> a bar count (converted by the interval)."""
        mark = self.i
        tok = self.peek()
        n = self.whole_number(label)
        if n is None or tok is None:
            return None
        unit = self.unit()
        if unit is None:
            self.note("'bars'/'days'/'weeks'")
            self.i = mark
            return None
        bars = self.span(n, unit, mark)
        if bars is None:
            self.i = mark
        return bars

    def whole_number(self, label: str) -> int | None:
        tok = self.peek()
        if tok is not None and tok.kind == "num" and not tok.percent and tok.value.is_integer():
            self.i += 1
            return int(tok.value)
        self.note(label)
        return None
