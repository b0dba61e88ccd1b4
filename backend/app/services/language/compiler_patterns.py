"""Candle patterns: the formula of each, as code and as words (docs/language.md shows the same text).

All use the bar's open/high/low/close and the previous bar's; "body" is |close - open|, "range" is
high - low, the shadows are what the range holds above and below the body.
"""

from __future__ import annotations

import textwrap

from app.services.language.spec import PatternName

# name -> (formula in words, pandas expression: its parts are AND-ed)
PATTERN_FORMULAS: dict[PatternName, tuple[str, str]] = {
    "bullish_engulfing": (
        "the previous bar is black (close < open), this one white (close > open), and this body covers the "
        "previous one: open <= previous close and close >= previous open, at least one strictly (TA-Lib's "
        "CDLENGULFING rule)",
        "(close.shift(1) < open_price.shift(1)) & (close > open_price) & (open_price <= close.shift(1)) "
        "& (close >= open_price.shift(1)) & ((open_price < close.shift(1)) | (close > open_price.shift(1)))",
    ),
    "bearish_engulfing": (
        "the mirror image: previous bar white, this one black, open >= previous close and close <= previous "
        "open, at least one strictly",
        "(close.shift(1) > open_price.shift(1)) & (close < open_price) & (open_price >= close.shift(1)) "
        "& (close <= open_price.shift(1)) & ((open_price > close.shift(1)) | (close < open_price.shift(1)))",
    ),
    "inside_bar": (
        "high below the previous high and low above the previous low",
        "(high < high.shift(1)) & (low > low.shift(1))",
    ),
    "outside_bar": (
        "high above the previous high and low below the previous low",
        "(high > high.shift(1)) & (low < low.shift(1))",
    ),
    "nr4": (
        "the range (high - low) is narrower than each of the 3 bars before (Crabel)",
        "(high - low) < (high - low).shift(1).rolling(3).min()",
    ),
    "nr7": (
        "the range (high - low) is narrower than each of the 6 bars before (Crabel)",
        "(high - low) < (high - low).shift(1).rolling(6).min()",
    ),
    "hammer": (
        "lower shadow at least twice the body and upper shadow at most 10% of the range (no trend "
        "condition: add one, e.g. 'and close below the 20-day SMA')",
        "((high - low) > 0) & ((np.minimum(open_price, close) - low) >= 2 * (close - open_price).abs()) "
        "& ((high - np.maximum(open_price, close)) <= 0.1 * (high - low))",
    ),
    "shooting_star": (
        "upper shadow at least twice the body and lower shadow at most 10% of the range",
        "((high - low) > 0) & ((high - np.maximum(open_price, close)) >= 2 * (close - open_price).abs()) "
        "& ((np.minimum(open_price, close) - low) <= 0.1 * (high - low))",
    ),
    "doji": (
        "body at most 10% of the bar's own range (TA-Lib compares with the average range of 10 bars)",
        "((high - low) > 0) & ((close - open_price).abs() <= 0.1 * (high - low))",
    ),
}


def pattern_lines(names: list[PatternName]) -> list[str]:
    lines: list[str] = []
    if names:
        lines += ["", "# Candle patterns"]
    for name in names:
        words, code = PATTERN_FORMULAS[name]
        lines += ["# " + line for line in textwrap.wrap(f"{name}: {words}", 106, subsequent_indent="  ")]
        parts = code.split(" & ")
        lines += [f"{name} = (", f"    {parts[0]}", *(f"    & {part}" for part in parts[1:]), ")"]
    return lines
