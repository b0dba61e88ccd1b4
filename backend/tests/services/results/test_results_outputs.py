"""Series (alignment, downsampling), CSV exports, the offline HTML report and the comparison table."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from plotly.offline import get_plotlyjs

from app.services.results import (
    BacktestResults,
    build_results,
    compare_runs,
    downsample,
    equity_csv,
    render_report,
    trades_csv,
)
from tests.services.results.results_fixtures import CAPITAL, Run


def test_downsample_keeps_envelope() -> None:
    rng = np.random.default_rng(3)
    values = 100 * np.cumprod(1 + rng.normal(0, 0.01, 20_000))
    points = [[f"t{i}", float(v)] for i, v in enumerate(values)]
    out = downsample(points, 5_000)
    assert len(out) <= 5_000
    assert out[0] == points[0] and out[-1] == points[-1]
    kept = [v for _, v in out]
    assert min(kept) == values.min() and max(kept) == values.max()
    order = [int(t[1:]) for t, _ in out]
    assert order == sorted(order) and len(set(order)) == len(order)
    assert downsample(points[:5_000], 5_000) == points[:5_000]


def test_long_series_are_downsampled_for_transport() -> None:
    stamps = pd.date_range("2020-01-01", periods=20_000, freq="h", tz="UTC")
    rng = np.random.default_rng(11)
    equity = CAPITAL * np.cumprod(1 + rng.normal(0, 0.002, len(stamps)))
    close = pd.Series(50 * np.cumprod(1 + rng.normal(0, 0.002, len(stamps))), index=stamps)
    res = build_results(
        [(t.isoformat(), v) for t, v in zip(stamps, equity, strict=True)],
        [],
        close,
        {"initial_capital": CAPITAL, "timeframe": "1h"},
    )
    for name in ("equity", "benchmark", "drawdown"):
        full, sent = res.full_series[name], getattr(res, f"{name}_series")
        assert len(full) == 20_000 and len(sent) <= 5_000
        assert sent[0] == full[0] and sent[-1] == full[-1]
    dd = [v for _, v in res.drawdown_series]
    peak = np.maximum.accumulate(np.r_[CAPITAL, equity])[1:]
    assert min(dd) == pytest.approx(((equity / peak - 1) * 100).min(), abs=1e-9)


def test_benchmark_aligned_forward_filled_and_trimmed(ma_run: Run) -> None:
    """A benchmark with holes, extra bars and a later start: forward fill on the strategy calendar."""
    close = ma_run.bars["close"]
    sparse = close.iloc[10:].drop(close.index[[20, 21, 31, 500]])
    extra = pd.Series(
        [close.iloc[30] * 1.01], index=[close.index[30] + pd.Timedelta(hours=5)]
    )  # off-calendar
    res = build_results(ma_run.equity, ma_run.trades, pd.concat([sparse, extra]).sort_index(), ma_run.params)
    got = pd.Series({pd.Timestamp(t): v for t, v in res.full_series["benchmark"]})
    expected = close.to_numpy().copy()
    expected[[20, 21]] = expected[19]  # missing bars take the last close before them
    expected[31] = close.iloc[30] * 1.01  # ... which may be an off-calendar print
    expected[500] = expected[499]
    expected = CAPITAL * expected[10:] / expected[10]  # nothing before the benchmark's first close
    assert got.index[0] == close.index[10]
    np.testing.assert_allclose(got.to_numpy(), expected, rtol=1e-12)
    assert any("benchmark's data starts on" in w for w in res.metrics["warnings"])


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
    assert min(float(r["drawdown_pct"]) for r in rows) == pytest.approx(
        built.metrics["max_drawdown"], abs=1e-6
    )

    trade_rows = list(csv.DictReader(io.StringIO(trades_csv(built.trades))))
    assert len(trade_rows) == len(ma_run.trades)
    assert [float(r["pnl"]) for r in trade_rows] == [t["pnl"] for t in ma_run.trades]
    assert {r["exit_reason"] for r in trade_rows} <= {"signal", "stop_loss", "take_profit", "end_of_data"}


def test_report_opens_offline(built: BacktestResults, ma_run: Run, tmp_path: Path) -> None:
    page = render_report("MA 20/50 <SPX>", built, {"SPX": ma_run.bars})
    path = tmp_path / "report.html"
    path.write_text(page, encoding="utf-8")
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src\s*=", text, flags=re.I), "no external script"
    assert not re.search(r"""<link[^>]+href\s*=\s*["']https?:""", text, flags=re.I)
    assert get_plotlyjs()[:2000] in text, "plotly.js bundle inlined"
    assert text.count("Plotly.newPlot(") == 4  # equity, drawdown, monthly heatmap, price with trades
    assert "MA 20/50 &lt;SPX&gt;" in text
    assert "Monthly returns" in text and "Exit: stop loss" in text


