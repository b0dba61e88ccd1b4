"""A token cursor with backtracking and farthest-failure tracking, for the recursive-descent parser.

Each alternative that fails records what it expected at the token where it failed; the error reported
is the one at the farthest token any alternative reached (the classic PEG error heuristic), so a rule
like "RSI is bananas" fails at "bananas" with "expected a number or 'above'/'below'".
"""

from __future__ import annotations

from functools import lru_cache

from app.services.language.lexer import Token


@lru_cache(maxsize=1024)
def _split(option: str) -> tuple[str, ...]:
    return tuple(option.split())


class Cursor:
    def __init__(self, text: str, tokens: list[Token]) -> None:
        self.text = text
        self.tokens = tokens
        self.i = 0
        self.fail_i = -1
        self.fail_expected: list[str] = []

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
            for option in options:
                parts = _split(option)
                if parts[0] == tok.text and all(
                    self.at_word(part, ahead=k) for k, part in enumerate(parts[1:], start=1)
                ):
                    self.i += len(parts)
                    return option
        if not quiet:
            self.note(*(f"'{option}'" for option in options))
        return None

    def opt(self, *options: str) -> str | None:
        return self.phrase(*options, quiet=True)

    def number(self, label: str = "a number", *, percent: bool | None = None) -> Token | None:
        """A number token; ``percent`` True/False requires/forbids a '%' sign, None accepts either."""
        tok = self.peek()
        if tok is not None and tok.kind == "num" and (percent is None or tok.percent == percent):
            self.i += 1
            return tok
        self.note(label)
        return None

    def whole_number(self, label: str) -> int | None:
        tok = self.peek()
        if tok is not None and tok.kind == "num" and not tok.percent and tok.value.is_integer():
            self.i += 1
            return int(tok.value)
        self.note(label)
        return None
