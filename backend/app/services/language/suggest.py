"""The closest phrasing the grammar understands, offered when a rule cannot be read.

Examples that share an indicator word with the rule are preferred ("RSI is bananas" is answered with an
RSI example), then `difflib` picks the most similar text. Every example is itself tested to parse.
"""

from __future__ import annotations

import difflib
import re

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
    "stochastic %K above 80",
    "stochastic %K crosses above %D",
    "MACD crosses above the signal line",
    "MACD crosses below zero",
    "MACD histogram turns positive",
    "price touches the lower Bollinger band",
    "close breaks above the upper Bollinger band",
    "close above the 20-day high",
    "close below the 10-day low",
    "price drops 5% in 3 days",
    "price rises 10% over 5 days",
    "close rises more than 2 ATR",
    "close is 2 ATR above the 20-day SMA",
    "volume above its 20-day average",
    "volume is 2 times the 20-day average volume",
    "ADX(14) above 25",
    "CCI(20) below -100",
    "ROC(10) above 5",
    "WMA(10) crosses above WMA(30)",
    "RSI below 30 and close above the 200-day SMA",
    "RSI between 30 and 70",
)

_KEYWORDS = (
    "rsi", "macd", "stochastic", "%k", "%d", "bollinger", "band", "atr", "adx", "cci", "roc", "volume",
    "sma", "ema", "wma", "moving average", "golden", "death", "high", "low", "drop", "rise", "cross",
)  # fmt: skip


def _keywords(text: str) -> set[str]:
    lowered = text.lower()
    return {k for k in _KEYWORDS if re.search(rf"(?<![a-z]){re.escape(k)}", lowered)}


def suggest(text: str) -> str | None:
    """Closest example by shared indicator words, then by spelling.

    >>> suggest("Enter when RSI is bananas")
    'RSI(14) below 30'
    """
    words = _keywords(text)
    pool = [e for e in CANONICAL_EXAMPLES if words & _keywords(e)] if words else []
    if pool:
        # Most shared indicator words first; among equals, the earlier (more typical) example.
        return max(pool, key=lambda e: (len(words & _keywords(e)), -CANONICAL_EXAMPLES.index(e)))
    ranked = sorted(CANONICAL_EXAMPLES, key=lambda e: -_ratio(text, e))
    return ranked[0] if ranked and _ratio(text, ranked[0]) > 0.3 else None


def _ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a.lower(), b.lower()).ratio()
