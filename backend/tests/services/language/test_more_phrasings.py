"""Phrasings tried after the corpus (issue 14, section 2): each either reads as written, checked against
numpy where the reading is new, or is refused; none is read as something else.

New readings: 'higher/lower than (it was) N days ago' (the subject's own past value; 'close is higher'
alone stays close > previous close), 'crosses X from below/above', 'gaps up 2% or more'.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from app.services.language import RuleNotUnderstood, read_rule
from tests.services.language import lang_reference as ref
from tests.services.language.test_misreads import arrays, entries_of

READ = [
    ("close is higher than it was 10 days ago", "close > close[10 bar(s) ago]"),
    ("close is lower than 5 days ago", "close < close[5 bar(s) ago]"),
    ("close is higher than 2 weeks ago", "close > close[10 bar(s) ago] [2 weeks = 10 daily bars]"),
    ("volume is higher than 1 day ago", "volume > volume[1 bar(s) ago]"),
    ("close lower than 5 days ago and RSI below 30", "close < close[5 bar(s) ago] and RSI(14) < 30"),
    ("close is higher", "close > close[1 bar(s) ago]"),
    ("the market closes lower three days in a row", "close < close[1 bar(s) ago] for 3 bars in a row"),
    ("RSI(14) crosses 30 from below", "RSI(14) crosses above 30"),
    ("close crosses the 50-day SMA from above", "close crosses below SMA(50)"),
    ("close crosses the lower Bollinger band from below", "close crosses above Bollinger lower(20,2)"),
    ("MACD crosses the signal line from below", "MACD(12,26,9) crosses above MACD signal(12,26,9)"),
    ("gap up of 2% or more", "open >= close[1 bar(s) ago] * 1.02"),
    ("gap down of 3% or more and RSI below 30", "open <= close[1 bar(s) ago] * 0.97 and RSI(14) < 30"),
    ("exit after 10 trading days", "exit after 10 bars (exit reason: time)"),
    ("price closes below the 20-day SMA for 2 consecutive sessions", "close < SMA(20) for 2 bars in a row"),
    ("the stock fell 8% in 10 days", "ROC(10) <= -8"),
    ("close at a 6-month high", "close is at a 126-bar high [6 months = 126 daily bars]"),
    ("close within 3% of its 52-week high",
     "close >= Highest high(252) * 0.97 and close <= Highest high(252) * 1.03 "
     "[52 weeks = 1 year = 252 daily bars]"),
    ("the 10-week moving average is rising", "SMA(50) > SMA(50)[1 bar(s) ago] [10 weeks = 50 daily bars]"),
    ("close less than 98% of the 10-day SMA", "close < 0.98 * SMA(10)"),
    ("RSI below 30 while price is above its 200-day average", "RSI(14) < 30 and close > SMA(200)"),
]  # fmt: skip


@pytest.mark.parametrize(("rule", "want"), READ, ids=[r[0] for r in READ])
def test_reads_as_written(rule: str, want: str) -> None:
    assert read_rule(rule).understood == want


# Each names another chart, symbol or session, a word the language does not know, or a line it would have
# to guess: read without it, the backtest would be of another strategy.
REFUSED = [
    "close crosses the Bollinger band from below",  # the lower or the upper band?
    "close crosses the Keltner channel from above",
    "RSI crosses 50",  # no direction
    "weekly close above the 10-week SMA",
    "monthly RSI above 50",
    "close above the 200-day SMA on the weekly chart",
    "RSI(2) below 5 on the daily chart",
    "the S&P 500 is above its 200-day SMA",
    "VIX above 20",
    "RSI(14) of SPY below 30",
    "close above the 200-day SMA of the index",
    "close above the 50-day SMA in the morning",
    "close above the 20-day SMA on high volume",
    "volume above 1 million",
    "the stock is in an uptrend",
    "close above VWAP",
]


@pytest.mark.parametrize("rule", REFUSED)
def test_is_refused_rather_than_misread(rule: str) -> None:
    with pytest.raises(RuleNotUnderstood):
        read_rule(rule)


def test_a_channel_crossed_from_below_names_the_missing_line() -> None:
    with pytest.raises(RuleNotUnderstood) as info:
        read_rule("close crosses the Bollinger band from below")
    assert "which of the channel's lines" in str(info.value.fields["reason"])


def test_the_new_readings_compute_what_they_say(sp500: pd.DataFrame) -> None:
    _, _, _, c, _ = arrays(sp500)
    lag5 = np.concatenate([np.full(5, np.nan), c[:-5]])
    np.testing.assert_array_equal(entries_of("close is lower than 5 days ago", sp500), ref.lt(c, lag5))
    rsi = ref.rsi(c, 14)
    np.testing.assert_array_equal(
        entries_of("RSI(14) crosses 30 from below", sp500), ref.cross_above(rsi, np.full_like(c, 30.0))
    )
    assert entries_of("RSI(14) crosses 30 from below", sp500).sum() > 20