def test_report_accepts_a_stored_row(built: BacktestResults) -> None:
    """The API renders from a BacktestRun row or its dict, without bars: three charts, no price chart."""
    page = render_report("stored", built.model_dump())
    assert page.count("Plotly.newPlot(") == 3


def test_compare_runs_side_by_side() -> None:
    a = {
        "total_return": 25.5,
        "max_drawdown": -8.5,
        "volatility": 12.0,
        "beta": 0.8,
        "sharpe_ratio": None,
        "warnings": ["Only 3 trades"],
    }
    b = {"total_return": 25.5, "max_drawdown": -20.0, "volatility": 9.0, "beta": 1.1, "sharpe_ratio": 0.7}
    c = {"total_return": 3.0, "max_drawdown": -5.0, "volatility": 15.0, "beta": 0.2, "sharpe_ratio": 0.2}
    table = compare_runs([("a", a), ("b", b), ("c", c)])
    rows = {r["metric"]: r for r in table["rows"]}
    assert table["executions"] == ["a", "b", "c"]
    assert rows["total_return"]["best"] == ["a", "b"]  # a tie shares the title
    assert rows["max_drawdown"]["best"] == ["c"]  # the shallowest drawdown
    assert rows["volatility"]["best"] == ["b"]
    assert rows["beta"]["best"] == [] and rows["beta"]["better"] is None
    assert rows["sharpe_ratio"]["best"] == ["b"]  # None is skipped
    assert rows["sharpe_ratio"]["values"] == {"a": None, "b": 0.7, "c": 0.2}
    assert "cagr" not in rows
    assert table["warnings"] == {"a": ["Only 3 trades"], "b": [], "c": []}


@pytest.mark.parametrize("bars", [2_500, 6_000])
def test_stored_run_exports_every_bar_with_full_series_kept_only_when_downsampled(bars: int) -> None:
    from app.models.backtest import BacktestRun
    from app.services.result_views import equity_csv as stored_equity_csv
    from app.services.run_storage import only_downsampled

    stamps = pd.date_range("2001-01-01", periods=bars, freq="D", tz="UTC")
    equity = CAPITAL * np.cumprod(1 + np.random.default_rng(5).normal(0, 0.01, bars))
    close = pd.Series(50 * np.cumprod(1 + np.random.default_rng(6).normal(0, 0.01, bars)), index=stamps)
    params = {"initial_capital": CAPITAL, "timeframe": "1d"}
    res = build_results([(t.isoformat(), v) for t, v in zip(stamps, equity, strict=True)], [], close, params)
    kept = only_downsampled(res)
    assert set(kept) == (set() if bars <= 5_000 else {"equity", "benchmark", "drawdown"})
    run = BacktestRun(
        execution_id="exec_x",
        strategy_id="strat_x",
        user_id="user_x",
        metrics=res.metrics,
        equity_series=res.equity_series,
        benchmark_series=res.benchmark_series,
        drawdown_series=res.drawdown_series,
        trades=[],
        full_series=kept,
    )
    rows = list(csv.DictReader(io.StringIO(stored_equity_csv(run))))
    assert [float(r["equity"]) for r in rows] == equity.tolist()  # every bar, whichever way it was stored
