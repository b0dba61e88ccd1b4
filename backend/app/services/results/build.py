"""`build_results`: one backtest's raw output -> the `BacktestResults` stored in a BacktestRun."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from pydantic import BaseModel, Field

from app.services.results import _inputs as inp
from app.services.results.exit_reasons import explain_exit
from app.services.results.gates import sanity_warnings
from app.services.results.metrics import compute_metrics, drawdown_fraction, periods_per_year
from app.services.results.series import align_benchmark, downsample, pairs
from app.services.sandbox.harness.timestamps import iso_times


class BacktestResults(BaseModel):
    """What the API returns (series downsampled to at most 5,000 points) plus ``full_series`` for the CSVs."""

    metrics: dict[str, Any]
    equity_series: list[list[Any]]
    benchmark_series: list[list[Any]]
    drawdown_series: list[list[Any]]
    trades: list[dict[str, Any]]
    full_series: dict[str, list[list[Any]]] = Field(default_factory=dict)


def build_results(
    equity: Sequence[Sequence[Any]],
    trades: Sequence[Any],
    benchmark_close: pd.Series | None,
    params: Any,
    stops: Any = None,
    signals: Any = None,
    bars_by_symbol: Mapping[str, pd.DataFrame] | None = None,
) -> BacktestResults:
    """Metrics, warnings, series and annotated trades for one run.

    ``equity``: ``[(iso, value), ...]`` per bar; ``trades``: records or dicts with the TradeRecord fields;
    ``benchmark_close``: benchmark closes (any calendar, aligned here) or None; ``params``: anything with
    ``initial_capital, risk_free_rate, timeframe, slippage`` (ExecutionParams); ``stops``: anything with
    ``stop_loss_pct, take_profit_pct, trailing_pct`` (percent units) or None; ``signals``:
    ``{"entries": int, "exits": int}`` or None; ``bars_by_symbol``: lowercase OHLC frames per symbol.
    Raises `InvalidBacktestOutput` when there is no equity curve.
    """
    run = inp.run_params(params)
    curve = inp.equity_series(equity)
    records = inp.trade_records(trades)
    stop_rules = inp.stop_settings(stops)
    bars = {sym: _utc_frame(frame) for sym, frame in (bars_by_symbol or {}).items() if frame is not None}

    periods = periods_per_year(curve.index, run.timeframe)
    bench = align_benchmark(benchmark_close, curve.index, run.initial_capital)
    computed = compute_metrics(
        curve, records, bench, capital=run.initial_capital, risk_free_rate=run.risk_free_rate, periods=periods
    )
    warnings = sanity_warnings(
        equity=curve,
        trades=records,
        signals=signals,
        capital=run.initial_capital,
        years=len(curve) / periods,
        bars_by_symbol=bars,
    )
    if bench is not None and bench.index[0] > curve.index[0]:
        warnings.append(
            f"The benchmark's data starts on {bench.index[0].date().isoformat()}, after the strategy's first "
            f"bar ({curve.index[0].date().isoformat()}); benchmark figures cover the shorter window."
        )
    metrics = dict(computed.values)
    metrics["warnings"] = warnings + computed.notes

    labels = iso_times(curve.index)
    full_equity = pairs(curve, labels)
    full_drawdown = pairs(drawdown_fraction(curve, run.initial_capital) * 100.0, labels)
    full_bench = pairs(bench) if bench is not None else []
    return BacktestResults(
        metrics=metrics,
        equity_series=downsample(full_equity),
        benchmark_series=downsample(full_bench),
        drawdown_series=downsample(full_drawdown),
        trades=[_trade_row(t, bars.get(t.symbol), stop_rules, run.slippage) for t in records],
        full_series={"equity": full_equity, "benchmark": full_bench, "drawdown": full_drawdown},
    )


def _trade_row(t: inp.Trade, bars: pd.DataFrame | None, stops: inp.Stops, slippage: float) -> dict[str, Any]:
    why = explain_exit(t, bars, stops, slippage)
    return {
        "symbol": t.symbol,
        "direction": t.direction,
        "status": t.status,
        "entry_time": inp.iso(t.entry_time),
        "entry_price": t.entry_price,
        "exit_time": inp.iso(t.exit_time) if t.exit_time is not None else None,
        "exit_price": t.exit_price,
        "size": t.size,
        "pnl": t.pnl,
        "return_pct": t.return_pct,
        "fees": t.fees,
        "exit_reason": why.reason,
        "exit_rule": why.rule,
    }


def _utc_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.rename(columns=str.lower)
    index = pd.DatetimeIndex(out.index)
    out.index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    return out.sort_index()
