"""The phrasing to offer when a rule cannot be read, built from the rule itself.

Repairs are tried in order, and the first that the grammar reads is offered, in the user's own words
and numbers: extra indicator parameters trimmed ("RSI(14, 3)" -> "RSI(14)"), a misspelt word replaced
by the closest word the grammar knows ("RSI crosess above 30" -> "RSI crosses above 30"), a missing
subject supplied ("new 52-week high" -> "close makes a new 52-week high"), a comparison with two averages
split in two ("above the 50 and 200 day MAs" -> "above the 50-day MA and above the 200-day MA"), a time
limit's verb ("close after 7 bars" -> "exit after 7 bars"), words the grammar's reading already implies
dropped or said its way ("gaps down more than 2% or more" -> "gaps down more than 2%", "7 percent in a
week" -> "7% in 5 days"). Only when none reads is a typical example offered, about the same indicator, in
the user's direction and with the user's numbers in place of its own ("RSI is bananas" -> "RSI(14) below
30"). A suggestion never contradicts the rule (`suggest_faithful.py`): when none keeps the user's numbers,
direction and indicators, none is offered. Every suggestion is itself read before it is offered.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator

from app.services.language.context import ReadContext
from app.services.language.suggest_faithful import OPPOSITE, faithful, polarity
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
    # A misspelt word is judged as the word it was meant to be ("crosess" is a cross).
    meant = (text, _spelling_fixed(text))
    for candidate in dict.fromkeys(_repairs(text)):
        if candidate != text and any(faithful(m, candidate) for m in meant) and _reads(candidate, ctx):
            return candidate
    # An unknown indicator has no close example: the reason says how to define it instead.
    if unknown:
        return None
    return next((e for e in _examples(text) if _reads(e, ctx)), None)


def _repairs(text: str) -> Iterator[str]:
    # Extra parameters: drop trailing numbers of each parenthesised group, one at a time.
    for match in _ARGS.finditer(text):
        values = [v.strip() for v in match.group(1).split(",")]
        for keep in range(len(values) - 1, 0, -1):
            yield text[: match.start(1)] + ", ".join(values[:keep]) + text[match.end(1) :]
    # Misspelt words, then a missing subject, on the rule as written and with its spelling fixed.
    spelled = _spelling_fixed(text)
    for base in dict.fromkeys([text, spelled, _said_its_way(text), _said_its_way(spelled)]):
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


# Words the reading already implies ("N% or more" reads as at least N%), or said as the grammar says them.
_REWRITES: tuple[tuple[str, str], ...] = (
    (r",?\s+or (?:more|larger|greater|bigger|higher|lower|less|worse|better)\b", ""),
    (r"\s+(?:at the open|today|on the day|straight|running|anymore)\b", ""),
    (r"\s+(?:decisively|sharply|strongly|clearly|convincingly)\b", ""),
    (r"(\bcross.*)\s+from (?:above|below)\b", r"\1"),
    (r"(\d)\s*(?:percent|pct)\b", r"\1%"),
    (r"\bin a (week|month|year)\b", r"in 1 \1"),
    (r"\b(?:by )?(?:over|greater than)\s+(\d+(?:\.\d+)?%)", r"more than \1"),
    (r"\bgaps? (?:up|down) (above|below)\b", r"opens \1"),
    (r"\bgaps? lower\b", "gaps down"),
    (r"\bgaps? higher\b", "gaps up"),
    (r"\b(?:hits|makes|sets|prints) a (?:fresh|new)\b", "makes a new"),
    (r"\bless than (\d+(?:\.\d+)?%) away from\b", r"within \1 of"),
    (r"\b(?:slopes?|sloping|is rising|rises|trends?) (?:(?:upward|upwards|up) )?"
     r"over (\d+) (days|bars|weeks)\b",
     r"higher than \1 \2 ago"),
    (r"\b(?:slopes?|sloping|is falling|falls|trends?) (?:(?:downward|downwards|down) )?"
     r"over (\d+) (days|bars|weeks)\b",
     r"lower than \1 \2 ago"),
    (r"\b(?:take profit|profit target)(?: at)? (\d+(?:\.\d+)?%)(?: gain| profit)?", r"take profit \1"),
    (r"^\s*(?:sell|exit|get out)(?: if| when)? (?:price |the price |it )?"
     r"(?:falls|drops|is down|down|declines) "
     r"(\d+(?:\.\d+)?%) (?:from|below) (?:the )?(?:entry|buy|purchase)(?: price)?\s*$", r"stop loss \1"),
)  # fmt: skip


def _said_its_way(text: str) -> str:
    for pattern, replacement in _REWRITES:
        text = re.sub(pattern, replacement, text, flags=re.IGNORECASE)
    return text


def _spelling_fixed(text: str) -> str:
    words = sorted(grammar_words())
    fixed = text
    for match in re.finditer(r"[A-Za-z][A-Za-z']+", text):
        word = match.group()
        # Three letters or fewer is a name, not a typo ("HMA" is not a misspelt "MA").
        if known(word) or len(word) <= 3:
            continue
        close = difflib.get_close_matches(word.lower(), words, n=1, cutoff=0.75)
        if close:
            fixed = fixed.replace(word, close[0], 1)
    return fixed


def _with_subject(text: str) -> Iterator[str]:
    stripped = text.strip()
    lowered = stripped.lower()
    if lowered.startswith("makes "):
        yield "close " + stripped
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


# A lookback with no number ("all-time") has no example that keeps it.
_UNNUMBERED = re.compile(r"\b(all[- ]time|ever|record)\b", re.IGNORECASE)


def _examples(text: str) -> Iterator[str]:
    """Examples about the same indicator, most shared words first, in the user's direction and numbers."""
    if _UNNUMBERED.search(text):
        return
    words = _keywords(text)
    pool = [e for e in CANONICAL_EXAMPLES if words & _keywords(e)] if words else []
    pool.sort(key=lambda e: (-len(words & _keywords(e)), CANONICAL_EXAMPLES.index(e)))
    bare = _PARENS.sub(lambda m: " " * len(m.group()), text)
    numbers = list(_NUMBERS.finditer(bare))
    # Examples already in the user's direction before those turned to it ("RSI is overbought" is offered
    # "RSI above 70", not "RSI(14) below 30" turned to "RSI(14) above 30").
    for turn in (False, True):
        for example in pool:
            shaped = _shaped(example, bare, numbers, polarity(text) if turn else set())
            if shaped is not None and faithful(text, shaped, example=True) and _same_subject(text, shaped):
                yield shaped


