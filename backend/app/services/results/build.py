"""`build_results`: one backtest's raw output -> the `BacktestResults` stored in a BacktestRun."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from app.models.backtest import BacktestMetrics, SeriesPoint, TradeRow
from app.models.params import ExecutionParams
from app.models.stops import Stops
from app.services.results import _inputs as inp
from app.services.results.atr import wilder_atr
from app.services.results.exit_reasons import AtrAt, ExitExplanation, explain_exit
from app.services.results.gates import sanity_warnings
from app.services.results.metrics import compute_metrics, drawdown_fraction, periods_per_year
from app.services.results.series import align_benchmark, downsample, pairs
from app.services.sandbox.harness.timestamps import iso_times
from app.services.sandbox.result import SignalCounts, TradeRecord

SeriesName = Literal["equity", "benchmark", "drawdown"]


class BacktestResults(BaseModel):
    """What the API returns (series downsampled to at most 5,000 points) plus ``full_series`` for the CSVs."""

    metrics: BacktestMetrics
    equity_series: list[SeriesPoint]
    benchmark_series: list[SeriesPoint]
    drawdown_series: list[SeriesPoint]
    trades: list[TradeRow]
    full_series: dict[SeriesName, list[SeriesPoint]] = Field(default_factory=dict)


def build_results(
    equity: Sequence[tuple[str, float]],
    trades: Sequence[TradeRecord],
    benchmark_close: pd.Series | None,
    params: ExecutionParams,
    stops: Stops | None = None,
    signals: SignalCounts | None = None,
    bars_by_symbol: Mapping[str, pd.DataFrame] | None = None,
    notes: Sequence[str] = (),
) -> BacktestResults:
    """Metrics, warnings, series and annotated trades for one run.

    ``equity``: ``[(iso, value), ...]`` per bar (the sandbox's); ``trades``: the sandbox's records;
    ``benchmark_close``: benchmark closes (any calendar, aligned here) or None; ``stops``: the strategy's
    exits by price, or None; ``signals``: entry and exit signal counts, or None; ``bars_by_symbol``:
    lowercase OHLC frames per symbol, which may hold bars before the equity's first one (the indicators'
    warm-up: they give an ATR stop its value at an early entry); ``notes``: sentences added to the warnings
    (the warm-up's shortfall). Raises `InvalidBacktestOutput` when there is no equity curve.
    """
    run = inp.run_params(params)
    curve = inp.equity_series(equity)
    records = inp.trade_records(trades)
    stop_rules = stops or Stops()
    history = {sym: _utc_frame(frame) for sym, frame in (bars_by_symbol or {}).items() if frame is not None}
    first, last = curve.index[0], curve.index[-1]
    bars = {sym: frame.loc[(frame.index >= first) & (frame.index <= last)] for sym, frame in history.items()}

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
    metrics = BacktestMetrics.model_validate(
        {**computed.values, "warnings": [*notes, *warnings, *computed.notes]}
    )

    labels = iso_times(curve.index)
    drawdown = drawdown_fraction(curve, run.initial_capital) * 100.0
    full_equity = pairs(curve, labels)
    full_drawdown = pairs(drawdown, labels)
    full_bench = pairs(bench, _labels_within(bench.index, curve.index, labels)) if bench is not None else []
    # Built from parts already checked (the metrics validated above, TradeRow models, `pairs`' finite floats
    # or None): validating ~30,000 points again cost ~7 ms of a 5,000-bar run's ~150 ms.
    return BacktestResults.model_construct(
        metrics=metrics,
        equity_series=downsample(full_equity, values=_finite_or_nan(curve)),
        benchmark_series=downsample(full_bench, values=_finite_or_nan(bench) if bench is not None else None),
        drawdown_series=downsample(full_drawdown, values=_finite_or_nan(drawdown)),
        trades=_trade_rows(records, history, stop_rules, run.slippage),
        full_series={"equity": full_equity, "benchmark": full_bench, "drawdown": full_drawdown},
    )


def _labels_within(index: pd.DatetimeIndex, of: pd.DatetimeIndex, labels: list[str]) -> list[str]:
    """The timestamp strings of ``index``, a subset of ``of`` in its order (the benchmark's bars are the
    strategy's, less those before the benchmark's first close), taken from ``of``'s: formatting them again
    cost as much as the equity's."""
    if len(index) == len(of):
        return labels
    return [labels[i] for i in of.get_indexer(index).tolist()]


def _finite_or_nan(series: pd.Series) -> np.ndarray:
    """A series' values as `pairs` ships them, None (NaN here) for what has no JSON form."""
    values = series.to_numpy(dtype="float64")
    return np.where(np.isfinite(values), values, np.nan)


def _trade_rows(
    records: list[inp.Trade], bars: Mapping[str, pd.DataFrame], stops: Stops, slippage: float
) -> list[TradeRow]:
    atr = {
        sym: {n: wilder_atr(frame, n) for n in stops.atr_periods()} for sym, frame in bars.items()
    }  # fmt: skip
    starts = {(t.symbol, t.entry_time, t.direction) for t in records}

    def atr_at(symbol: str) -> AtrAt:
        def at(period: int, ts: pd.Timestamp) -> float:
            series = atr.get(symbol, {}).get(period)
            return float(series.get(ts, math.nan)) if series is not None else math.nan

        return at

    rows = []
    for t in records:
        other = "long" if t.direction == "short" else "short"
        reversed_by_entry = t.exit_time is not None and (t.symbol, t.exit_time, other) in starts
        why = explain_exit(t, bars.get(t.symbol), stops, slippage, atr_at(t.symbol), reversed_by_entry)
        rows.append(_trade_row(t, why))
    return rows


def _trade_row(t: inp.Trade, why: ExitExplanation) -> TradeRow:
    return TradeRow(
        symbol=t.symbol,
        direction=t.direction,
        status=t.status,
        entry_time=inp.iso(t.entry_time),
        entry_price=t.entry_price,
        exit_time=inp.iso(t.exit_time) if t.exit_time is not None else None,
        exit_price=t.exit_price,
        size=t.size,
        pnl=t.pnl,
        return_pct=t.return_pct,
        fees=t.fees,
        exit_reason=why.reason,
        exit_rule=why.rule,
    )


def _utc_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.rename(columns=str.lower)
    index = pd.DatetimeIndex(out.index)
    out.index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    return out.sort_index()
