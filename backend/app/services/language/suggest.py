"""The phrasing to offer when a rule cannot be read, built from the rule itself.

Repairs are tried in order, and the first that the grammar reads is offered, in the user's own words
and numbers: extra indicator parameters trimmed ("RSI(14, 3)" -> "RSI(14)"), a misspelt word replaced
by the closest word the grammar knows ("RSI crosess above 30" -> "RSI crosses above 30"), a missing
subject supplied ("new 52-week high" -> "close makes a new 52-week high"), a comparison with two averages
split in two ("above the 50 and 200 day MAs" -> "above the 50-day MA and above the 200-day MA"), a time
limit's verb ("close after 7 bars" -> "exit after 7 bars"). Only when none reads is a
typical example offered, preferring one about the same indicator ("RSI is bananas" -> "RSI(14) below 30").
Every example is itself tested to parse.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator

from app.services.language.context import ReadContext
from app.services.language.vocabulary import grammar_words, known

CANONICAL_EXAMPLES: tuple[str, ...] = (
    "close is 5% below the 20-day SMA",
    "Enter on a 5% price drop from the 20-day moving average",
    "close crosses above the 50 EMA",
    "10-day MA crosses above 30-day MA",
    "golden cross",
    "death cross",
    "RSI(14) below 30",
    "RSI crosses back above 30",
    "RSI above 70",
    "RSI above its 9-day average",
    "stochastic(14, 3, 3) %K crosses above %D",
    "stochastic %K above 80",
    "MACD crosses above the signal line",
    "MACD crosses below zero",
    "MACD histogram turns positive",
    "price touches the lower Bollinger band",
    "close breaks above the upper Bollinger band",
    "Bollinger %b below 0",
    "close above the 20-day high",
    "close below the 10-day low",
    "close makes a new 52-week high",
    "price drops 5% in 3 days",
    "price rises 10% over 5 days",
    "close rises more than 2 ATR",
    "close is 2 ATR above the 20-day SMA",
    "close within 2% of the 200-day SMA",
    "volume above its 20-day average",
    "volume is 2 times the 20-day average volume",
    "ADX(14) above 25",
    "+DI crosses above -DI",
    "CCI(20) below -100",
    "Williams %R(14) below -80",
    "MFI(14) below 20",
    "ROC(10) above 5",
    "close above the 20-day VWAP",
    "close above the upper Keltner channel (20, 2)",
    "WMA(10) crosses above WMA(30)",
    "RSI below 30 and close above the 200-day SMA",
    "RSI between 30 and 70",
    "close above the 50-day SMA for 3 days in a row",
    "3 down days in a row",
    "gaps up at least 1%",
    "bullish engulfing candle",
    "exit after 10 days",
    "stop loss 5%",
)

_KEYWORDS = (
    "rsi", "macd", "stochastic", "%k", "%d", "bollinger", "band", "atr", "adx", "cci", "roc", "volume",
    "sma", "ema", "wma", "moving average", "golden", "death", "high", "low", "drop", "rise", "cross",
    "williams", "mfi", "vwap", "keltner", "gap", "stop", "candle", "engulfing",
)  # fmt: skip
_ARGS = re.compile(r"\(([\d.\s,]+)\)")


def suggest(
    text: str, ctx: ReadContext | None = None, reason: str | None = None, *, unknown: bool = False
) -> str | None:
    """A readable phrasing close to ``text`` (see module doc), or None.

    >>> suggest("Enter when RSI is bananas")
    'RSI(14) below 30'
    >>> suggest("RSI crosess above 30")
    'RSI crosses above 30'
    """
    ctx = ctx or ReadContext()
    for candidate in _repairs(text):
        if candidate != text and _reads(candidate, ctx):
            return candidate
    # An unknown indicator has no close example: the reason says how to define it instead.
    return None if unknown else _example(text)


def _repairs(text: str) -> Iterator[str]:
    # Extra parameters: drop trailing numbers of each parenthesised group, one at a time.
    for match in _ARGS.finditer(text):
        values = [v.strip() for v in match.group(1).split(",")]
        for keep in range(len(values) - 1, 0, -1):
            yield text[: match.start(1)] + ", ".join(values[:keep]) + text[match.end(1) :]
    # Misspelt words, then a missing subject, on the rule as written and with its spelling fixed.
    for base in dict.fromkeys([text, _spelling_fixed(text)]):
        yield base
        yield from _with_subject(base)
        yield from _each_average(base)
        yield from _exit_verb(base)


# "above the 50 and 200 day moving averages": one comparison per average, as the grammar reads them.
_SHARED = re.compile(
    r"\b(above|below|over|under)\s+(?:both\s+)?(?:the\s+)?(\d+)(?:[- ]?(day|week|month|bar)s?)?\s+and\s+"
    r"(?:the\s+)?(\d+)[- ]?(day|week|month|bar)s?\s+(moving average|ma|sma|ema|wma)s?\b",
    re.IGNORECASE,
)


def _each_average(text: str) -> Iterator[str]:
    match = _SHARED.search(text)
    if match is None:
        return
    op, first, first_unit, second, unit, average = match.groups()
    line = f"{op} the {first}-{first_unit or unit} {average} and {op} the {second}-{unit} {average}"
    yield text[: match.start()] + line + text[match.end() :]


def _exit_verb(text: str) -> Iterator[str]:
    # "close after 7 bars": 'close' is the price to the grammar; the time limit is 'exit after 7 bars'.
    match = re.match(r"\s*(close|cover|liquidate|get out)\b", text, re.IGNORECASE)
    if match is not None and re.search(r"\bafter\b", text, re.IGNORECASE):
        yield "exit" + text[match.end() :]


def _spelling_fixed(text: str) -> str:
    words = sorted(grammar_words())
    fixed = text
    for match in re.finditer(r"[A-Za-z][A-Za-z']+", text):
        word = match.group()
        if known(word) or len(word) < 3:
            continue
        close = difflib.get_close_matches(word.lower(), words, n=1, cutoff=0.75)
        if close:
            fixed = fixed.replace(word, close[0], 1)
    return fixed


def _with_subject(text: str) -> Iterator[str]:
    stripped = text.strip()
    lowered = stripped.lower()
    if lowered.startswith(("new ", "a new ")):
        yield "close makes " + ("" if lowered.startswith("a ") else "a ") + stripped
    yield "close " + stripped
    yield "close is " + stripped


def _reads(text: str, ctx: ReadContext) -> bool:
    from app.services.language.errors import RuleNotUnderstood
    from app.services.language.reading import read_rule_quietly

    try:
        read_rule_quietly(text, ctx)
    except RuleNotUnderstood:
        return False
    return True


def _keywords(text: str) -> set[str]:
    lowered = text.lower()
    return {k for k in _KEYWORDS if re.search(rf"(?<![a-z]){re.escape(k)}", lowered)}


def _example(text: str) -> str | None:
    """Closest example by shared indicator words, then by spelling."""
    words = _keywords(text)
    pool = [e for e in CANONICAL_EXAMPLES if words & _keywords(e)] if words else []
    if pool:
        # Most shared indicator words first; among equals, the earlier (more typical) example.
        return max(pool, key=lambda e: (len(words & _keywords(e)), -CANONICAL_EXAMPLES.index(e)))
    ranked = sorted(CANONICAL_EXAMPLES, key=lambda e: -_ratio(text, e))
    return ranked[0] if ranked and _ratio(text, ranked[0]) > 0.3 else None


def _ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a.lower(), b.lower()).ratio()