_SUBJECT = re.compile(
    r"^\W*(?:(?:enter|buy|sell|exit|when|if|on)\s+)*(close|price|open|volume|gap)s?\b", re.I
)


def _same_subject(text: str, example: str) -> bool:
    """A rule that starts from a price keeps it: 'close crosses below the' is not offered 'death cross'."""
    wanted = _SUBJECT.match(text)
    if wanted is None:
        return True
    subject = wanted.group(1).lower()
    found = {"price": "close"}.get(subject, subject)
    return re.search(rf"\b({found}|{subject})s?\b", example, re.I) is not None


_NUMBERS = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?")
_PARENS = re.compile(r"\([^)]*\)")


def _shaped(example: str, text: str, numbers: list[re.Match[str]], direction: set[int]) -> str | None:
    """The example with the user's numbers in place of its own, each in a place of the same kind (a
    percent for a percent, a lookback for a lookback; None when they do not match), and turned to the
    user's direction when the user wrote only one."""
    if numbers:
        spans = [m for m in _NUMBERS.finditer(example) if not _in_parens(example, m.start())]
        if [_role(example, m.end()) for m in spans] != [_role(text, m.end()) for m in numbers]:
            return None
        for match, number in zip(reversed(spans), reversed(numbers), strict=True):
            example = example[: match.start()] + number.group() + example[match.end() :]
    if len(direction) == 1 and polarity(example) == {-next(iter(direction))}:
        example = re.sub(r"[a-z]+", lambda m: OPPOSITE.get(m.group(), m.group()), example)
    return example


_ROLES = (
    ("%", re.compile(r"\s*(%|percent|pct)", re.IGNORECASE)),
    # A lookback keeps its unit: '52-week' is not put in a '10-day' slot.
    ("days", re.compile(r"\s*[- ]?\s*(day|bar|session)", re.IGNORECASE)),
    ("weeks", re.compile(r"\s*[- ]?\s*week", re.IGNORECASE)),
    ("months", re.compile(r"\s*[- ]?\s*month", re.IGNORECASE)),
    ("years", re.compile(r"\s*[- ]?\s*year", re.IGNORECASE)),
    ("atr", re.compile(r"\s*atr", re.IGNORECASE)),
    ("times", re.compile(r"\s*(x\b|times)", re.IGNORECASE)),
)


def _role(text: str, end: int) -> str:
    """What a number is, from the word after it: a percent, a lookback, an ATR multiple, a factor, a value."""
    return next((name for name, after in _ROLES if after.match(text, end)), "value")


def _in_parens(text: str, index: int) -> bool:
    return text.rfind("(", 0, index) > text.rfind(")", 0, index)
