"""CSV exports of the equity curve and the trades."""

from __future__ import annotations

import csv
import io

import pytest

from app.services.results import BacktestResults, equity_csv, trades_csv
from tests.services.results.results_fixtures import CAPITAL, Run


def test_csv_exports_round_trip(built: BacktestResults, ma_run: Run) -> None:
    text = equity_csv(
        built.full_series["equity"], built.full_series["benchmark"], built.full_series["drawdown"]
    )
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(ma_run.equity) == 5031
    assert [float(r["equity"]) for r in rows] == [v for _, v in ma_run.equity]
    assert float(rows[-1]["benchmark"]) == pytest.approx(
        CAPITAL * ma_run.bars["close"].iloc[-1] / ma_run.bars["close"].iloc[0]
    )
    assert min(float(r["drawdown_pct"]) for r in rows) == pytest.approx(built.metrics.max_drawdown, abs=1e-6)

    trade_rows = list(csv.DictReader(io.StringIO(trades_csv(built.trades))))
    assert len(trade_rows) == len(ma_run.trades)
    assert [float(r["pnl"]) for r in trade_rows] == [t.pnl for t in ma_run.trades]
    assert {r["exit_reason"] for r in trade_rows} <= {"signal", "stop_loss", "take_profit", "end_of_data"}
