"""Stores a finished pipeline's outcome: the BacktestRun, its reproducibility bundle, and the execution's
final `completed` status, in one commit."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from app.core.ids import new_id
from app.models.backtest import BacktestRun
from app.models.execution import ExecutionStatus, StrategyExecution
from app.services.event_log import EventLog
from app.services.results import BacktestResults
from app.services.results.wording import headline

BUNDLE_SEED = 0  # the pipeline is deterministic; recorded so a re-run can assert it


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def build_bundle(execution: StrategyExecution, outcome: Any) -> dict[str, Any]:
    insights: dict[str, Any] = outcome.insights
    return {
        "spec_hash": sha256_text(canonical_json(outcome.spec)) if outcome.spec is not None else None,
        "code_hash": sha256_text(outcome.code),
        "data": outcome.data_sources,
        "library_versions": insights.get("library_versions", {}),
        "llm": insights.get("llm"),
        "random_seed": BUNDLE_SEED,
        "params": execution.params,
    }


def only_downsampled(results: BacktestResults) -> dict[str, Any]:
    """The full-resolution series worth storing: those the API series lost points of. A series short enough
    to ship whole is stored once (readers fall back to it), which halves a typical run's final write."""
    shipped = {
        "equity": results.equity_series,
        "benchmark": results.benchmark_series,
        "drawdown": results.drawdown_series,
    }
    return {key: points for key, points in results.full_series.items() if len(points) != len(shipped[key])}


async def store_outcome(
    progress: EventLog,
    execution: StrategyExecution,
    outcome: Any,
    elapsed_s: float,
) -> None:
    results = outcome.results
    run = BacktestRun(
        id=new_id("bt"),
        execution_id=execution.id,
        strategy_id=execution.strategy_id,
        user_id=execution.user_id,
        metrics=results.metrics.model_dump(),
        equity_series=results.equity_series,
        benchmark_series=results.benchmark_series,
        drawdown_series=results.drawdown_series,
        trades=[t.model_dump() for t in results.trades],
        full_series=only_downsampled(results),
        bundle=build_bundle(execution, outcome),
    )

    def apply(row: StrategyExecution) -> None:
        row.backtest_run_id = run.id
        # Generated and submitted code stay apart: `submitted_code` holds what the user edited (and ran).
        row.generated_code = outcome.code if row.submitted_code is None else outcome.generated_code
        row.error_message = None
        row.agent_insights = {
            **row.agent_insights,
            **outcome.insights,
            "spec": outcome.spec,
            "execution_time": elapsed_s,
        }

    summary = (
        f"Completed in {elapsed_s:.2f} s: "
        f"{headline(results.metrics.model_dump(), ('total_return', 'sharpe_ratio', 'trades'))}"
    )
    await progress.finish(ExecutionStatus.completed, summary, apply=apply, add=[run])
