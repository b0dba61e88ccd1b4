"""Whether a suggested phrasing keeps what the user wrote: a suggestion may repair the wording, never the
meaning. It must keep every number the user wrote outside an indicator's parameters (a week may become
5 days, a month 21, a year 252) and add none of its own, keep the direction (up/down, above/below,
high/low, bullish/bearish), keep a cross a cross and a negation a negation, and name the same indicators.

>>> faithful("gaps down more than 2% or more", "gaps down more than 2%")
True
>>> faithful("gaps down more than 2% or more", "gaps up at least 1%")
False
"""

from __future__ import annotations

import re
from collections import Counter

_UP = frozenset((
    "up", "upward", "upwards", "rise", "rises", "rising", "rose", "rally", "rallies", "climbs", "climb",
    "gains", "gain", "higher", "increase", "increases", "above", "exceeds", "exceed", "bullish",
    "green", "white", "positive", "high", "highs", "highest", "top", "upper", "golden", "overbought",
))  # fmt: skip
_DOWN = frozenset((
    "down", "downward", "downwards", "drop", "drops", "dropping", "fall", "falls", "falling", "fell",
    "decline", "declines", "declining", "sinks", "lower", "decrease", "decreases", "below", "under",
    "beneath", "bearish", "red", "black", "negative", "low", "lows", "lowest", "bottom", "death",
    "oversold",
))  # fmt: skip
OPPOSITE: dict[str, str] = {
    "up": "down", "above": "below", "rises": "falls", "rise": "drop", "high": "low", "higher": "lower",
    "bullish": "bearish", "upper": "lower", "golden": "death", "positive": "negative", "drops": "rises",
    "drop": "rise", "highest": "lowest",
}  # fmt: skip
OPPOSITE |= {b: a for a, b in list(OPPOSITE.items())}
_CROSS = re.compile(r"\bcross(es|ed|ing|over|overs)?\b|\bcrossover", re.IGNORECASE)
_NEGATION = re.compile(r"\b(not|no|never|without|fails?)\b|n't\b", re.IGNORECASE)
# Named indicators: a suggestion names the same ones ("HMA" must not become "MA").
_INDICATORS = frozenset((
    "rsi", "macd", "stochastic", "bollinger", "atr", "adx", "cci", "roc", "wma", "ema", "sma", "vwap",
    "keltner", "williams", "mfi", "obv", "di", "engulfing", "hammer", "doji", "star", "harami", "golden",
    "death",
))  # fmt: skip
_UNIT = {"week": 5, "month": 21, "year": 252}
_QUANTITY = re.compile(
    r"(?<![\w.])(-?\d+(?:\.\d+)?)(?:\s*[- ]?\s*(week|month|year)s?\b)?|\ba (week|month|year)\b", re.IGNORECASE
)
_PARENS = re.compile(r"\([^)]*\)")


def faithful(text: str, candidate: str, *, example: bool = False) -> bool:
    """True when ``candidate`` keeps ``text``'s numbers, direction, crosses, negation and indicators.

    An ``example`` may name another line of the same indicator ('%K', '%D'), or any indicator when the
    user named none, and, when the user wrote no number, bring its own (the family's shape: there is no
    number of the user's to contradict)."""
    return (
        (_numbers_kept(text, candidate) or (example and not quantities(text)))
        and _direction_kept(text, candidate)
        and bool(_CROSS.search(text)) == bool(_CROSS.search(candidate))
        and bool(_NEGATION.search(text)) == bool(_NEGATION.search(candidate))
        and _indicators_kept(text, candidate, example)
    )


def quantities(text: str, *, in_parens: bool = True) -> list[frozenset[float]]:
    """Each number written (with what its unit makes of it in days), parameters included or not."""
    source = text if in_parens else _PARENS.sub(" ", text)
    found = []
    for match in _QUANTITY.finditer(source):
        value = float(match.group(1)) if match.group(1) else 1.0
        unit = (match.group(2) or match.group(3) or "").lower()
        found.append(frozenset({abs(value), abs(value) * _UNIT[unit]} if unit else {abs(value)}))
    return found


def _numbers_kept(text: str, candidate: str) -> bool:
    allowed = quantities(text)
    offered = quantities(candidate)
    # Every number the user wrote outside parameters is in the candidate, each matched once.
    remaining = Counter(offered)
    for wanted in quantities(text, in_parens=False):
        match = next((o for o in remaining if remaining[o] and o & wanted), None)
        if match is None:
            return False
        remaining[match] -= 1
    # And the candidate brings no number of its own.
    return all(any(o & a for a in allowed) for o in offered)


def polarity(text: str) -> set[int]:
    words = re.findall(r"[a-z]+", text.lower())
    return {1 for w in words if w in _UP} | {-1 for w in words if w in _DOWN}


def _direction_kept(text: str, candidate: str) -> bool:
    user = polarity(text)
    if user and not polarity(candidate) <= user:
        return False
    # A rule with both directions ("crosses back under 70 from above") keeps which way it crosses.
    return _cross_direction(candidate) in (_cross_direction(text), None)


def _cross_direction(text: str) -> int | None:
    match = _CROSS.search(text)
    if match is None:
        return None
    after = polarity_words(text[match.end() :])
    return after[0] if after else None


def polarity_words(text: str) -> list[int]:
    """The direction of each direction word, in order."""
    words = re.findall(r"[a-z]+", text.lower())
    return [1 if w in _UP else -1 for w in words if w in _UP or w in _DOWN]


def indicators(text: str) -> set[str]:
    lowered = re.sub(r"moving averages?|\bma\b|\bmas\b", "sma", text.lower())
    found = {k for k in _INDICATORS if re.search(rf"(?<![a-z]){k}s?(?![a-z])", lowered)}
    return found | ({"%k"} if "%k" in lowered else set()) | ({"%d"} if "%d" in lowered else set())


def _indicators_kept(text: str, candidate: str, example: bool) -> bool:
    user, offered = indicators(text), indicators(candidate)
    if example:
        # An example may fill in an indicator the user left out, never swap one the user named.
        return not user or (user <= offered and offered - user <= {"%k", "%d"})
    return user == offered
