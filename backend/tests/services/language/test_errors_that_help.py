"""Issue 14, section 3: an unknown indicator is named with the list of known ones; the suggestion is the
user's own rule, repaired by the grammar (their words and numbers kept), and always itself readable."""

from __future__ import annotations

import doctest
import importlib

import pytest

from app.services.language import RuleNotUnderstood, read_rule
from app.services.language.catalog import known_names


@pytest.mark.parametrize(
    ("rule", "name"),
    [
        ("close crosses above the Parabolic SAR", "Parabolic SAR"),
        ("close above Supertrend(10, 3)", "Supertrend"),
        ("HMA(20) crosses above HMA(50)", "HMA"),
        ("price above the Ichimoku cloud", "Ichimoku cloud"),
        ("KAMA(10) rising", "KAMA"),
    ],
)
def test_an_unknown_indicator_is_named_with_the_known_ones(rule: str, name: str) -> None:
    with pytest.raises(RuleNotUnderstood) as info:
        read_rule(rule)
    err = info.value
    assert err.fields["unknown"] == name
    assert err.fields["position"] == rule.index(name)
    reason = str(err.fields["reason"])
    assert f"'{name}' is not an indicator the language knows" in reason
    assert all(known in reason for known in known_names())
    assert "custom indicator" in reason


SUGGESTIONS = [
    ("new 52-week high", "close makes a new 52-week high"),
    ("RSI crosess above 30", "RSI crosses above 30"),
    ("RSI(14, 3) below 30", "RSI(14) below 30"),
    ("MACD(12,26,9,5) crosses above the signal line", "MACD(12, 26, 9) crosses above the signal line"),
    ("crosses above the 50-day SMA", "close crosses above the 50-day SMA"),
    ("above the 200-day moving averge", "close above the 200-day moving average"),
    ("close above the 50 and 200 day moving averages",
     "close above the 50-day moving average and above the 200-day moving average"),
    ("price is above both the 20-day and 50-day SMAs",
     "price is above the 20-day SMA and above the 50-day SMA"),
    ("close after 7 bars", "exit after 7 bars"),
    ("close above both the 50 and 200 day moving averages",
     "close above the 50-day moving average and above the 200-day moving average"),
]  # fmt: skip


@pytest.mark.parametrize(("rule", "suggestion"), SUGGESTIONS, ids=[s[0] for s in SUGGESTIONS])
def test_the_suggestion_repairs_the_users_own_rule(rule: str, suggestion: str) -> None:
    with pytest.raises(RuleNotUnderstood) as info:
        read_rule(rule)
    assert info.value.fields["suggestion"] == suggestion
    read_rule(suggestion)


@pytest.mark.parametrize(
    "rule",
    ["Enter when RSI is bananas", "price goes to the moon", "SMA(20) above SMA(50) @ close", "stochastic lol",
     "volume above", "close crosses", "golden cross of the 20 and", "Bollinger band(20, 2, 5) above close"],
)  # fmt: skip
def test_any_suggestion_is_itself_readable(rule: str) -> None:
    with pytest.raises(RuleNotUnderstood) as info:
        read_rule(rule)
    suggestion = info.value.fields["suggestion"]
    if suggestion is not None:
        read_rule(suggestion)


@pytest.mark.parametrize(
    "module",
    [
        "__init__",
        "lexer",
        "reading",
        "describe",
        "checks",
        "custom",
        "indicators",
        "suggest",
        "suggest_faithful",
        "spec",
        "errors",
    ],
)
def test_the_language_docstring_examples_hold(module: str) -> None:
    result = doctest.testmod(
        importlib.import_module(f"app.services.language.{module}".replace(".__init__", ""))
    )
    assert result.failed == 0 and result.attempted > 0
