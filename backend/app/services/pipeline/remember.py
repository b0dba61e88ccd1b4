"""What memory keeps from a run (the pipeline's only writes outside the event log, made by the flow after
the step that produced them): rules the LLM translated, and a completed strategy with its results."""

from __future__ import annotations

from app.models.run_list import HEADLINE_METRICS
from app.services.memory import MemoryService
from app.services.pipeline.tools import pattern_text, store_strategy_memory
from app.services.pipeline.types import Analysis, Backtest, Events


async def remember_rules(analysis: Analysis, memory: MemoryService) -> None:
    """The LLM's translations, so the same words are read from memory next time (no LLM call)."""
    for learned in analysis.learned:
        condition = learned.condition.model_dump(mode="json")
        await memory.add_translation(analysis.job.user_id, learned.rule, condition, learned.understood)


async def remember_run(analysis: Analysis, backtest: Backtest, memory: MemoryService, events: Events) -> None:
    """The strategy as understood, with its headline results; generated code that ran becomes a template
    (a user's edited code is theirs, never a template for others)."""
    job = analysis.job
    figures = backtest.results.metrics.model_dump()
    metadata: dict[str, str | int | float] = {
        "execution_id": job.execution_id,
        "strategy_id": job.strategy_id,
        "symbols": ",".join(job.params.symbols),
        "timeframe": job.params.timeframe,
        "indicators": ",".join(analysis.indicators),
        **{k: figures[k] for k in HEADLINE_METRICS if isinstance(figures[k], int | float)},
    }
    template = backtest.script.code if job.edited_code is None else None
    ids = await store_strategy_memory(
        memory, job.user_id, pattern_text(job, analysis.spec), metadata, template
    )
    if ids.get("pattern"):
        await events.log("Executor: remembered this strategy and its results")
