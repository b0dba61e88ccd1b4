"""Session fixtures: S&P 500 daily bars from `arch`, and vectorbt backtests of an MA crossover on them."""

from __future__ import annotations

import pandas as pd
import pytest

from app.services.results import BacktestResults, build_results
from tests.services.results.results_fixtures import Run, load_sp500, ma_signals, run_vbt


@pytest.fixture(scope="session")
def sp500() -> pd.DataFrame:
    return load_sp500()


@pytest.fixture(scope="session")
def ma_run(sp500: pd.DataFrame) -> Run:
    """MA(20/50) crossover with a 5 % stop loss and a 10 % take profit, 2% risk-free rate, 1999-2018."""
    entries, exits = ma_signals(sp500["close"])
    run = run_vbt(sp500, entries, exits, sl=5.0, tp=10.0, risk_free_rate=0.02)
    return run


@pytest.fixture(scope="session")
def trailing_run(sp500: pd.DataFrame) -> Run:
    """Same rule with an 8 % trailing stop and no exit signal, 1999 to the top of September 2018, so it
    ends with a position still open."""
    bars = sp500.loc[:"2018-09-28"]
    entries, exits = ma_signals(bars["close"])
    return run_vbt(bars, entries, exits & False, trail=8.0)


@pytest.fixture(scope="session")
def built(ma_run: Run) -> BacktestResults:
    """`build_results` of the MA(20/50) run, shared by the metrics and output tests."""
    return build_results(
        ma_run.equity,
        ma_run.trades,
        ma_run.bars["close"],
        ma_run.params,
        ma_run.stops,
        ma_run.signals,
        {"SPX": ma_run.bars},
    )
