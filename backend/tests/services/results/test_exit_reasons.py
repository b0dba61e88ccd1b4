"""Exit reasons where the answer is known by construction: hand-made bars where one rule must fire (run
through vectorbt to confirm the fill), and real S&P 500 runs where only one exit mechanism exists."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pandas as pd
import pytest

from app.services.results import build_results
from tests.services.results.results_fixtures import Run, ma_signals, run_vbt


@dataclass
class Case:
    name: str
    bars: list[tuple[float, float, float, float]]  # open, high, low, close
    stops: dict[str, float]
    exit_bar: int | None  # bar of the exit signal (None: no exit signal)
    reason: str
    fill: float | None  # the price the exit must fill at (before slippage for signal exits)
    rule: str


BASE = (100.0, 100.5, 99.5, 100.0)  # entry bar: the stops are measured from its close, 100.00
CASES = [
    Case(
        "stop loss inside the bar",
        [BASE, (101, 103, 99, 102), (100, 101, 94, 96), (96, 97, 95, 96)],
        {"sl": 5.0},
        None,
        "stop_loss",
        95.0,
        "low <= entry close 100.00 x (1 - 5%) = 95.00; filled at 95.00",
    ),
    Case(
        "stop loss gap down",
        [BASE, (101, 103, 99, 102), (90, 92, 88, 91), (91, 92, 90, 91)],
        {"sl": 5.0},
        None,
        "stop_loss",
        90.0,
        "open 90.00 <= entry close 100.00 x (1 - 5%) = 95.00 (gap down)",
    ),
    Case(
        "take profit inside the bar",
        [BASE, (101, 103, 99, 102), (105, 111, 104, 108), (108, 109, 107, 108)],
        {"tp": 10.0},
        None,
        "take_profit",
        110.0,
        "high >= entry close 100.00 x (1 + 10%) = 110.00",
    ),
    Case(
        "take profit gap up",
        [BASE, (101, 103, 99, 102), (112, 113, 111, 112), (112, 113, 111, 112)],
        {"tp": 10.0},
        None,
        "take_profit",
        112.0,
        "open 112.00 >= entry close 100.00 x (1 + 10%) = 110.00",
    ),
    Case(
        "both touched: the loss wins",
        [BASE, (101, 103, 99, 102), (100, 111, 94, 100), (100, 101, 99, 100)],
        {"sl": 5.0, "tp": 10.0},
        None,
        "stop_loss",
        95.0,
        "low <= entry close 100.00 x (1 - 5%) = 95.00",
    ),
    Case(
        "trailing stop from the peak",
        [BASE, (101, 120, 99, 118), (115, 116, 107, 109), (109, 110, 108, 109)],
        {"trail": 10.0},
        None,
        "trailing_stop",
        108.0,
        "low <= peak 120.00 x (1 - 10%) = 108.00",
    ),
    Case(
        "trailing: the exit bar's own high is not the peak",
        [BASE, (101, 120, 99, 118), (115, 125, 107, 109), (109, 110, 108, 109)],
        {"trail": 10.0},
        None,
        "trailing_stop",
        108.0,
        "peak 120.00 x (1 - 10%) = 108.00",
    ),
    Case(
        "exit signal, stops not touched",
        [BASE, (101, 103, 99, 102), (102, 104, 97, 103), (103, 104, 102, 103)],
        {"sl": 5.0, "tp": 10.0},
        2,
        "signal",
        103.0,
        "exit rule true at close 103.00",
    ),
    Case(
        "still open at the end",
        [BASE, (101, 103, 99, 102), (102, 104, 97, 103), (103, 104, 102, 103)],
        {"sl": 5.0},
        None,
        "end_of_data",
        None,
        "still open at the last bar",
    ),
]


def _run(case: Case, slippage: float) -> Run:
    index = pd.date_range("2024-01-01", periods=len(case.bars), freq="B", tz="UTC")
    bars = pd.DataFrame(case.bars, index=index, columns=["open", "high", "low", "close"])
    entries = pd.Series(False, index=index)
    entries.iloc[0] = True
    exits = pd.Series(False, index=index)
    if case.exit_bar is not None:
        exits.iloc[case.exit_bar] = True
    return run_vbt(bars, entries, exits, capital=1000.0, fees=0.0, slippage=slippage, **case.stops)


@pytest.mark.parametrize("slippage", [0.0, 0.001])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_exit_reason_by_construction(case: Case, slippage: float) -> None:
    run = _run(case, slippage)
    assert len(run.trades) == 1
    vbt_trade = run.pf.trades.records_readable.iloc[0]
    if case.fill is not None:  # the construction is right: vectorbt filled where the rule says
        expected = case.fill * (1 - slippage) if case.reason == "signal" else case.fill
        assert float(vbt_trade["Avg Exit Price"]) == pytest.approx(expected, rel=1e-12)
    res = build_results(run.equity, run.trades, None, run.params, run.stops, run.signals, {"SPX": run.bars})
    trade = res.trades[0]
    assert trade.exit_reason == case.reason
    assert case.rule in trade.exit_rule


def test_without_bars_the_entry_price_stands_in() -> None:
    case = CASES[0]
    run = _run(case, 0.0)
    res = build_results(run.equity, run.trades, None, run.params, run.stops, run.signals, None)
    assert res.trades[0].exit_reason == "stop_loss"
    assert res.trades[0].exit_rule.startswith("low <= entry 100.00 x (1 - 5%) = 95.00")


def _reasons(run: Run) -> Counter[str]:
    res = build_results(run.equity, run.trades, None, run.params, run.stops, run.signals, {"SPX": run.bars})
    return Counter(t.exit_reason for t in res.trades)


@pytest.mark.parametrize(
    ("stops", "only"),
    [({"sl": 3.0}, "stop_loss"), ({"tp": 4.0}, "take_profit"), ({"trail": 5.0}, "trailing_stop")],
)
def test_single_mechanism_on_real_data(sp500: pd.DataFrame, stops: dict[str, float], only: str) -> None:
    """No exit signal and one stop: every closed trade must be that stop, the open one end_of_data."""
    entries, exits = ma_signals(sp500["close"])
    run = run_vbt(sp500, entries, exits & False, **stops)
    open_trades = sum(t.status == "open" for t in run.trades)
    got = _reasons(run)
    assert got == Counter({only: len(run.trades) - open_trades, "end_of_data": open_trades})
    assert got[only] >= 10


def test_signals_only_on_real_data(sp500: pd.DataFrame) -> None:
    entries, exits = ma_signals(sp500["close"])
    run = run_vbt(sp500, entries, exits)
    got = _reasons(run)
    assert set(got) <= {"signal", "end_of_data"} and got["signal"] >= 10


def test_mixed_run_matches_the_signal_bars(ma_run: Run) -> None:
    """Stop loss, take profit and exit signals together: a trade is 'signal' exactly when vectorbt could
    only have closed it by the exit signal (the signal was true on its exit bar and no stop reproduces the
    fill); every other closed trade left on a bar without an exit signal, so a stop must have filled it."""
    _, exits = ma_signals(ma_run.bars["close"])
    res = build_results(
        ma_run.equity, ma_run.trades, None, ma_run.params, ma_run.stops, ma_run.signals, {"SPX": ma_run.bars}
    )
    counts = Counter(t.exit_reason for t in res.trades)
    assert counts["signal"] > 0 and counts["stop_loss"] > 0 and counts["take_profit"] > 0
    close = ma_run.bars["close"]
    for t in res.trades:
        exit_ts = pd.Timestamp(t.exit_time)
        if t.exit_reason == "signal":
            assert exits[exit_ts], t
            assert t.exit_price == pytest.approx(close[exit_ts] * (1 - ma_run.params.slippage))
        else:
            entry_close = close[pd.Timestamp(t.entry_time)]
            if t.exit_reason == "stop_loss":
                assert t.exit_price <= entry_close * 0.95 + 1e-9, t
            else:
                assert t.exit_reason == "take_profit" and t.exit_price >= entry_close * 1.10 - 1e-9, t
