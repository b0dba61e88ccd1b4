"""What memory keeps from a run (the pipeline's only writes outside the event log): rules the LLM translated
(the flow writes them after the analysis), and a completed strategy with its results (`run_memory` builds
it in the flow; the job runner writes it with `remember_run` once the run is `completed`, since nobody
waits on it)."""

from __future__ import annotations

from app.models.run_list import HEADLINE_METRICS
from app.services.memory import MemoryService
from app.services.pipeline.tools import pattern_text, store_strategy_memory
from app.services.pipeline.types import Analysis, Backtest, RunMemory


async def remember_rules(analysis: Analysis, memory: MemoryService) -> None:
    """The LLM's translations, so the same words are read from memory next time (no LLM call)."""
    for learned in analysis.learned:
        condition = learned.condition.model_dump(mode="json")
        await memory.add_translation(analysis.job.user_id, learned.rule, condition, learned.understood)


def run_memory(analysis: Analysis, backtest: Backtest) -> RunMemory:
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
    return RunMemory(job.user_id, job.execution_id, pattern_text(job, analysis.spec), metadata, template)


async def remember_run(run: RunMemory, memory: MemoryService) -> bool:
    """Writes the run's pattern (and template); True when the pattern was stored (memory may be off)."""
    ids = await store_strategy_memory(memory, run.user_id, run.pattern, run.metadata, run.template)
    return bool(ids.get("pattern"))
