"""Results a quant can trust: metrics, sanity warnings, series, exit reasons, exports, report, compare.

Public face:

* `build_results(equity, trades, benchmark_close, params, stops, signals, bars_by_symbol) -> BacktestResults`
* `trades_csv(trades) -> str`, `equity_csv(equity, benchmark, drawdown) -> str`
* `render_report(name, results, bars_by_symbol) -> str` (self-contained, offline HTML)
* `compare_runs([(execution_id, metrics), ...]) -> dict`

Formulas and conventions are documented once, in `app.services.results.metrics`.
"""

from app.services.results._inputs import InvalidBacktestOutput
from app.services.results.build import BacktestResults, build_results
from app.services.results.compare import compare_runs
from app.services.results.exports import equity_csv, trades_csv
from app.services.results.metrics import METRIC_KEYS
from app.services.results.report import render_report
from app.services.results.series import MAX_POINTS, downsample

__all__ = [
    "MAX_POINTS",
    "METRIC_KEYS",
    "BacktestResults",
    "InvalidBacktestOutput",
    "build_results",
    "compare_runs",
    "downsample",
    "equity_csv",
    "render_report",
    "trades_csv",
]
