"""Every rule family in at least three phrasings, read into the expected condition.

Expectations are written as canonical descriptions (`spec.describe`), so a test reads like the rule.
"""

from __future__ import annotations

import pytest

from app.services.language import RuleNotUnderstood, parse_rule, read_rule
from app.services.language.spec import describe
from app.services.language.suggest import CANONICAL_EXAMPLES

PHRASINGS: dict[str, list[tuple[str, str]]] = {
    "price vs moving average (band)": [
        ("Enter on a 5% price drop from the 20-day moving average", "close <= SMA(20) * 0.95"),
        ("close is 5% below the 20-day SMA", "close <= SMA(20) * 0.95"),
        ("price falls 5% below its 20 day moving average", "close <= SMA(20) * 0.95"),
        ("close at least 3% above the SMA(50)", "close >= SMA(50) * 1.03"),
        ("price more than 2% above EMA(10)", "close > EMA(10) * 1.02"),
    ],
    "price vs moving average": [
        ("close crosses above the 50 EMA", "close crosses above EMA(50)"),
        ("Buy when price is above the 200-day SMA", "close > SMA(200)"),
        ("closing price breaks above SMA 100", "close crosses above SMA(100)"),
        ("close falls below the 20-day exponential moving average", "close crosses below EMA(20)"),
    ],
    "moving-average crossovers": [
        ("10-day MA crosses above 30-day MA", "SMA(10) crosses above SMA(30)"),
        ("the fast EMA(12) crosses over the slow EMA(26)", "EMA(12) crosses above EMA(26)"),
        ("SMA20 crosses under SMA50", "SMA(20) crosses below SMA(50)"),
        ("golden cross", "SMA(50) crosses above SMA(200)"),
        ("Exit on a death cross", "SMA(50) crosses below SMA(200)"),
        ("golden cross of the 20 and 50-day EMA", "EMA(20) crosses above EMA(50)"),
        ("WMA(10) crosses above WMA(30)", "WMA(10) crosses above WMA(30)"),
    ],
    "RSI": [
        ("RSI(14) below 30", "RSI(14) < 30"),
        ("RSI crosses back above 30", "RSI(14) crosses above 30"),
        ("Enter when the 14-day RSI is oversold", "RSI(14) < 30"),
        ("RSI 7 rises above 70", "RSI(7) crosses above 70"),
        ("RSI is between 40 and 60", "RSI(14) >= 40 and RSI(14) <= 60"),
    ],
    "stochastic": [
        ("stochastic %K above 80", "Stochastic %K(14,1,3) > 80"),
        ("%K crosses above %D", "Stochastic %K(14,1,3) crosses above Stochastic %D(14,1,3)"),
        ("stochastic(5, 3) %K is overbought", "Stochastic %K(5,3,3) > 80"),
        ("stoch %D drops below 20", "Stochastic %D(14,1,3) crosses below 20"),
    ],
    "MACD": [
        ("MACD crosses above the signal line", "MACD(12,26,9) crosses above MACD signal(12,26,9)"),
        ("bullish MACD crossover", "MACD(12,26,9) crosses above MACD signal(12,26,9)"),
        ("MACD(8, 21, 5) line crosses below its signal", "MACD(8,21,5) crosses below MACD signal(8,21,5)"),
        ("MACD above zero", "MACD(12,26,9) > 0"),
        ("MACD crosses below the zero line", "MACD(12,26,9) crosses below 0"),
        ("MACD histogram turns positive", "MACD histogram(12,26,9) crosses above 0"),
    ],
    "Bollinger bands": [
        ("price touches the lower Bollinger band", "low <= Bollinger lower(20,2)"),
        ("close breaks above the upper Bollinger band", "close crosses above Bollinger upper(20,2)"),
        ("close below the lower band (20, 2.5)", "close < Bollinger lower(20,2.5)"),
        ("price tags the Bollinger upper band", "high >= Bollinger upper(20,2)"),
        ("close touches the lower BB", "close <= Bollinger lower(20,2)"),
    ],
    "ATR moves": [
        ("close rises more than 2 ATR", "close - close[1 bar(s) ago] > 2 * ATR(14)"),
        ("price drops 1.5 ATR(10) in a day", "close[1 bar(s) ago] - close >= 1.5 * ATR(10)"),
        ("close is 2 ATR above the 20-day SMA", "close >= SMA(20) + 2 * ATR(14)"),
        ("close above SMA(20) + 2 * ATR(14)", "close > SMA(20) + 2 * ATR(14)"),
        ("ATR(14) above 20", "ATR(14) > 20"),
    ],
    "channel breakouts": [
        ("close above the 20-day high", "close > Highest high(20)"),
        ("price breaks above the highest high of the last 55 days", "close > Highest high(55)"),
        ("close below the 10-day low", "close < Lowest low(10)"),
        ("price makes a new 20-day high", "close > Highest close(20)"),
        ("close crosses below the lowest low of the past 10 bars", "close < Lowest low(10)"),
    ],
    "percent change over N days": [
        ("price drops 5% in 3 days", "ROC(3) <= -5"),
        ("a 10% drop in 5 days", "ROC(5) <= -10"),
        ("price rises more than 8% over 10 sessions", "ROC(10) > 8"),
        ("the 3-day change is below -5%", "ROC(3) < -5"),
        ("close gains 2% today", "ROC(1) >= 2"),
    ],
    "volume vs average": [
        ("volume above its 20-day average", "volume > Volume SMA(20)"),
        ("volume is 2 times the 20-day average volume", "volume >= 2 * Volume SMA(20)"),
        ("volume greater than 1.5x its 50-day moving average", "volume > 1.5 * Volume SMA(50)"),
        ("volume above average", "volume > Volume SMA(20)"),
    ],
    "other oscillators": [
        ("ADX(14) above 25", "ADX(14) > 25"),
        ("CCI(20) below -100", "CCI(20) < -100"),
        ("CCI crosses above -100", "CCI(20) crosses above -100"),
        ("ROC(10) above 5", "ROC(10) > 5"),
    ],
    "and / or / not": [
        ("RSI below 30 and close above the 200-day SMA", "RSI(14) < 30 and close > SMA(200)"),
        ("RSI above 30 and below 70", "RSI(14) > 30 and RSI(14) < 70"),
        ("MACD crosses above signal or RSI crosses above 30",
         "MACD(12,26,9) crosses above MACD signal(12,26,9) or RSI(14) crosses above 30"),
        ("not RSI above 70", "not (RSI(14) > 70)"),
        ("close is not above the 50-day SMA", "not (close > SMA(50))"),
        ("close above SMA(50) and (RSI below 30 or %K below 20)",
         "close > SMA(50) and (RSI(14) < 30 or Stochastic %K(14,1,3) < 20)"),
    ],
}  # fmt: skip

