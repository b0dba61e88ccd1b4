"""Reading one rule: its condition (or the time limit / stop it states), its one-line canonical wording,
and the refusals that keep a reading honest.

Guarantees:
- every number the user wrote appears in the reading (as written, or as the factor, fraction or bars it
  became: "5%" as "0.95", "52 weeks = 252 daily bars"); a reading that would drop one is refused;
- an error names where reading stopped, what would fit there, and a suggestion built from the rule's own
  words (`suggest.py`); an unknown indicator is named as such with the list of known ones.

>>> read_rule("RSI(2) > 70 or after 10 days, whichever comes first").understood
'RSI(2) > 70, or exit after 10 bars (exit reason: time), whichever comes first'
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

from app.services.language.context import ReadContext
from app.services.language.cursor import Cursor
from app.services.language.describe import describe_condition
from app.services.language.errors import RuleNotUnderstood
from app.services.language.lexer import Token, tokenize
from app.services.language.parameters import PATTERN, position_in_original, substitute, understood_with
from app.services.language.parser import RuleParser
from app.services.language.parser_events import PriceExit
from app.services.language.spec import Condition
from app.services.language.vocabulary import unknown_indicator

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


@dataclass(frozen=True)
class Reading:
    text: str
    condition: Condition | None
    exit_after_bars: int | None
    price_exit: PriceExit | None
    notes: tuple[str, ...]
    understood: str


def read_rule(text: str, node_id: str = "", context: ReadContext | None = None) -> Reading:
    """Read one rule (see module doc); raise `RuleNotUnderstood` when it cannot be read faithfully.

    Named parameters (``SMA({fast=10})``, see `parameters.py`) read as their defaults; the reading lists
    them, and an error's position points into the text as written."""
    ctx = context or ReadContext()
    if "{" not in text:
        return _read(text, node_id, ctx, quiet=False)
    plain = substitute(text)
    if "{" in plain:
        raise RuleNotUnderstood(
            node_id=node_id, rule=text, position=_stray_brace(text), suggestion=None,
            expected=["a parameter written {name=default}, e.g. {fast=10}"],
        )  # fmt: skip
    try:
        reading = _read(plain, node_id, ctx, quiet=False)
    except RuleNotUnderstood as exc:
        fields = exc.fields
        raise RuleNotUnderstood(
            node_id=node_id, rule=text, position=position_in_original(text, int(fields.get("position") or 0)),
            expected=list(fields.get("expected") or []), suggestion=fields.get("suggestion"),
            reason=fields.get("reason"), unknown=fields.get("unknown"),
        ) from None  # fmt: skip
    return replace(reading, text=text, understood=understood_with(reading.understood, text))


def _stray_brace(text: str) -> int:
    """Position of the first ``{`` that does not start a well-formed ``{name=default}``."""
    covered = {i for m in PATTERN.finditer(text) for i in range(m.start(), m.end())}
    return next(i for i, c in enumerate(text) if c == "{" and i not in covered)


def read_rule_quietly(text: str, context: ReadContext) -> Reading:
    """`read_rule` without building a suggestion on failure (used while looking for one)."""
    return _read(text, "", context, quiet=True)


def _read(text: str, node_id: str, ctx: ReadContext, quiet: bool) -> Reading:
    tokens = tokenize(text, ctx.custom_names)
    cursor = Cursor(text, tokens, ctx)
    bad = next((t for t in tokens if t.kind == "bad"), None)
    if bad is not None:
        raise _error(
            text, node_id, ctx, bad.pos, ["letters, numbers, '%', '(', ')' or ','"], None, quiet=quiet
        )
    parser = RuleParser(cursor)
    cond = parser.rule()
    if cursor.at_end() and (
        cond is not None or parser.time_limit is not None or parser.price_exit is not None
    ):
        notes = tuple(note for _, note in sorted(cursor.notes.items()))
        reading = Reading(
            text, cond, parser.time_limit, parser.price_exit, notes,
            _understood(cond, parser.time_limit, parser.price_exit, notes),
        )  # fmt: skip
        _check_numbers(reading, tokens, node_id, ctx)
        return reading
    fail_i = max(cursor.fail_i, 0)
    position, reason = cursor.char_pos(fail_i), None
    if cursor.hard_error is not None and cursor.hard_error[0] >= fail_i - 1:
        position, reason = cursor.char_pos(cursor.hard_error[0]), cursor.hard_error[1]
    raise _error(text, node_id, ctx, position, cursor.fail_expected, reason, tokens, fail_i, quiet=quiet)


def parse_rule(text: str, node_id: str = "", context: ReadContext | None = None) -> Condition:
    """Read a rule that must be a condition (an entry or exit signal).

    >>> from app.services.language.spec import describe
    >>> describe(parse_rule("Enter on a 5% price drop from the 20-day moving average"))
    'close <= SMA(20) * 0.95'
    """
    reading = read_rule(text, node_id, context)
    if reading.condition is None or reading.exit_after_bars is not None or reading.price_exit is not None:
        what = reading.price_exit.describe() if reading.price_exit else "a time limit"
        raise RuleNotUnderstood(
            node_id=node_id, rule=text, position=0, expected=["a condition"], suggestion=None,
            reason=f"this rule states {what}, not a signal: put it in an exit node or the matching stop node",
        )  # fmt: skip
    return reading.condition


def _understood(
    cond: Condition | None, time_limit: int | None, price_exit: PriceExit | None, notes: tuple[str, ...]
) -> str:
    parts = []
    if price_exit is not None:
        parts.append(price_exit.describe())
    if cond is not None:
        parts.append(describe_condition(cond))
    if time_limit is not None:
        timed = f"exit after {time_limit} bars (exit reason: time)"
        parts.append(f"or {timed}, whichever comes first" if cond is not None else timed)
    text = ", ".join(parts)
    return f"{text} [{'; '.join(notes)}]" if notes else text


def _check_numbers(reading: Reading, tokens: list[Token], node_id: str, ctx: ReadContext) -> None:
    """Refuse a reading that lost a number the user wrote (see module doc)."""
    shown = [float(m) for m in _NUMBER.findall(reading.understood)]
    for tok in tokens:
        if tok.kind != "num":
            continue
        v = abs(tok.value)
        forms = (v, v / 100, 1 + v / 100, 1 - v / 100, v * 100)
        if not any(math.isclose(abs(s), f, rel_tol=1e-9, abs_tol=1e-12) for s in shown for f in forms):
            raise RuleNotUnderstood(
                node_id=node_id, rule=reading.text, position=tok.pos, expected=[], suggestion=None,
                reason=f"the reading '{reading.understood}' does not use the number {tok.text} you wrote; "
                "rephrase so every number has a place",
            )  # fmt: skip


def _error(
    text: str,
    node_id: str,
    ctx: ReadContext,
    position: int,
    expected: list[str],
    reason: str | None,
    tokens: list[Token] | None = None,
    fail_i: int = 0,
    *,
    quiet: bool,
) -> RuleNotUnderstood:
    from app.services.language.suggest import suggest

    unknown = None
    if reason is None and tokens is not None and not quiet:
        found = unknown_indicator(text, tokens, fail_i)
        if found is not None:
            unknown, position, reason = found
    return RuleNotUnderstood(
        node_id=node_id, rule=text, position=position, expected=expected,
        suggestion=None if quiet else suggest(text, ctx, reason, unknown=unknown is not None), reason=reason,
        unknown=unknown,
    )  # fmt: skip
