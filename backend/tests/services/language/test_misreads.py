"""Issue 14, section 1: the misreads found by the probe, each a regression test against numpy on real bars.

- "its N-day average" averages the subject (RSI, ATR, CCI, ADX, volume, the MACD histogram), not the close;
- more parameters than an indicator takes are refused, naming its parameters;
- the stochastic reads (length, %K smoothing, %D smoothing) and shows all three;
- a reading never drops a number the user wrote;
- a negation never fires while an operand has no value (warm-up).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from app.services.language import RuleNotUnderstood, build_spec, compile_spec, parse_graph, read_rule
from app.services.language.lexer import tokenize
from app.services.language.reading import Reading, _check_numbers
from tests.services.language import lang_reference as ref
from tests.services.language import lang_reference_families as fam
from tests.services.language.corpus_check import signal_section
from tests.services.language.helpers import Params, run_code


def entries_of(rule: str, frame: pd.DataFrame) -> np.ndarray:
    graph = {"nodes": [{"id": "e", "type": "entry_condition", "meta": {"rules": [rule]}}]}
    code = compile_spec(build_spec(parse_graph(graph), Params()))
    namespace: dict[str, Any] = run_code(signal_section(code), {"SPX": frame})
    return namespace["entries"]["SPX"].to_numpy()


def arrays(frame: pd.DataFrame) -> tuple[np.ndarray, ...]:
    return tuple(frame[c].to_numpy() for c in ("Open", "High", "Low", "Close", "Volume"))


# -- "its N-day average" averages the subject ---------------------------------------------------------

AVERAGED = [
    ("RSI above its 9-day average", "RSI(14) > SMA(9) of RSI(14)",
     lambda o, h, lo, c, v: ref.gt(ref.rsi(c, 14), ref.sma(ref.rsi(c, 14), 9))),
    ("ATR(14) is above its 50-day average", "ATR(14) > SMA(50) of ATR(14)",
     lambda o, h, lo, c, v: ref.gt(ref.atr(h, lo, c, 14), ref.sma(ref.atr(h, lo, c, 14), 50))),
    ("MACD histogram above its 5-day average", "MACD histogram(12,26,9) > SMA(5) of MACD histogram(12,26,9)",
     lambda o, h, lo, c, v: ref.gt(ref.macd(c)[2], ref.sma(ref.macd(c)[2], 5))),
    ("RSI(14) crosses above its 10-day moving average", "RSI(14) crosses above SMA(10) of RSI(14)",
     lambda o, h, lo, c, v: ref.cross_above(ref.rsi(c, 14), ref.sma(ref.rsi(c, 14), 10))),
    ("CCI(20) is below its 20-day average", "CCI(20) < SMA(20) of CCI(20)",
     lambda o, h, lo, c, v: ref.lt(ref.cci(h, lo, c, 20), ref.sma(ref.cci(h, lo, c, 20), 20))),
    ("ADX(14) above its 10-day average", "ADX(14) > SMA(10) of ADX(14)",
     lambda o, h, lo, c, v: ref.gt(ref.adx(h, lo, c, 14), ref.sma(ref.adx(h, lo, c, 14), 10))),
    ("RSI(14) crosses above its 9-period EMA", "RSI(14) crosses above EMA(9) of RSI(14)",
     lambda o, h, lo, c, v: ref.cross_above(ref.rsi(c, 14), ref.ema(ref.rsi(c, 14), 9))),
    ("volume is above its 50-day average", "volume > Volume SMA(50)",
     lambda o, h, lo, c, v: ref.gt(v, ref.sma(v, 50))),
]  # fmt: skip


@pytest.mark.parametrize(("rule", "reading", "reference"), AVERAGED, ids=[a[0] for a in AVERAGED])
def test_its_average_is_the_subjects_average(
    rule: str, reading: str, reference: Any, sp500: pd.DataFrame
) -> None:
    assert read_rule(rule).understood == reading
    want = reference(*arrays(sp500))
    got = entries_of(rule, sp500)
    assert want.sum() > 20
    np.testing.assert_array_equal(got, want)


def test_an_average_of_price_stays_the_price_average() -> None:
    assert read_rule("EMA(50) > EMA(200)").understood == "EMA(50) > EMA(200)"
    assert read_rule("close above its 20-day average").understood == "close > SMA(20)"
    assert read_rule("RSI(14) above the 9-day average of the close").understood == "RSI(14) > SMA(9)"


# -- extra parameters ----------------------------------------------------------------------------------

EXTRA = [
    ("RSI(14,3) below 30", "RSI takes (length): got 2 numbers (14, 3)"),
    ("ATR(14, 50) above 2", "ATR takes (length): got 2 numbers (14, 50)"),
    ("MACD(12,26,9,5) crosses above 0", "MACD takes (fast, slow, signal): got 4 numbers (12, 26, 9, 5)"),
    (
        "close above the Bollinger band(20, 2, 5)",
        "Bollinger bands takes (length, std multiplier): got 3 numbers",
    ),
    ("Stochastic(14,3,3,5) %K below 20", "the stochastic takes (length, %K smoothing, %D smoothing): got 4"),
    ("CCI(20, 0.015) below -100", "CCI takes (length): got 2 numbers"),
]


@pytest.mark.parametrize(("rule", "reason"), EXTRA, ids=[e[0] for e in EXTRA])
def test_extra_parameters_are_refused_naming_the_indicators_parameters(rule: str, reason: str) -> None:
    with pytest.raises(RuleNotUnderstood) as info:
        read_rule(rule)
    assert reason in str(info.value.fields["reason"])
    assert info.value.fields["position"] == rule.index("(")


# -- the stochastic's three parameters --------------------------------------------------------------------


def test_stochastic_reads_length_k_smoothing_d_smoothing(sp500: pd.DataFrame) -> None:
    _, h, lo, c, _ = arrays(sp500)
    assert read_rule("Stochastic(14,3,3) %K below 20").understood == "Stochastic %K(14,3,3) < 20"
    slow_k, _ = fam.stoch(h, lo, c, 14, 3, 3)
    np.testing.assert_array_equal(entries_of("Stochastic(14,3,3) %K below 20", sp500), ref.lt(slow_k, 20))

    rule = "Stochastic(14,1,3) %K crosses above %D"
    assert read_rule(rule).understood == "Stochastic %K(14,1,3) crosses above Stochastic %D(14,1,3)"
    fast_k, d = fam.stoch(h, lo, c, 14, 1, 3)
    got = entries_of(rule, sp500)
    assert got.sum() > 100  # it fires (reading the 1 as the %D window made it never fire)
    np.testing.assert_array_equal(got, ref.cross_above(fast_k, d))


def test_a_later_bare_percent_d_is_the_same_stochastics() -> None:
    rule = "Stochastic(14,3,3) %D below 20 and %K crosses above %D"
    assert read_rule(rule).understood == (
        "Stochastic %D(14,3,3) < 20 and Stochastic %K(14,3,3) crosses above Stochastic %D(14,3,3)"
    )
    assert read_rule("slow stochastic %K below 20").understood == "Stochastic %K(14,3,3) < 20"


# -- numbers are never dropped ------------------------------------------------------------------------------


def test_a_reading_that_drops_a_number_is_refused() -> None:
    text = "RSI(14) below 30"
    lost = Reading(text, None, None, None, (), "RSI(14) < 35")
    with pytest.raises(RuleNotUnderstood) as info:
        _check_numbers(lost, tokenize(text), "e", None)  # type: ignore[arg-type]
    assert "does not use the number 30" in str(info.value.fields["reason"])
    assert info.value.fields["position"] == text.index("30")


@pytest.mark.parametrize(
    "rule",
    [
        "close is 5% below the 20-day SMA", "price drops 5% in 3 days", "close makes a new 52-week high",
        "cumulative RSI(2) of the last 2 days below 10", "volume is 1.5 times its 20-day average",
        "close within 2% of the 200-day SMA", "gaps up at least 1%", "stop loss 8%",
        "close above the 50-day SMA for 3 days in a row", "Bollinger bandwidth below 5%",
    ],
)  # fmt: skip
def test_every_number_written_is_in_the_reading(rule: str) -> None:
    """Each reads, so the number check (which refuses a reading that lost one) found them all."""
    understood = read_rule(rule).understood
    assert understood and understood != rule


# -- negation and warm-up ------------------------------------------------------------------------------


def test_negation_never_fires_during_warm_up(sp500: pd.DataFrame) -> None:
    c = sp500["Close"].to_numpy()
    got = entries_of("not (close < SMA(50))", sp500)
    assert not got[:49].any()  # the probe found 9 spurious entries here
    sma = ref.sma(c, 50)
    np.testing.assert_array_equal(got, ~ref.lt(c, sma) & ~np.isnan(sma))
    crossed = entries_of("not close crosses above the 20-day EMA", sp500)
    ema = ref.ema(c, 20)
    assert not crossed[:20].any()
    np.testing.assert_array_equal(crossed, ~ref.cross_above(c, ema) & ~np.isnan(ref.lag(ema)))