CASES = [(family, text, want) for family, items in PHRASINGS.items() for text, want in items]


@pytest.mark.parametrize(("family", "text", "want"), CASES, ids=[f"{c[0]}: {c[1]}" for c in CASES])
def test_phrasing_is_understood(family: str, text: str, want: str) -> None:
    assert describe(parse_rule(text)) == want


def test_every_family_has_three_phrasings() -> None:
    assert all(len(items) >= 3 for items in PHRASINGS.values())


@pytest.mark.parametrize("example", CANONICAL_EXAMPLES)
def test_suggestions_are_themselves_readable(example: str) -> None:
    read_rule(example)


def test_unreadable_rule_names_position_expected_and_suggestion() -> None:
    with pytest.raises(RuleNotUnderstood) as info:
        parse_rule("Enter when RSI is bananas", node_id="entry")
    err = info.value
    assert err.fields["position"] == 18  # the 'b' of bananas
    assert "a number" in err.fields["expected"] and "'above'" in err.fields["expected"]
    assert err.fields["suggestion"] == "RSI(14) below 30"
    assert err.message.startswith(
        "Node 'entry': could not read rule 'Enter when RSI is bananas' at position 18"
    )
    assert "Did you mean: 'RSI(14) below 30'?" in err.message
    assert err.status_code == 422


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("close crosses above the moving average", 38),  # needs a period
        ("RSI above 30 and", 16),
        ("price goes to the moon", 6),
        ("SMA(20) above SMA(50) @ close", 22),
    ],
)
def test_error_position_points_where_reading_stopped(text: str, position: int) -> None:
    with pytest.raises(RuleNotUnderstood) as info:
        parse_rule(text)
    assert info.value.fields["position"] == position
