"""The entry the job runner calls: `build_pipeline(...)` once per worker, `await pipeline.run(job, ...)`
per execution.

This module is imported by the API process, so it imports neither crewai nor mem0 at module level: the
first `run` (or `warm`, which the worker calls in a background thread at start-up) pays for them once.

Offline mode (no ``ANTHROPIC_API_KEY``) runs the flow with the tools only; LLM mode gives each execution
a fresh per-execution budget on a shared, guarded Claude client (see `app.agents.llm`).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

from app.core.config import Settings
from app.models.status import ExecutionStatus, Milestone

log = logging.getLogger(__name__)


@dataclass
class PipelineJob:
    execution_id: str
    user_id: str
    strategy_id: str
    strategy_name: str
    graph: dict[str, Any]
    params: Any
    edited_code: str | None = None


class Progress(Protocol):
    async def stage(self, status: ExecutionStatus, message: str) -> None: ...

    async def log(self, message: str, milestone: Milestone | None = None) -> None: ...


@dataclass
class PipelineOutcome:
    spec: dict[str, Any] | None
    code: str
    results: Any
    data_sources: dict[str, Any]
    insights: dict[str, Any]
    generated_code: str | None = None  # compiled from the spec; differs from `code` when edited code ran


class ExecutionPipeline:
    """Runs executions through the crew's flow. ``llm``: a `crewai.BaseLLM` to use instead of Claude
    (tests pass a scripted one); None with no key means offline mode."""

    def __init__(
        self, *, settings: Settings, market_data: Any, sandbox_pool: Any, memory: Any, llm: Any = None
    ) -> None:
        self.settings = settings
        self.market_data = market_data
        self.sandbox_pool = sandbox_pool
        self.memory = memory
        self._inner_llm = llm
        self._guarded: Any = None
        self._warm_lock = threading.Lock()
        self._warmed = False
        self.startup: dict[str, float] = {}

    @property
    def mode(self) -> str:
        return "llm" if self._inner_llm is not None or self.settings.llm_mode else "offline"

    def warm(self) -> dict[str, float]:
        """Imports crewai, builds the LLM client and starts memory (blocking; once). Returns seconds."""
        with self._warm_lock:
            if self._warmed:
                return self.startup
            from app.agents.runtime_env import configure_runtime_env

            configure_runtime_env(self.settings.data_dir)
            t0 = time.perf_counter()
            from app.agents import flow  # noqa: F401  (imports crewai)
            from app.agents.llm import AnswerCache, make_llm

            self.startup["import_crewai_s"] = round(time.perf_counter() - t0, 3)
            cache = AnswerCache(self.settings.llm.cache_size)
            self._guarded = make_llm(
                self.settings.llm, self.settings.llm_api_key, cache, inner=self._inner_llm
            )
            t1 = time.perf_counter()
            if self.memory is not None:
                self.memory.load()
            self.startup["memory_start_s"] = round(time.perf_counter() - t1, 3)
            self._warmed = True
            log.info("agents ready (%s mode): %s", self.mode, self.startup)
            return self.startup

    async def run(self, job: PipelineJob, progress: Progress, cancel: asyncio.Event) -> PipelineOutcome:
        await asyncio.to_thread(self.warm)
        from app.agents.crew import make_agents
        from app.agents.flow import ExecutionFlow, RunState
        from app.agents.tools import ToolContext, build_tools

        state = RunState(
            job=job,
            progress=progress,
            cancel=cancel,
            settings=self.settings,
            market_data=self.market_data,
            sandbox_pool=self.sandbox_pool,
            memory=self.memory,
        )
        state.insights["strategy_name"] = job.strategy_name
        state.insights["agents"] = {"mode": self.mode}
        if self._guarded is not None:
            state.llm = self._guarded.for_execution()
            state.tool_ctx = ToolContext(
                loop=asyncio.get_running_loop(),
                memory=self.memory,
                user_id=job.user_id,
                execution_id=job.execution_id,
                similar_k=self.settings.memory.similar_k,
                compiled_code=lambda: state.compiled_code,
                backtest=lambda: _metrics_of(state),
            )
            tools = build_tools(state.tool_ctx)
            state.agents = make_agents(state.llm, tools, self.settings.agents_max_iter)
        flow = ExecutionFlow.for_run(state)
        try:
            await flow.kickoff_async()
        finally:
            if state.llm is not None:
                state.insights["llm"] = state.llm.usage.model_dump()
            if state.tool_ctx is not None:
                state.insights["agents"]["tool_calls"] = list(state.tool_ctx.calls)
            # CrewAI's Flow and the tools' closures refer back to themselves; cut the links to this run's
            # data so it is freed as soon as it is stored, not by a full collection (a ~70 ms pause on
            # the event loop every other run when each run's series waited for one).
            flow.release()
            state.tool_ctx = state.agents = None
        return PipelineOutcome(
            spec=state.spec.model_dump(mode="json") if state.spec is not None else None,
            code=state.code,
            results=state.results,
            data_sources=state.data_sources,
            insights=state.insights,
            generated_code=state.compiled_code,
        )


async def _metrics_of(state: Any) -> dict[str, Any]:
    return state.results.metrics.model_dump() if state.results is not None else {"error": "not run yet"}


def build_pipeline(settings: Settings, market_data: Any, sandbox_pool: Any, memory: Any) -> ExecutionPipeline:
    """Offline mode without ``ANTHROPIC_API_KEY``, Claude with it. Cheap: call `warm()` to pay start-up."""
    return ExecutionPipeline(
        settings=settings, market_data=market_data, sandbox_pool=sandbox_pool, memory=memory
    )
