"""A self-contained HTML report that opens offline: plotly.js is inlined once, never fetched from a CDN.

Sections: key metrics and warnings, equity vs benchmark, drawdown, monthly returns heatmap, and the price of
each traded symbol with entry and exit markers (hover shows the exit reason and the rule that filled it).
Series come from ``full_series`` when present (every bar), else from the downsampled API series.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from app.services.results.build import BacktestResults
from app.services.results.compare import METRIC_INFO
from app.services.results.report_sections import (
    ReportContext,
    conventions_html,
    params_html,
    strategy_html,
    trades_html,
)

_REASON_COLOURS = {
    "signal": "#1f77b4",
    "stop_loss": "#d62728",
    "take_profit": "#2ca02c",
    "trailing_stop": "#ff7f0e",
    "end_of_data": "#7f7f7f",
}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def coerce_results(results: Any) -> BacktestResults:
    """Accept a `BacktestResults`, a mapping with its fields, or an object with them (a BacktestRun row)."""
    if isinstance(results, BacktestResults):
        return results
    if isinstance(results, Mapping):
        return BacktestResults.model_validate(dict(results))
    return BacktestResults.model_validate(results, from_attributes=True)


def render_report(
    name: str,
    results: Any,
    bars_by_symbol: Mapping[str, pd.DataFrame] | None = None,
    context: ReportContext | None = None,
) -> str:
    """The full HTML document as text (about 5 MB, most of it the inlined plotly.js). With a ``context``,
    it also says what ran: the rules as understood, the parameters, the fill conventions and every trade."""
    res = coerce_results(results)
    equity = _frame(res.full_series.get("equity") or res.equity_series)
    bench = _frame(res.full_series.get("benchmark") or res.benchmark_series)
    drawdown = _frame(res.full_series.get("drawdown") or res.drawdown_series)
    metrics = res.metrics.model_dump()
    trades = [t.model_dump() for t in res.trades]
    figures = [
        _equity_figure(equity, bench),
        _drawdown_figure(drawdown),
        _monthly_heatmap(equity, metrics),
        *[_trades_figure(sym, frame, trades) for sym, frame in (bars_by_symbol or {}).items()],
    ]
    charts = "\n".join(
        f'<section class="chart">{fig.to_html(full_html=False, include_plotlyjs=False)}</section>'
        for fig in figures
        if fig is not None
    )
    title = html.escape(name)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title} - backtest report</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1200px; color: #222; }}
table.metrics {{ border-collapse: collapse; font-size: 0.9rem; }}
table.metrics td {{ padding: 0.2rem 0.8rem; border-bottom: 1px solid #eee; }}
table.metrics td.v {{ text-align: right; font-variant-numeric: tabular-nums; }}
.warnings li {{ color: #8a4b00; margin-bottom: 0.3rem; }}
.grid {{ display: grid; grid-template-columns: repeat(3, auto); gap: 0 2rem; }}
table.list {{ border-collapse: collapse; font-size: 0.85rem; width: 100%; }}
table.list th, table.list td {{ padding: 0.2rem 0.5rem; border-bottom: 1px solid #eee; text-align: left; }}
table.list td.v {{ text-align: right; font-variant-numeric: tabular-nums; }}
.note {{ color: #8a4b00; }}
</style>
<script type="text/javascript">{get_plotlyjs()}</script>
</head>
<body>
<h1>{title}</h1>
{_written_sections(context)}
{_warnings_html(res.metrics.warnings)}
{_metrics_html(metrics)}
{charts}
{trades_html(trades) if context is not None else ""}
</body>
</html>
"""


def _written_sections(context: ReportContext | None) -> str:
    if context is None:
        return ""
    return "\n".join(
        (strategy_html(context), params_html(context.params), conventions_html(context.conventions))
    )


def _frame(points: Sequence[Sequence[Any]]) -> pd.Series:
    if not points:
        return pd.Series(dtype="float64")
    index = pd.DatetimeIndex([pd.Timestamp(p[0]) for p in points])
    index = index.tz_convert("UTC").tz_localize(None) if index.tz is not None else index
    values = [math.nan if p[1] is None else float(p[1]) for p in points]
    return pd.Series(values, index=index, dtype="float64")


