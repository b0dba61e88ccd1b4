"""Issue 14, section 2: every family of common rules, in at least five phrasings, read into the expected
canonical line (the `understood` the API and the builder show). Values are checked against numpy in
test_indicators_reference.py and, for whole rules, by the corpus test.
"""

from __future__ import annotations

import pytest

from app.services.language import ReadContext, RuleNotUnderstood, read_rule

FAMILIES: dict[str, list[tuple[str, str]]] = {
    "time exits": [
        ("exit after 5 bars", "exit after 5 bars (exit reason: time)"),
        ("sell after 10 days", "exit after 10 bars (exit reason: time)"),
        ("hold for 20 trading days", "exit after 20 bars (exit reason: time)"),
        ("close the position after 3 weeks",
         "exit after 15 bars (exit reason: time) [3 weeks = 15 daily bars]"),
        ("exit when RSI(2) > 70 or after 10 days, whichever comes first",
         "RSI(2) > 70, or exit after 10 bars (exit reason: time), whichever comes first"),
        ("time stop of 8 bars", "exit after 8 bars (exit reason: time)"),
        ("after 7 days in the trade", "exit after 7 bars (exit reason: time)"),
    ],
    "persistence": [
        ("close above the 50-day SMA for 5 consecutive days", "close > SMA(50) for 5 bars in a row"),
        ("closes above the upper Bollinger band for two days",
         "close > Bollinger upper(20,2) for 2 bars in a row"),
        ("3 down days in a row", "close < close[1 bar(s) ago] for 3 bars in a row"),
        ("lower lows 3 days in a row", "low < low[1 bar(s) ago] for 3 bars in a row"),
        ("MACD histogram decreasing for 3 bars",
         "MACD histogram(12,26,9) < MACD histogram(12,26,9)[1 bar(s) ago] for 3 bars in a row"),
        ("higher highs for 2 consecutive days", "high > high[1 bar(s) ago] for 2 bars in a row"),
        ("two closes in a row below the lower Bollinger band",
         "close < Bollinger lower(20,2) for 2 bars in a row"),
        ("the market closes lower three days in a row", "close < close[1 bar(s) ago] for 3 bars in a row"),
    ],
    "N-day, N-week and 52-week highs and lows": [
        ("close makes a new 52-week high", "close > Highest close(252) [52 weeks = 1 year = 252 daily bars]"),
        ("close is a 20-day low", "close is at a 20-bar low"),
        ("highest close of the previous 20 days", "close > Highest close(20)"),
        ("highest volume in 20 days", "volume is at a 20-bar high"),
        ("price hits a new 6-month high", "close > Highest close(126) [6 months = 126 daily bars]"),
        ("close is at a 10-week low", "close is at a 50-bar low [10 weeks = 50 daily bars]"),
        ("the stock closes at a 7-day low", "close is at a 7-bar low"),
        ("high makes a new 20-day high", "high > Highest high(20)"),
        ("RSI(14) makes a new 20-day low", "RSI(14) < Lowest(20) of RSI(14)"),
    ],
    "percent change": [
        ("up 5% over 10 days", "ROC(10) >= 5"),
        ("down 10% in the last 5 days", "ROC(5) <= -10"),
        ("10-day rate of change above 5", "ROC(10) > 5"),
        ("close is down 3% from yesterday", "ROC(1) <= -3"),
        ("12-month momentum is positive", "ROC(252) > 0 [12 months = 252 daily bars]"),
        ("price rises 8% in 2 weeks", "ROC(10) >= 8 [2 weeks = 10 daily bars]"),
        ("down more than 10% in 5 days", "ROC(5) < -10"),
    ],
    "gaps": [
        ("gaps up at least 1%", "open >= close[1 bar(s) ago] * 1.01"),
        ("opens above yesterday's high", "open > high[1 bar(s) ago]"),
        ("gap down of more than 2%", "open < close[1 bar(s) ago] * 0.98"),
        ("the stock gaps up", "open > high[1 bar(s) ago]"),
        ("open is 2% below the previous close", "open <= close[1 bar(s) ago] * 0.98"),
        ("gap up by more than 0.5%", "open > close[1 bar(s) ago] * 1.005"),
        ("gap up of 2% or more", "open >= close[1 bar(s) ago] * 1.02"),
    ],
    "candle patterns": [
        ("bullish engulfing candle", "bullish engulfing candle"),
        ("bearish engulfing pattern", "bearish engulfing candle"),
        ("inside bar", "inside bar"),
        ("outside day", "outside bar"),
        ("NR7", "NR7 (narrowest range of 7 bars)"),
        ("NR4", "NR4 (narrowest range of 4 bars)"),
        ("hammer candle", "hammer candle"),
        ("doji", "doji candle"),
        ("shooting star", "shooting star candle"),
        ("inside day and close above the 200-day SMA", "inside bar and close > SMA(200)"),
    ],
    "VWAP, Williams %R, MFI, +DI/-DI": [
        ("close above the 20-day VWAP", "close > VWAP(20)"),
        ("close crosses below VWAP(10)", "close crosses below VWAP(10)"),
        ("Williams %R(14) below -80", "Williams %R(14) < -80"),
        ("Williams %R crosses above -20", "Williams %R(14) crosses above -20"),
        ("%R(10) above -50", "Williams %R(10) > -50"),
        ("MFI(14) below 20", "MFI(14) < 20"),
        ("Money Flow Index crosses above 80", "MFI(14) crosses above 80"),
        ("money flow index is oversold", "MFI(14) < 20"),
        ("+DI crosses above -DI", "+DI(14) crosses above -DI(14)"),
        ("DI+ above DI-", "+DI(14) > -DI(14)"),
        ("plus DI(10) above minus DI(10)", "+DI(10) > -DI(10)"),
    ],
    "Keltner, Donchian, Bollinger %b, bandwidth and squeeze": [
        ("close above the upper Keltner channel (20, 2)", "close > Keltner upper(20,2)"),
        ("close below the lower Keltner band", "close < Keltner lower(20,2)"),
        ("close breaks above the 20-day Donchian channel", "close > Highest high(20)"),
        ("close crosses below the Donchian channel(20) midline", "close crosses below Donchian middle(20)"),
        ("close below the lower Donchian channel (55)", "close < Lowest low(55)"),
        ("%b below 0", "Bollinger %b(20,2) < 0"),
        ("Bollinger %B crosses above 0.8", "Bollinger %b(20,2) crosses above 0.8"),
        ("Bollinger bandwidth below 5%", "Bollinger bandwidth(20,2) < 0.05"),
        ("Bollinger squeeze", "Bollinger bandwidth(20,2) is at a 126-bar low [6 months = 126 daily bars]"),
        ("Bollinger Bands (20,2) are inside the Keltner Channel (20, 1.5)",
         "Bollinger upper(20,2) < Keltner upper(20,1.5) and Bollinger lower(20,2) > Keltner lower(20,1.5)"),
        ("TTM squeeze",
         "Bollinger upper(20,2) < Keltner upper(20,1.5) and Bollinger lower(20,2) > Keltner lower(20,1.5)"),
    ],
    "proximity and ratios": [
        ("within 2% of the 50-day SMA", "close >= SMA(50) * 0.98 and close <= SMA(50) * 1.02"),
        ("price is within 1 ATR of the 20-day EMA",
         "close >= EMA(20) - 1 * ATR(14) and close <= EMA(20) + 1 * ATR(14)"),
        ("ATR/close below 3%", "ATR(14) / close < 0.03"),
        ("ATR(14) is less than 2% of the close", "ATR(14) < 0.02 * close"),
        ("today's range is greater than 2 times ATR(10)", "high - low > 2 * ATR(10)"),
        ("close / SMA(200) above 1.05", "close / SMA(200) > 1.05"),
        ("volume more than twice the 50-day average volume", "volume > 2 * Volume SMA(50)"),
        ("close in the bottom 20% of the day's range", "(close - low) / (high - low) < 0.2"),
    ],
    "slope": [
        ("SMA(50) is rising", "SMA(50) > SMA(50)[1 bar(s) ago]"),
        ("the 50-day EMA is falling", "EMA(50) < EMA(50)[1 bar(s) ago]"),
        ("ADX rising for 5 days", "ADX(14) > ADX(14)[1 bar(s) ago] for 5 bars in a row"),
        ("the 200-day moving average is higher than it was 20 days ago",
         "SMA(200) > SMA(200)[20 bar(s) ago]"),
        ("RSI(14) is above 50 and rising", "RSI(14) > 50 and RSI(14) > RSI(14)[1 bar(s) ago]"),
        ("MACD histogram is increasing", "MACD histogram(12,26,9) > MACD histogram(12,26,9)[1 bar(s) ago]"),
        ("EMA(20) sloping up", "EMA(20) > EMA(20)[1 bar(s) ago]"),
    ],
    "abbreviations and signs": [
        ("20d MA rising", "SMA(20) > SMA(20)[1 bar(s) ago]"),
        ("close above SMA50", "close > SMA(50)"),
        ("CCI crosses above +100", "CCI(20) crosses above 100"),
        ("price closes above the 50dma", "close > SMA(50)"),
        ("close below EMA 21", "close < EMA(21)"),
        ("SMA50 > SMA200", "SMA(50) > SMA(200)"),
        ("MA(50) > MA(200)", "SMA(50) > SMA(200)"),
        ("close above SMA(20) - 2 * ATR(14)", "close > SMA(20) - 2 * ATR(14)"),
    ],
    "connectives": [
        ("RSI(14) > 55 but only if close > SMA(200)", "RSI(14) > 55 and close > SMA(200)"),
        ("RSI(2) < 10 while close > SMA(200)", "RSI(2) < 10 and close > SMA(200)"),
        ("either RSI(14) below 30 or close below the lower Bollinger band",
         "RSI(14) < 30 or close < Bollinger lower(20,2)"),
        ("RSI below 30 when close is above the 200-day SMA", "RSI(14) < 30 and close > SMA(200)"),
        ("RSI below 30 as long as close above the 200-day SMA", "RSI(14) < 30 and close > SMA(200)"),
        ("RSI below 30 provided close above SMA(200)", "RSI(14) < 30 and close > SMA(200)"),
    ],
    "a price field touching a line": [
        ("low touches the 20 EMA", "low <= EMA(20) and high >= EMA(20)"),
        ("high touches the upper Bollinger band",
         "low <= Bollinger upper(20,2) and high >= Bollinger upper(20,2)"),
        ("price touches the 50-day SMA", "low <= SMA(50) and high >= SMA(50)"),
        ("low touches the lower Keltner channel",
         "low <= Keltner lower(20,2) and high >= Keltner lower(20,2)"),
        ("close touches the lower Bollinger band", "close <= Bollinger lower(20,2)"),
        ("low tests the 200-day SMA", "low <= SMA(200) and high >= SMA(200)"),
    ],
    "stops written as rules": [
        ("stop loss 5%", "stop-loss 5% from the entry (stop_loss node)"),
        ("10% trailing stop", "trailing stop 10% from the best price since entry (trailing_stop node)"),
        ("take profit at 10%", "take-profit 10% from the entry (take_profit node)"),
        ("3 ATR trailing stop",
         "trailing stop 3 x ATR(14) from the best price since entry (trailing_stop node)"),
        ("stop at 2 x ATR(20)", "stop-loss 2 x ATR(20) from the entry (stop_loss node)"),
        ("profit target of 3 ATR", "take-profit 3 x ATR(14) from the entry (take_profit node)"),
        ("stop-loss at 7% below entry", "stop-loss 7% from the entry (stop_loss node)"),
        ("trailing stop loss of 12%",
         "trailing stop 12% from the best price since entry (trailing_stop node)"),
    ],
}  # fmt: skip

