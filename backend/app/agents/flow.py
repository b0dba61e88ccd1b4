"""The execution as a CrewAI Flow: analyzing -> generating_code -> executing, a thin adapter over the typed
steps of `app.services.pipeline`. Each flow step is its agent's job; offline the steps use the tools
directly, in LLM mode they also ask the agents (through the run's `Assistant`) where the tools stop. The
status events are the steps' own, the same in both modes.

Importing this module imports crewai (~5 s): only the worker does, lazily.
"""

from __future__ import annotations

from dataclasses import dataclass

from crewai.flow.flow import Flow, listen, start
from pydantic import PrivateAttr

from app.services.pipeline import (
    Analysis,
    Backtest,
    Job,
    Review,
    RunContext,
    Script,
    analyze,
    execute,
    generate,
    remember_rules,
    review,
)


@dataclass
class FlowRun:
    """One run's job, context and step outputs (kept off the Flow's pydantic state: frames, services)."""

    job: Job
    ctx: RunContext
    analysis: Analysis | None = None
    script: Script | None = None
    backtest: Backtest | None = None
    review: Review | None = None


class ExecutionFlow(Flow):  # type: ignore[type-arg]
    """One execution. Build with `ExecutionFlow.for_run(run)`, then `await flow.kickoff_async()`."""

    suppress_flow_events: bool = True
    # CrewAI gives every flow its own crewai Memory unless told not to: a few ms per run, and its set-up keeps
    # the frames that built the flow (so this run's state) alive until a full collection. Memory is mem0's.
    _skip_auto_memory: bool = True
    _run: FlowRun | None = PrivateAttr(default=None)

    @classmethod
    def for_run(cls, run: FlowRun) -> ExecutionFlow:
        flow = cls()
        flow._run = run
        return flow

    def release(self) -> None:
        """Drop the run (its frames, results and services) once it is over."""
        self._run = None

    @property
    def run_state(self) -> FlowRun:
        assert self._run is not None, "ExecutionFlow needs for_run(run)"
        return self._run

    @start()
    async def analyzing(self) -> None:
        run = self.run_state
        run.ctx.check_cancel()
        run.analysis = await analyze(run.job, run.ctx)
        await remember_rules(run.analysis, run.ctx.memory)

    @listen(analyzing)
    async def generating_code(self) -> None:
        run = self.run_state
        run.ctx.check_cancel()
        assert run.analysis is not None
        run.script = await generate(run.analysis, run.ctx)

    @listen(generating_code)
    async def executing(self) -> None:
        run = self.run_state
        run.ctx.check_cancel()
        assert run.analysis is not None and run.script is not None
        run.backtest = await execute(run.script, run.job, run.ctx)
        run.review = await review(run.backtest, run.analysis, run.ctx)
