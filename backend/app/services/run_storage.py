"""Stores a finished pipeline's outcome: the BacktestRun, its reproducibility bundle, and the execution's
final `completed` status, in one commit."""

from __future__ import annotations

import hashlib
import json

from pydantic import JsonValue

from app.core.ids import new_id
from app.models.backtest import BacktestRun, SeriesPoint
from app.models.execution import ExecutionStatus, StrategyExecution
from app.models.insights import AgentInsights
from app.services.event_log import EventLog
from app.services.pipeline import Outcome
from app.services.results import BacktestResults
from app.services.results.build import SeriesName
from app.services.results.wording import headline

BUNDLE_SEED = 0  # the pipeline is deterministic; recorded so a re-run can assert it


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def canonical_json(value: JsonValue) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def build_bundle(execution: StrategyExecution, outcome: Outcome) -> dict[str, JsonValue]:
    backtest = outcome.backtest
    spec = outcome.spec.model_dump(mode="json") if outcome.spec is not None else None
    return {
        "spec_hash": sha256_text(canonical_json(spec)) if spec is not None else None,
        "code_hash": sha256_text(backtest.script.code),
        "data": {
            symbol: {"source": data.source, "content_hash": data.content_hash}
            for symbol, data in backtest.data.items()
        },
        "library_versions": dict(backtest.library_versions),
        "llm": outcome.insights.llm.model_dump(mode="json") if outcome.insights.llm is not None else None,
        "random_seed": BUNDLE_SEED,
        "params": execution.params,
    }


def only_downsampled(results: BacktestResults) -> dict[SeriesName, list[SeriesPoint]]:
    """The full-resolution series worth storing: those the API series lost points of. A series short enough
    to ship whole is stored once (readers fall back to it), which halves a typical run's final write."""
    shipped: dict[SeriesName, list[SeriesPoint]] = {
        "equity": results.equity_series,
        "benchmark": results.benchmark_series,
        "drawdown": results.drawdown_series,
    }
    return {key: points for key, points in results.full_series.items() if len(points) != len(shipped[key])}


async def store_outcome(
    events: EventLog, execution: StrategyExecution, outcome: Outcome, elapsed_s: float
) -> None:
    results = outcome.backtest.results
    script = outcome.backtest.script
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
        full_series={str(key): points for key, points in only_downsampled(results).items()},
        bundle=build_bundle(execution, outcome),
    )
    insights = outcome.insights.model_copy(
        update={
            "spec": outcome.spec.model_dump(mode="json") if outcome.spec is not None else None,
            "execution_time": elapsed_s,
        }
    )

    def apply(row: StrategyExecution) -> None:
        row.backtest_run_id = run.id
        # Generated and submitted code stay apart: `submitted_code` holds what the user edited (and ran).
        row.generated_code = script.code if row.submitted_code is None else script.compiled
        row.error_message = None
        row.agent_insights = stored_insights(row, insights)

    summary = (
        f"Completed in {elapsed_s:.2f} s: "
        f"{headline(results.metrics.model_dump(), ('total_return', 'sharpe_ratio', 'trades'))}"
    )
    await events.finish(ExecutionStatus.completed, summary, apply=apply, add=[run])


def stored_insights(row: StrategyExecution, update: AgentInsights) -> dict[str, JsonValue]:
    """The row's insights with `update`'s (set) fields over them, as stored: only what is known."""
    merged = AgentInsights.model_validate(
        {**row.agent_insights, **update.model_dump(mode="json", exclude_unset=True)}
    )
    stored: dict[str, JsonValue] = merged.model_dump(mode="json", exclude_defaults=True)
    return stored
