"""Exit reasons of short trades, stops in ATR multiples, slippage on stop fills and reversals: hand-made bars
where one rule must fire (vectorbt confirms the fill), and real S&P 500 runs with a single exit mechanism."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from app.services.results import build_results
from app.services.results.atr import wilder_atr
from tests.services.results.results_fixtures import Run, ma_signals, run_vbt


@dataclass
class Case:
    name: str
    bars: list[tuple[float, float, float, float]]  # open, high, low, close
    stops: dict[str, float]
    reason: str
    fill: float
    rule: str


BASE = (100.0, 100.5, 99.5, 100.0)  # entry bar: a short's stops are measured from its close, 100.00
SHORT_CASES = [
    Case(
        "short stop loss inside the bar",
        [BASE, (99, 101, 97, 98), (100, 106, 99, 104), (104, 105, 103, 104)],
        {"sl": 5.0},
        "stop_loss",
        105.0,
        "high >= entry close 100.00 x (1 + 5%) = 105.00",
    ),
    Case(
        "short stop loss gap up",
        [BASE, (99, 101, 97, 98), (110, 112, 109, 111), (111, 112, 110, 111)],
        {"sl": 5.0},
        "stop_loss",
        110.0,
        "open 110.00 >= entry close 100.00 x (1 + 5%) = 105.00 (gap up)",
    ),
    Case(
        "short take profit inside the bar",
        [BASE, (99, 101, 97, 98), (95, 96, 89, 92), (92, 93, 91, 92)],
        {"tp": 10.0},
        "take_profit",
        90.0,
        "low <= entry close 100.00 x (1 - 10%) = 90.00",
    ),
    Case(
        "short take profit gap down",
        [BASE, (99, 101, 97, 98), (88, 89, 87, 88), (88, 89, 87, 88)],
        {"tp": 10.0},
        "take_profit",
        88.0,
        "open 88.00 <= entry close 100.00 x (1 - 10%) = 90.00 (gap down)",
    ),
    Case(
        "short: both touched, the loss wins",
        [BASE, (99, 101, 97, 98), (100, 106, 89, 100), (100, 101, 99, 100)],
        {"sl": 5.0, "tp": 10.0},
        "stop_loss",
        105.0,
        "high >= entry close 100.00 x (1 + 5%) = 105.00",
    ),
    Case(
        "short trailing stop from the trough",
        [BASE, (99, 100, 80, 82), (85, 89, 84, 88), (88, 89, 87, 88)],
        {"trail": 10.0},
        "trailing_stop",
        88.0,
        "high >= trough 80.00 x (1 + 10%) = 88.00",
    ),
]


def _short_run(case: Case, slippage: float, stop_slippage: bool) -> Run:
    index = pd.date_range("2024-01-01", periods=len(case.bars), freq="B", tz="UTC")
    bars = pd.DataFrame(case.bars, index=index, columns=["open", "high", "low", "close"])
    entries = pd.Series(False, index=index)
    entries.iloc[0] = True
    return run_vbt(
        bars, entries, entries & False, capital=1000.0, fees=0.0, slippage=slippage, short=True,
        stop_slippage=stop_slippage, **case.stops,
    )  # fmt: skip


@pytest.mark.parametrize(("slippage", "stop_slippage"), [(0.0, False), (0.001, False), (0.001, True)])
@pytest.mark.parametrize("case", SHORT_CASES, ids=[c.name for c in SHORT_CASES])
def test_short_exit_reason_by_construction(case: Case, slippage: float, stop_slippage: bool) -> None:
    run = _short_run(case, slippage, stop_slippage)
    assert len(run.trades) == 1 and run.trades[0].direction == "short"
    # the construction is right: vectorbt bought back where the rule says (plus slippage when it applies)
    expected = case.fill * (1 + slippage) if stop_slippage else case.fill
    assert run.trades[0].exit_price == pytest.approx(expected, rel=1e-12)
    res = build_results(run.equity, run.trades, None, run.params, run.stops, run.signals, {"SPX": run.bars})
    trade = res.trades[0]
    assert trade.exit_reason == case.reason
    assert case.rule in trade.exit_rule
    assert ("slippage" in trade.exit_rule) == stop_slippage


def test_a_long_rule_does_not_explain_a_short_exit() -> None:
    """The long reading of a short's stop bar (entry close x (1 - 5%) = 95, never touched) finds nothing:
    the exit is put down to its signal, which is what happened."""
    index = pd.date_range("2024-01-01", periods=4, freq="B", tz="UTC")
    bars = pd.DataFrame(
        [BASE, (99, 101, 97, 98), (99, 103, 98, 102), (102, 103, 101, 102)],
        index=index,
        columns=["open", "high", "low", "close"],
    )
    entries = pd.Series([True, False, False, False], index=index)
    exits = pd.Series([False, False, True, False], index=index)
    run = run_vbt(bars, entries, exits, capital=1000.0, fees=0.0, slippage=0.0, short=True, sl=5.0)
    res = build_results(run.equity, run.trades, None, run.params, run.stops, run.signals, {"SPX": run.bars})
    assert res.trades[0].exit_reason == "signal"


def test_atr_stops_on_real_data_are_stop_losses_at_the_atr_level(sp500: pd.DataFrame) -> None:
    """Long and short entries (reversing each other), a 2 x ATR(14) stop and nothing else closes a position
    except the opposite entry: every exit is a stop at close - 2 ATR (long) / close + 2 ATR (short) of the
    entry bar, or a reversal."""
    entries, shorts = ma_signals(sp500["close"])
    atr = wilder_atr(sp500, 14)
    run = run_vbt(sp500, entries, entries & False, short_entries=shorts, sl_atr=(2.0, atr), slippage=0.0)
    res = build_results(run.equity, run.trades, None, run.params, run.stops, run.signals, {"SPX": run.bars})
    counts = Counter((t.direction, t.exit_reason) for t in res.trades)
    assert counts[("long", "stop_loss")] >= 10 and counts[("short", "stop_loss")] >= 10
    assert counts[("long", "signal")] + counts[("short", "signal")] >= 10  # reversals
    close = sp500["close"]
    for t in res.trades:
        entry = pd.Timestamp(t.entry_time)
        if t.exit_reason == "stop_loss":
            level = close[entry] + (-2.0 if t.direction == "long" else 2.0) * atr[entry]
            bar = sp500.loc[pd.Timestamp(t.exit_time)]
            gapped = bar["open"] <= level if t.direction == "long" else bar["open"] >= level
            assert t.exit_price == pytest.approx(bar["open"] if gapped else level, rel=1e-9), t
            assert "ATR(14)" in t.exit_rule
        elif t.exit_reason == "signal":
            assert "an entry of the other side reversed the position" in t.exit_rule, t
        else:
            assert t.exit_reason == "end_of_data"


def test_results_atr_is_the_generated_codes_atr(sp500: pd.DataFrame) -> None:
    """The exit explanation places ATR stops with the same ATR the backtest used (to the last bit)."""
    from app.services.language import build_spec, compile_spec, parse_graph
    from tests.services.language.helpers import Params, run_code

    graph = {
        "nodes": [
            {"id": "e", "type": "entry_condition", "meta": {"rules": ["close crosses above the 20-day SMA"]}},
            {"id": "sl", "type": "stop_loss", "meta": {"stop_atr": 3, "atr_period": 20}},
        ]
    }
    frame = sp500.rename(columns=str.title)
    ns = run_code(compile_spec(build_spec(parse_graph(graph), Params())), {"SPX": frame})
    np.testing.assert_array_equal(ns["atr_20"]["SPX"].to_numpy(), wilder_atr(sp500, 20).to_numpy())


def test_metrics_with_both_sides(sp500: pd.DataFrame) -> None:
    """Long/short metrics against numbers computed here from vectorbt's own records: the split by side, the
    PnLs adding up to the profit (short PnL is size x (entry - exit) - fees), the win rate and exposure."""
    entries, shorts = ma_signals(sp500["close"])
    run = run_vbt(sp500, entries, entries & False, short_entries=shorts, sl=6.0)
    m = build_results(run.equity, run.trades, None, run.params, run.stops, run.signals, {"SPX": run.bars})
    metrics = m.metrics.model_dump()
    records = run.pf.trades.values
    is_short = records["direction"] == 1
    assert metrics["short_trades"] == int(is_short.sum()) >= 10
    assert metrics["long_trades"] == int((~is_short).sum()) >= 10
    exit_price = np.where(records["status"] == 1, records["exit_price"], sp500["close"].iloc[-1])
    side = np.where(is_short, -1.0, 1.0)
    pnl = (
        side * records["size"] * (exit_price - records["entry_price"])
        - records["entry_fees"]
        - records["exit_fees"]
    )
    np.testing.assert_allclose(pnl, records["pnl"], rtol=1e-9)
    assert pnl.sum() == pytest.approx(metrics["final_equity"] - 10_000.0, rel=1e-9)
    assert metrics["win_rate"] == pytest.approx((pnl > 0).mean() * 100)
    held = np.zeros(len(sp500), dtype=bool)
    for rec in records:
        held[rec["entry_idx"] : (rec["exit_idx"] if rec["status"] == 1 else len(sp500))] = True
    assert metrics["exposure"] == pytest.approx(held.mean() * 100)
