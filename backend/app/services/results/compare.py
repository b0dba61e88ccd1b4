"""Several runs' metrics side by side, with the best run per metric where "best" means something.

"Best" is the highest value for returns and risk-adjusted ratios, the highest (least negative) for
drawdowns and losses, the lowest for volatility and drawdown length; it is not judged for descriptive
figures (trade count, beta, correlation, exposure, dates). Ties share the title; runs without a value
are skipped.

>>> runs = [("a", {"sharpe_ratio": 1.2, "beta": 0.9}), ("b", {"sharpe_ratio": 0.4, "beta": 1.1})]
>>> table = compare_runs(runs)
>>> [(row["metric"], row["best"]) for row in table["rows"]]
[('sharpe_ratio', ['a']), ('beta', [])]
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from app.services.results.metrics import METRIC_KEYS

Better = Literal["higher", "lower"] | None

# label, direction: what a trader reads in the table header and how runs are ranked
METRIC_INFO: dict[str, tuple[str, Better]] = {
    "total_return": ("Total return (%)", "higher"),
    "cagr": ("CAGR (%)", "higher"),
    "volatility": ("Volatility, annualised (%)", "lower"),
    "sharpe_ratio": ("Sharpe ratio", "higher"),
    "sortino_ratio": ("Sortino ratio", "higher"),
    "calmar_ratio": ("Calmar ratio", "higher"),
    "max_drawdown": ("Max drawdown (%)", "higher"),
    "max_drawdown_start": ("Max drawdown start", None),
    "max_drawdown_trough": ("Max drawdown trough", None),
    "max_drawdown_recovery": ("Max drawdown recovery", None),
    "longest_drawdown_days": ("Longest drawdown (days)", "lower"),
    "win_rate": ("Win rate (%)", "higher"),
    "trades": ("Trades", None),
    "long_trades": ("Long trades", None),
    "short_trades": ("Short trades", None),
    "profit_factor": ("Profit factor", "higher"),
    "expectancy": ("Expectancy per trade", "higher"),
    "avg_win": ("Average win (%)", "higher"),
    "avg_loss": ("Average loss (%)", "higher"),
    "best_trade": ("Best trade (%)", "higher"),
    "worst_trade": ("Worst trade (%)", "higher"),
    "avg_holding_days": ("Average holding (days)", None),
    "exposure": ("Exposure (% of bars)", None),
    "benchmark_return": ("Benchmark return (%)", None),
    "vs_benchmark": ("vs benchmark (pp)", "higher"),
    "alpha": ("Alpha, annualised (%)", "higher"),
    "beta": ("Beta", None),
    "correlation": ("Correlation", None),
    "information_ratio": ("Information ratio", "higher"),
    "final_equity": ("Final equity", "higher"),
    "start": ("Start", None),
    "end": ("End", None),
    "bars": ("Bars", None),
}
assert set(METRIC_INFO) == set(METRIC_KEYS), "every metric needs a label and a direction"


def compare_runs(runs: Sequence[tuple[str, Mapping[str, Any]]]) -> dict[str, Any]:
    """``{"executions": [ids], "rows": [{metric, label, better, values: {id: value}, best: [ids]}],
    "warnings": {id: [...]}}`` in the order of `METRIC_KEYS`, plus any extra metric the runs carry."""
    ids = [execution_id for execution_id, _ in runs]
    extra = sorted({k for _, m in runs for k in m if k not in METRIC_INFO and k != "warnings"})
    rows = []
    for metric in [*METRIC_KEYS, *extra]:
        label, better = METRIC_INFO.get(metric, (metric, None))
        values = {execution_id: m.get(metric) for execution_id, m in runs}
        if not any(metric in m for _, m in runs):  # a metric no run carries (older runs) gets no row
            continue
        best = _best(values, better)
        rows.append({"metric": metric, "label": label, "better": better, "values": values, "best": best})
    return {
        "executions": ids,
        "rows": rows,
        "warnings": {execution_id: list(m.get("warnings") or []) for execution_id, m in runs},
    }


def _best(values: Mapping[str, Any], better: Better) -> list[str]:
    numbers = {
        k: float(v)
        for k, v in values.items()
        if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(float(v))
    }
    if better is None or len(numbers) < 2:
        return []
    target = max(numbers.values()) if better == "higher" else min(numbers.values())
    return [k for k, v in numbers.items() if v == target]
