"""The execution as a CrewAI Flow: analyzing -> generating_code -> executing.

Each step is its agent's job and calls the same tool functions in both modes. Offline, the steps are
deterministic; in LLM mode the agents add judgement where the tools stop: a rule the grammar cannot read
(analyzer), code that fails the policy or raises (generator), and the written summary (executor).
The status events are the same in both modes.

Importing this module imports crewai (~5 s): only the worker does, lazily.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from crewai.flow.flow import Flow, listen, start
from pydantic import PrivateAttr

from app.agents import crew as crew_mod
from app.agents import steps
from app.core.errors import DomainError
from app.models.status import ExecutionStatus, Milestone

log = logging.getLogger(__name__)


class ExecutionCancelled(DomainError):
    status_code = 409


@dataclass
class RunState:
    """Everything one execution's steps share (kept off the Flow's pydantic state: frames, services)."""

    job: Any
    progress: Any
    cancel: asyncio.Event
    settings: Any
    market_data: Any
    sandbox_pool: Any
    memory: Any
    agents: crew_mod.CrewAgents | None = None
    llm: Any = None
    tool_ctx: Any = None
    spec: Any = None
    compiled_code: str | None = None
    code: str = ""
    results: Any = None
    data_sources: dict[str, Any] = field(default_factory=dict)
    insights: dict[str, Any] = field(default_factory=dict)

    def check_cancel(self) -> None:
        if self.cancel.is_set():
            raise ExecutionCancelled("Execution cancelled")

    async def log(self, message: str, milestone: Milestone | None = None) -> None:
        await self.progress.log(message, milestone)


class ExecutionFlow(Flow):  # type: ignore[type-arg]
    """One execution. Build with `ExecutionFlow.for_run(state)`, then `await flow.kickoff_async()`."""

    suppress_flow_events: bool = True
    # CrewAI gives every flow its own crewai Memory unless told not to: a few ms per run, and its set-up keeps
    # the frames that built the flow (so this run's state) alive until a full collection. Memory is mem0's.
    _skip_auto_memory: bool = True
    _run: RunState | None = PrivateAttr(default=None)

    @classmethod
    def for_run(cls, state: RunState) -> ExecutionFlow:
        flow = cls()
        flow._run = state
        return flow

    def release(self) -> None:
        """Drop the run's state (its frames, results and services) once the run is over."""
        self._run = None

    @property
    def run_state(self) -> RunState:
        assert self._run is not None, "ExecutionFlow needs for_run(state)"
        return self._run

    @start()
    async def analyzing(self) -> None:
        s = self.run_state
        s.check_cancel()
        await s.progress.stage(ExecutionStatus.analyzing, "Analyzer: reading the strategy's rules")
        await steps.analyze(s)

    @listen(analyzing)
    async def generating_code(self) -> None:
        s = self.run_state
        s.check_cancel()
        await s.progress.stage(ExecutionStatus.generating_code, "Generator: writing the VectorBT code")
        await steps.generate(s)

    @listen(generating_code)
    async def executing(self) -> None:
        s = self.run_state
        s.check_cancel()
        await s.progress.stage(ExecutionStatus.executing, "Executor: loading data and running the backtest")
        await steps.execute(s)