def _metrics_html(metrics: Mapping[str, Any]) -> str:
    rows = []
    for key, (label, _) in METRIC_INFO.items():
        value = metrics.get(key)
        if isinstance(value, str) and value.endswith("T00:00:00+00:00"):
            value = value[:10]  # daily bars: the date says it all
        text = "n/a" if value is None else f"{value:,.2f}" if isinstance(value, float) else str(value)
        rows.append(f'<tr><td>{html.escape(label)}</td><td class="v">{html.escape(text)}</td></tr>')
    third = -(-len(rows) // 3)
    tables = "".join(
        f'<table class="metrics">{"".join(rows[i : i + third])}</table>' for i in range(0, len(rows), third)
    )
    return f'<h2>Metrics</h2><div class="grid">{tables}</div>'


def _warnings_html(warnings: Sequence[str]) -> str:
    if not warnings:
        return ""
    items = "".join(f"<li>{html.escape(w)}</li>" for w in warnings)
    return f'<h2>Warnings</h2><ul class="warnings">{items}</ul>'


def _equity_figure(equity: pd.Series, bench: pd.Series) -> go.Figure:
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=equity.index, y=equity.to_numpy(), name="Strategy", mode="lines"))
    if not bench.empty:
        name = "Benchmark (buy and hold)"
        fig.add_trace(go.Scatter(x=bench.index, y=bench.to_numpy(), name=name, mode="lines"))
    fig.update_layout(title="Equity vs benchmark", yaxis_title="Value", hovermode="x unified", height=420)
    return fig


def _drawdown_figure(drawdown: pd.Series) -> go.Figure:
    fig = go.Figure(
        go.Scatter(
            x=drawdown.index,
            y=drawdown.to_numpy(),
            fill="tozeroy",
            mode="lines",
            name="Drawdown",
            line={"color": "#d62728"},
        )
    )
    fig.update_layout(title="Drawdown (%)", yaxis_title="% below peak", height=300)
    return fig


def monthly_returns(equity: pd.Series, capital: float | None) -> pd.DataFrame:
    """Percent return per calendar month (rows: years, columns: 1..12); the first month is measured from
    ``capital`` when known, else from the first bar."""
    if equity.empty:
        return pd.DataFrame()
    month_end = equity.groupby([equity.index.year, equity.index.month]).last()
    base = capital if capital is not None else float(equity.iloc[0])
    prev = month_end.shift(1).fillna(base)
    rets = (month_end / prev - 1.0) * 100.0
    table = rets.unstack(level=1).reindex(columns=range(1, 13))
    table.index.name, table.columns.name = "year", "month"
    return table


def _monthly_heatmap(equity: pd.Series, metrics: Mapping[str, Any]) -> go.Figure | None:
    final, total = metrics.get("final_equity"), metrics.get("total_return")
    capital = final / (1 + total / 100) if final is not None and total is not None and total > -100 else None
    table = monthly_returns(equity, capital)
    if table.empty:
        return None
    z = table.to_numpy()
    text = [[("" if math.isnan(v) else f"{v:.1f}") for v in row] for row in z]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=list(_MONTHS),
            y=[str(y) for y in table.index],
            text=text,
            texttemplate="%{text}",
            colorscale="RdYlGn",
            zmid=0,
            colorbar={"title": "%"},
        )
    )
    fig.update_layout(title="Monthly returns (%)", height=max(300, 28 * len(table) + 120))
    fig.update_yaxes(autorange="reversed", type="category")
    return fig


def _trades_figure(symbol: str, bars: pd.DataFrame, trades: Sequence[Mapping[str, Any]]) -> go.Figure | None:
    frame = bars.rename(columns=str.lower)
    if "close" not in frame.columns or frame.empty:
        return None
    index = pd.DatetimeIndex(frame.index)
    index = index.tz_convert("UTC").tz_localize(None) if index.tz is not None else index
    fig = go.Figure(
        go.Scatter(
            x=index,
            y=frame["close"].to_numpy(),
            mode="lines",
            name=f"{symbol} close",
            line={"color": "#444", "width": 1},
        )
    )
    mine = [t for t in trades if t.get("symbol") == symbol]
    fig.add_trace(
        go.Scatter(
            x=[_naive(t["entry_time"]) for t in mine],
            y=[t["entry_price"] for t in mine],
            mode="markers",
            name="Entry",
            marker={"symbol": "triangle-up", "size": 10, "color": "#2ca02c"},
            hovertext=[f"entry {t['entry_price']:.2f}, size {t['size']:.4g}" for t in mine],
        )
    )
    for reason, colour in _REASON_COLOURS.items():
        exits = [t for t in mine if t.get("exit_reason") == reason and t.get("exit_time")]
        if not exits:
            continue
        fig.add_trace(
            go.Scatter(
                x=[_naive(t["exit_time"]) for t in exits],
                y=[t["exit_price"] for t in exits],
                mode="markers",
                name=f"Exit: {reason.replace('_', ' ')}",
                marker={"symbol": "triangle-down", "size": 10, "color": colour},
                hovertext=[_exit_hover(t) for t in exits],
            )
        )
    fig.update_layout(title=f"{symbol}: price with trades", yaxis_title="Price", height=420)
    return fig


def _naive(ts: str) -> pd.Timestamp:
    stamp = pd.Timestamp(ts)
    return stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo is not None else stamp


def _exit_hover(trade: Mapping[str, Any]) -> str:
    pnl, ret = trade.get("pnl") or 0.0, trade.get("return_pct") or 0.0
    return f"{trade.get('exit_rule')} (PnL {pnl:+,.2f}, {ret:+.2f}%)"
