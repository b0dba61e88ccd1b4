"""Views of a stored BacktestRun: the CSV export reads every bar, however the run was stored."""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pytest

from app.services.results import build_results
from tests.services.results.results_fixtures import CAPITAL, params


@pytest.mark.parametrize("bars", [2_500, 6_000])
def test_stored_run_exports_every_bar_with_full_series_kept_only_when_downsampled(bars: int) -> None:
    from app.models.backtest import BacktestRun
    from app.services.result_views import equity_csv as stored_equity_csv
    from app.services.run_storage import only_downsampled

    stamps = pd.date_range("2001-01-01", periods=bars, freq="D", tz="UTC")
    equity = CAPITAL * np.cumprod(1 + np.random.default_rng(5).normal(0, 0.01, bars))
    close = pd.Series(50 * np.cumprod(1 + np.random.default_rng(6).normal(0, 0.01, bars)), index=stamps)
    res = build_results(
        [(t.isoformat(), v) for t, v in zip(stamps, equity, strict=True)],
        [],
        close,
        params(initial_capital=CAPITAL),
    )
    kept = only_downsampled(res)
    assert set(kept) == (set() if bars <= 5_000 else {"equity", "benchmark", "drawdown"})
    run = BacktestRun(
        execution_id="exec_x",
        strategy_id="strat_x",
        user_id="user_x",
        metrics=res.metrics.model_dump(),
        equity_series=res.equity_series,
        benchmark_series=res.benchmark_series,
        drawdown_series=res.drawdown_series,
        trades=[],
        full_series=kept,
    )
    rows = list(csv.DictReader(io.StringIO(stored_equity_csv(run))))
    assert [float(r["equity"]) for r in rows] == equity.tolist()  # every bar, whichever way it was stored
