"""Each indicator and candle pattern added by issue 14, as the generated code computes it, against an
independent numpy loop (lang_reference_families.py) on real S&P 500 bars, and a no-look-ahead check:
values up to bar t do not change when the bars after t are cut or altered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from app.services.language import build_spec, compile_spec, parse_graph
from tests.services.language import lang_reference as ref
from tests.services.language import lang_reference_families as fam
from tests.services.language.corpus_check import signal_section
from tests.services.language.helpers import Params, run_code

Bars = dict[str, np.ndarray]

# (a rule that uses it, the generated variable, the reference)
INDICATORS: list[tuple[str, str, Callable[[Bars], np.ndarray]]] = [
    ("Williams %R(14) below -80", "willr_14", lambda b: fam.willr(b["h"], b["l"], b["c"], 14)),
    ("MFI(14) below 20", "mfi_14", lambda b: fam.mfi(b["h"], b["l"], b["c"], b["v"], 14)),
    ("+DI(14) above 25", "plus_di_14", lambda b: fam.dmi(b["h"], b["l"], b["c"], 14)[0]),
    ("-DI(10) above 25", "minus_di_10", lambda b: fam.dmi(b["h"], b["l"], b["c"], 10)[1]),
    ("ADX(14) above 25", "adx_14", lambda b: fam.dmi(b["h"], b["l"], b["c"], 14)[2]),
    ("close above the upper Keltner channel (20, 2)", "kc_upper_20_2",
     lambda b: fam.keltner(b["h"], b["l"], b["c"], 20, 2.0)[0]),
    ("close below the lower Keltner channel (10, 1.5)", "kc_lower_10_1p5",
     lambda b: fam.keltner(b["h"], b["l"], b["c"], 10, 1.5)[2]),
    ("close crosses below the Donchian channel(20) midline", "dc_middle_20",
     lambda b: (ref.prev_highest(b["h"], 20) + ref.prev_lowest(b["l"], 20)) / 2),
    ("Bollinger %b below 0", "bb_pctb_20_2",
     lambda b: (b["c"] - ref.bollinger(b["c"])[2]) / (ref.bollinger(b["c"])[0] - ref.bollinger(b["c"])[2])),
    ("Bollinger bandwidth(20, 2.5) below 5%", "bb_width_20_2p5",
     lambda b: (ref.bollinger(b["c"], 20, 2.5)[0] - ref.bollinger(b["c"], 20, 2.5)[2]) / ref.sma(b["c"], 20)),
    ("close above the 20-day VWAP", "vwap_20", lambda b: fam.vwap(b["h"], b["l"], b["c"], b["v"], 20)),
    ("OBV above its 20-day average", "obv", lambda b: fam.obv(b["c"], b["v"])),
    ("OBV above its 20-day average", "sma_20_of_obv", lambda b: ref.sma(fam.obv(b["c"], b["v"]), 20)),
    ("TEMA(9) above close", "tema_9", lambda b: fam.tema(b["c"], 9)),
    ("cumulative RSI(2) of the last 2 days below 35", "sum_2_of_rsi_2",
     lambda b: ref.rsi(b["c"], 2) + ref.lag(ref.rsi(b["c"], 2), 1)),
    ("slow stochastic(14,3,3) %K below 20", "stoch_k_14_3_3",
     lambda b: fam.stoch(b["h"], b["l"], b["c"], 14, 3, 3)[0]),
    ("stochastic(5,3,4) %D below 20", "stoch_d_5_3_4",
     lambda b: fam.stoch(b["h"], b["l"], b["c"], 5, 3, 4)[1]),
    ("close above the highest close of the previous 10 days", "highest_close_10",
     lambda b: ref.prev_highest(b["c"], 10)),
    ("RSI(14) makes a new 20-day low", "lowest_20_of_rsi_14",
     lambda b: ref.prev_lowest(ref.rsi(b["c"], 14), 20)),
    ("10-day rate of change above 5", "roc_10", lambda b: fam.pct_change(b["c"], 10)),
]  # fmt: skip

PATTERNS = ["bullish_engulfing", "bearish_engulfing", "inside_bar", "outside_bar", "nr7", "hammer", "doji"]
PATTERN_RULES = {
    "bullish_engulfing": "bullish engulfing", "bearish_engulfing": "bearish engulfing",
    "inside_bar": "inside bar", "outside_bar": "outside bar", "nr7": "NR7", "hammer": "hammer",
    "doji": "doji",
}  # fmt: skip
PATTERN_REFS: dict[str, Callable[..., np.ndarray]] = {
    "bullish_engulfing": fam.bull_engulf, "bearish_engulfing": fam.bear_engulf, "inside_bar": fam.inside_bar,
    "outside_bar": fam.outside_bar, "nr7": fam.nr7, "hammer": fam.hammer, "doji": fam.doji,
}  # fmt: skip


def _namespace(rule: str, frame: pd.DataFrame) -> dict[str, Any]:
    graph = {"nodes": [{"id": "e", "type": "entry_condition", "meta": {"rules": [rule]}}]}
    code = compile_spec(build_spec(parse_graph(graph), Params()))
    return run_code(signal_section(code), {"SPX": frame})


def _bars(frame: pd.DataFrame) -> Bars:
    return {
        k: frame[c].to_numpy()
        for k, c in zip("ohlcv", ("Open", "High", "Low", "Close", "Volume"), strict=True)
    }


@pytest.mark.parametrize(("rule", "name", "reference"), INDICATORS, ids=[i[1] for i in INDICATORS])
def test_indicator_matches_numpy(rule: str, name: str, reference: Any, sp500: pd.DataFrame) -> None:
    got = _namespace(rule, sp500)[name]["SPX"].to_numpy()
    want = reference(_bars(sp500))
    assert np.isfinite(want).sum() > len(want) - 300, "the reference should have values"
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9, equal_nan=True)


@pytest.mark.parametrize("pattern", PATTERNS)
def test_candle_pattern_matches_its_documented_formula(pattern: str, sp500: pd.DataFrame) -> None:
    from tests.services.language.corpus_check import synthetic_like

    for frame in (sp500, synthetic_like(sp500)):
        got = _namespace(PATTERN_RULES[pattern], frame)[pattern]["SPX"].to_numpy()
        b = _bars(frame)
        want = PATTERN_REFS[pattern](b["o"], b["h"], b["l"], b["c"])
        np.testing.assert_array_equal(got, want)
    assert got.sum() > 0, "the pattern should occur on the synthetic bars"


@pytest.mark.parametrize(
    ("rule", "name"),
    [(r, n) for r, n, _ in INDICATORS] + [(PATTERN_RULES[p], p) for p in PATTERNS],
    ids=[n for _, n, _ in INDICATORS] + PATTERNS,
)
def test_no_look_ahead(rule: str, name: str, sp500: pd.DataFrame) -> None:
    cut = 3000
    full = _namespace(rule, sp500)[name]["SPX"].to_numpy()
    short = _namespace(rule, sp500.iloc[:cut])[name]["SPX"].to_numpy()
    altered_frame = sp500.copy()
    rng = np.random.default_rng(1)
    altered_frame.iloc[cut:] = altered_frame.iloc[cut:].to_numpy() * rng.uniform(
        0.5, 1.5, (len(sp500) - cut, 5)
    )
    altered = _namespace(rule, altered_frame)[name]["SPX"].to_numpy()
    np.testing.assert_array_equal(short, full[:cut])
    np.testing.assert_array_equal(altered[:cut], full[:cut])
    assert not np.array_equal(altered[cut:], full[cut:]), "the altered bars should change later values"
