"""Views of a stored BacktestRun: CSV exports, the HTML report and side-by-side comparison."""

from __future__ import annotations

import asyncio
from typing import Any

from app.models.backtest import BacktestRun, TradeRow
from app.models.execution import StrategyExecution
from app.services.results import compare_runs, render_report
from app.services.results import equity_csv as render_equity_csv
from app.services.results import trades_csv as render_trades_csv
from app.services.results.report_sections import report_context


def _full(run: BacktestRun, key: str, fallback: list[Any]) -> list[Any]:
    series = run.full_series.get(key) if run.full_series else None
    return list(series) if series else fallback


def full_series(run: BacktestRun, key: str) -> list[Any]:
    """A series at every bar ("equity", "benchmark" or "drawdown"): the stored full resolution when the API
    series is downsampled, else the API series itself."""
    shipped = {
        "equity": run.equity_series,
        "benchmark": run.benchmark_series,
        "drawdown": run.drawdown_series,
    }
    return _full(run, key, shipped[key])


def trades_csv(run: BacktestRun) -> str:
    return render_trades_csv([TradeRow.model_validate(t) for t in run.trades])


def equity_csv(run: BacktestRun) -> str:
    return render_equity_csv(
        full_series(run, "equity"), full_series(run, "benchmark"), full_series(run, "drawdown")
    )


async def report_html(execution: StrategyExecution, run: BacktestRun, strategy_name: str) -> str:
    """The report of one run, titled with its strategy's name, saying what ran and how it was filled."""
    context = report_context(
        strategy_name,
        execution.agent_insights.get("spec"),
        execution.params,
        edited_code=execution.submitted_code is not None,
    )
    return await asyncio.to_thread(render_report, strategy_name, run, {}, context)


def bundle(execution: StrategyExecution, run: BacktestRun) -> dict[str, Any]:
    """What it takes to reproduce a run: the spec and the code that ran (with their hashes), the params, each
    symbol's data source and content hash, library versions, the LLM (if any) and the seed."""
    return {
        **run.bundle,
        "execution_id": execution.id,
        "strategy_id": execution.strategy_id,
        "spec": execution.agent_insights.get("spec"),
        # the code that ran: the user's edit when there was one
        "code": execution.submitted_code
        if execution.submitted_code is not None
        else execution.generated_code,
    }


def compare(ids: list[str], runs: list[BacktestRun]) -> dict[str, Any]:
    """`rows` (label, which direction is better, values, best ids) plus a plain `metrics` map
    `{metric: {execution_id: value}}` for simple clients."""
    table = compare_runs([(execution_id, run.metrics) for execution_id, run in zip(ids, runs, strict=True)])
    metrics = {row["metric"]: row["values"] for row in table["rows"]}
    return {"ids": ids, "metrics": metrics, **table}
