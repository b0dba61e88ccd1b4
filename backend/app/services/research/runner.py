"""One sweep execution, worker side: the same stages as a backtest (analyzing, generating_code, executing)
with a sweep's own work in each, then the optimization agent's pick; `store_sweep` writes it all in one
commit with the `completed` status."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.core.config import Settings
from app.models.execution import ExecutionStatus, StrategyExecution
from app.models.status import Milestone
from app.models.sweep import Sweep, SweepRequest
from app.services.event_log import EventLog
from app.services.language import SavedIndicator
from app.services.language.compiler_sweep import compile_sweep
from app.services.pipeline import SweepAdvisor
from app.services.research.errors import InvalidSweep
from app.services.research.optimizer import explain, robust_pick
from app.services.research.script import sweep_source
from app.services.research.sweeps import design_for


class _Summary(BaseModel):
    """The bounds a sweep's result must keep (it crossed the sandbox boundary)."""

    model_config = ConfigDict(extra="allow")

    combinations: int = Field(ge=0)
    evaluated: int = Field(ge=0)
    skipped: int = Field(ge=0)
    rows: list[dict[str, Any]] = Field(max_length=1000)
    grid: dict[str, list[float]]
    table: dict[str, Any]


@dataclass
class SweepRun:
    code: str
    summary: dict[str, Any]
    table: dict[str, Any]
    insights: dict[str, Any] = field(default_factory=dict)


async def run_sweep_execution(
    execution: StrategyExecution,
    graph: dict[str, Any],
    request: SweepRequest,
    progress: EventLog,
    cancel: asyncio.Event,
    *,
    settings: Settings,
    market_data: Any,
    sandbox_pool: Any,
    memory: Any = None,
    library: Sequence[SavedIndicator] = (),
    advisor: SweepAdvisor | None = None,
) -> SweepRun:
    await progress.stage(
        ExecutionStatus.analyzing, "Optimizer: reading the strategy's parameters and the grid"
    )
    design = await asyncio.to_thread(design_for, graph, request, settings, library)
    description = _describe(design)
    suggestion = None
    if memory is not None:
        found = await memory.search_sweep_picks(execution.user_id, description)
        if found:
            suggestion = found[0]
            await progress.log(f"Optimizer: memory suggests {suggestion.get('values')} from an earlier sweep")
    walk = (request.validation.folds, request.validation.in_sample) if request.validation else None
    heat = (request.heatmap[0], request.heatmap[1]) if request.heatmap else None
    source = await asyncio.to_thread(sweep_source, design, request.objective, walk, heat)
    size = 1
    for values in design.grid.values():
        size *= len(values)
    await progress.log(
        f"Optimizer: {size:,} combinations of {', '.join(design.grid)}; "
        f"{len(design.leaves)} part(s) of the rules move with them"
    )
    await progress.stage(ExecutionStatus.generating_code, "Generator: compiling the sweep script")
    code = compile_sweep(design.default, source)
    await progress.stage(ExecutionStatus.executing, "Executor: running the sweep in the sandbox")
    params = request.params
    files = {}
    first_day = date.fromisoformat(source.data_start)
    for symbol in params.symbols:
        bars = await market_data.load(symbol, params.timeframe, first_day, params.end_date, execution.user_id)
        files[symbol] = bars.parquet_path
    loop = asyncio.get_running_loop()
    last = [0.0]
    pending: set[asyncio.Task[None]] = set()

    def report(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] < 0.5 and done < total:
            return
        last[0] = now
        task = loop.create_task(progress.step(f"Executor: {done:,} / {total:,} combinations", done, total))
        pending.add(task)
        task.add_done_callback(pending.discard)

    result = await sandbox_pool.run(
        code,
        files,
        timeout_s=settings.sweep_timeout_s,
        cancel=cancel,
        progress=report,
        result_limit=settings.sandbox.sweep_result_limit_bytes,
    )
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
    if result.sweep is None:
        raise InvalidSweep("the sweep script ended without a sweep result")
    checked = _Summary.model_validate(result.sweep)
    summary = checked.model_dump()
    table = summary.pop("table")
    summary["warmup_bars"] = source.warmup_bars
    await progress.log(
        f"Executor: {summary['evaluated']:,} combinations evaluated, {summary['skipped']:,} skipped, "
        f"{summary.get('combos_per_s') or 0:,.0f} per second",
        Milestone.backtest_ran,
    )
    pick = await asyncio.to_thread(robust_pick, summary, table)
    if pick is not None:
        pick = await explain(pick, summary, advisor, progress)
    insights: dict[str, Any] = {
        "optimization": pick,
        "library_versions": dict(result.library_versions),
        "sweep_suggestion": suggestion,
        "agents": {"mode": "offline" if advisor is None else "llm", "tool_calls": []},
    }
    if advisor is not None:
        insights["llm"] = advisor.usage.model_dump(mode="json")
    if pick is not None:
        await progress.log(f"Optimizer: {pick['reasons'][0]}", Milestone.results_ready)
        if memory is not None:
            chosen = ", ".join(f"{k} = {v:g}" for k, v in pick["values"].items())
            await memory.add_sweep_pick(
                execution.user_id,
                f"{description}. Robust pick: {chosen}.",
                {"execution_id": execution.id, "values": pick["values"], "reasons": pick["reasons"]},
            )
    return SweepRun(code=code, summary=summary, table=table, insights=insights)


def _describe(design: Any) -> str:
    """The strategy in words, for memory's similarity: its rules as read, and what the sweep varies."""
    rules = [
        rule.understood or rule.text
        for side in (design.default.entries, design.default.exits)
        for rs in side
        for rule in rs.rules
    ]
    return f"Sweep of {', '.join(design.grid)} over: {'; '.join(rules)}"


async def store_sweep(
    progress: EventLog,
    session_factory: Any,
    execution: StrategyExecution,
    run: SweepRun,
    elapsed_s: float,
) -> None:
    """The sweep's result rows and the execution's `completed` status in one commit."""
    async with session_factory() as session:
        sweep = await session.get(Sweep, execution.id)
    if sweep is None:
        raise InvalidSweep(f"the sweep request of execution '{execution.id}' is missing")
    sweep.summary = run.summary
    sweep.table_data = run.table

    def apply(row: StrategyExecution) -> None:
        row.generated_code = run.code
        row.error_message = None
        row.agent_insights = {**row.agent_insights, **run.insights, "execution_time": elapsed_s}

    best = run.summary.get("best") or {}
    message = f"Completed in {elapsed_s:.2f} s: {run.summary['evaluated']:,} combinations evaluated" + (
        "; best " + ", ".join(f"{k} = {v:g}" for k, v in (best.get("values") or {}).items()) if best else ""
    )
    await progress.finish(ExecutionStatus.completed, message, apply=apply, add=[sweep])
