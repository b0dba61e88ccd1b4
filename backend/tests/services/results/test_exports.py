"""CSV exports of the equity curve and the trades."""

from __future__ import annotations

import csv
import io

import pytest

from app.models.backtest import TradeRow
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


def test_text_cells_a_spreadsheet_would_run_are_quoted_numbers_are_not() -> None:
    """A run names its columns (the trade's symbol) and exit text; `= + - @` (and tab/CR) would start a
    formula in a spreadsheet, so such text cells are quoted; negative numbers stay numbers."""
    base = {
        "direction": "long", "status": "closed", "entry_time": "2020-01-02", "entry_price": 10.0,
        "exit_time": "2020-01-03", "exit_price": 9.0, "size": 1.0, "pnl": -1.0, "return_pct": -10.0,
        "fees": 0.0, "exit_reason": "signal",
    }  # fmt: skip
    cells = [("=1+2", "@SUM(A1)"), ("+cmd", "-2+3"), ("\tx", "=y"), ("SPX", "signal at the close")]
    trades = [TradeRow.model_validate(base | {"symbol": s, "exit_rule": r}) for s, r in cells]
    rows = list(csv.DictReader(io.StringIO(trades_csv(trades), newline="")))
    assert [(r["symbol"], r["exit_rule"]) for r in rows] == [
        ("'=1+2", "'@SUM(A1)"), ("'+cmd", "'-2+3"), ("'\tx", "'=y"), ("SPX", "signal at the close")
    ]  # fmt: skip
    assert {r["pnl"] for r in rows} == {"-1.0"} and {r["return_pct"] for r in rows} == {"-10.0"}
    text = equity_csv([["2020-01-02", -5.0]], None, [["2020-01-02", -50.0]])
    assert text.splitlines()[1] == "2020-01-02,-5.0,,-50.0"