CASES = [(family, text, want) for family, items in FAMILIES.items() for text, want in items]


@pytest.mark.parametrize(("family", "text", "want"), CASES, ids=[f"{c[0]}: {c[1]}" for c in CASES])
def test_phrasing_is_understood(family: str, text: str, want: str) -> None:
    assert read_rule(text).understood == want


def test_every_family_has_five_phrasings() -> None:
    assert all(len(items) >= 5 for items in FAMILIES.values())


UNITS = [
    ("1wk", "close makes a new 52-week high", "close > Highest close(52)"),
    ("1wk", "close above the 40-week moving average", "close > SMA(40)"),
    ("1wk", "close above the 20-day SMA", "close > SMA(4) [20 days = 4 weekly bars]"),
    ("1wk", "close above the 10-month SMA", "close > SMA(43) [10 months ≈ 43 weekly bars]"),
    ("1mo", "close above the 2-year SMA", "close > SMA(24) [2 years = 24 monthly bars]"),
    ("1d", "close above the 40-week moving average", "close > SMA(200) [40 weeks = 200 daily bars]"),
    ("1d", "price above the 10-month moving average", "close > SMA(210) [10 months = 210 daily bars]"),
    ("1h", "close above the 20-bar SMA", "close > SMA(20)"),
]


@pytest.mark.parametrize(("timeframe", "text", "want"), UNITS, ids=[f"{u[0]}: {u[1]}" for u in UNITS])
def test_time_units_are_converted_by_the_bar_interval(timeframe: str, text: str, want: str) -> None:
    assert read_rule(text, context=ReadContext(timeframe=timeframe)).understood == want


@pytest.mark.parametrize(
    ("timeframe", "text", "reason"),
    [
        ("1wk", "close above the 7-day SMA", "7 days is not a whole number of weekly bars"),
        ("1h", "close above the 20-day SMA", "20 days has no fixed number of hourly bars"),
        ("1mo", "close above the 3-week SMA", "is not a whole number of monthly bars"),
    ],
)
def test_a_unit_without_a_whole_number_of_bars_is_refused(timeframe: str, text: str, reason: str) -> None:
    with pytest.raises(RuleNotUnderstood) as info:
        read_rule(text, context=ReadContext(timeframe=timeframe))
    assert reason in str(info.value.fields["reason"])
