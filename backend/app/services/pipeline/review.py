"""`review(backtest, analysis, ctx) -> Review`: the executor's reading of the results. Notes where the run
breaks the user's remembered preferences, and in LLM mode a short summary that may cite only the
metrics' own numbers (a missing summary is reported, never invented)."""

from __future__ import annotations

from app.core.errors import DomainError
from app.models.backtest import BacktestMetrics
from app.models.memory import Preferences
from app.services.pipeline.types import Analysis, Backtest, Review, RunContext, SummaryFacts


async def review(backtest: Backtest, analysis: Analysis, ctx: RunContext) -> Review:
    metrics = backtest.results.metrics
    notes = preference_notes(metrics, analysis.preferences)
    if ctx.assistant is None or not ctx.summary:
        return Review(memory_notes=notes)
    params = analysis.job.params
    facts = SummaryFacts(metrics=metrics, symbols=list(params.symbols), benchmark=params.benchmark_symbol)
    try:
        summary = await ctx.assistant.summarize(facts, ctx.events)
    except (ValueError, DomainError) as exc:
        reason = exc.message if isinstance(exc, DomainError) else str(exc)
        await ctx.events.log(f"Executor: no summary: {reason}")
        return Review(memory_notes=notes, summary_error=reason)
    await ctx.events.log("Executor: summary written")
    return Review(memory_notes=notes, summary=summary)


def preference_notes(metrics: BacktestMetrics, preferences: Preferences | None) -> tuple[str, ...]:
    """A drawdown deeper than the user said they accept, in their words."""
    limit = preferences.max_drawdown if preferences is not None else None
    drawdown = abs(metrics.max_drawdown)
    if limit is not None and drawdown > limit:
        return (f"max drawdown {drawdown:.1f}% exceeds your preference of {limit:g}%",)
    return ()
