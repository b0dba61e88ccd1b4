"""The entry the job runner calls: `build_pipeline(...)` once per worker, `await pipeline.run(job, ...)`
per execution (`app.services.pipeline.Pipeline`).

This module is imported by the API process, so it imports neither crewai nor mem0 at module level: the
first `run` (or `warm`, which the worker calls in a background thread at start-up) pays for them once.

Offline mode (no ``ANTHROPIC_API_KEY``) runs the flow with the tools only; LLM mode gives each execution
a fresh per-execution budget on a shared, guarded Claude client (see `app.agents.llm`) and the three
agents as the run's `Assistant`; a sweep gets the fourth, the optimizer, as its `SweepAdvisor`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import TYPE_CHECKING, Literal

from app.core.config import Settings
from app.models.insights import AgentInsights, AgentsInfo, LLMUsage
from app.services.language import GraphLimits
from app.services.market_data import MarketData
from app.services.memory import MemoryService
from app.services.pipeline import Events, Job, Outcome, RunContext, SweepAdvisor, run_memory
from app.services.sandbox import SandboxPool

if TYPE_CHECKING:
    from crewai import BaseLLM

    from app.agents.flow import FlowRun
    from app.agents.llm import GuardedLLM

log = logging.getLogger(__name__)


class ExecutionPipeline:
    """Runs executions through the crew's flow. ``llm``: a `crewai.BaseLLM` to use instead of Claude
    (tests pass a scripted one); None with no key means offline mode."""

    def __init__(
        self,
        *,
        settings: Settings,
        market_data: MarketData,
        sandbox_pool: SandboxPool,
        memory: MemoryService,
        llm: BaseLLM | None = None,
    ) -> None:
        self.settings = settings
        self.market_data = market_data
        self.sandbox_pool = sandbox_pool
        self.memory = memory
        self._inner_llm = llm
        self._guarded: GuardedLLM | None = None
        self._warm_lock = threading.Lock()
        self._warmed = False
        self.startup: dict[str, float] = {}

    @property
    def mode(self) -> Literal["offline", "llm"]:
        return "llm" if self._inner_llm is not None or self.settings.llm_mode else "offline"

    def warm(self) -> dict[str, float]:
        """Imports crewai, builds the LLM client and starts memory (blocking; once). Returns seconds."""
        with self._warm_lock:
            if self._warmed:
                return self.startup
            from app.core.runtime_env import HEAVY_IMPORTS, configure_runtime_env

            configure_runtime_env(self.settings.data_dir)
            # Memory first: its load holds a lock while importing mem0 (and qdrant_client). crewai imports
            # qdrant_client too, and two threads importing it at once deadlock, which happened when an API
            # route (e.g. POST /indicators) started memory while this thread was importing crewai.
            t1 = time.perf_counter()
            self.memory.load()
            self.startup["memory_start_s"] = round(time.perf_counter() - t1, 3)
            t0 = time.perf_counter()
            with HEAVY_IMPORTS:  # not beside a mem0 import in another thread (see HEAVY_IMPORTS)
                from app.agents import flow  # noqa: F401  (imports crewai)
                from app.agents.llm import AnswerCache, make_llm

            self.startup["import_crewai_s"] = round(time.perf_counter() - t0, 3)
            cache = AnswerCache(self.settings.llm.cache_size)
            key = self.settings.llm_api_key
            self._guarded = make_llm(self.settings.llm, key, cache, inner=self._inner_llm)
            self._warmed = True
            log.info("agents ready (%s mode): %s", self.mode, self.startup)
            return self.startup

    async def run(self, job: Job, events: Events, cancel: asyncio.Event) -> Outcome:
        await asyncio.to_thread(self.warm)
        from app.agents.flow import ExecutionFlow, FlowRun

        settings = self.settings
        ctx = RunContext(
            events=events,
            cancel=cancel,
            market_data=self.market_data,
            sandbox=self.sandbox_pool,
            memory=self.memory,
            limits=GraphLimits.of(settings),
            similar_k=settings.memory.similar_k,
            repair_attempts=settings.code_repair_attempts,
            summary=settings.llm.summary,
        )
        llm: GuardedLLM | None = None
        tool_calls: list[str] = []
        if self._guarded is not None:
            from app.agents.crew import CrewAssistant, make_agents
            from app.agents.tools import ToolContext, build_tools

            llm = self._guarded.for_execution()
            tools = ToolContext(
                loop=asyncio.get_running_loop(),
                memory=self.memory,
                user_id=job.user_id,
                execution_id=job.execution_id,
                similar_k=settings.memory.similar_k,
                calls=tool_calls,
            )
            agents = make_agents(llm, build_tools(tools), settings.agents_max_iter)
            ctx.assistant = CrewAssistant(agents, tools)
        run = FlowRun(job=job, ctx=ctx)
        flow = ExecutionFlow.for_run(run)
        try:
            await flow.kickoff_async()
        finally:
            # CrewAI's Flow and the agents' tools refer back to themselves; cut the links to this run's data
            # so it is freed as soon as it is stored, not by a full collection (a ~70 ms pause on the event
            # loop every other run when each run's series waited for one).
            flow.release()
            ctx.assistant = None
        return _outcome(run, self.mode, llm.usage if llm is not None else None, tool_calls)

    async def sweep_advisor(self) -> SweepAdvisor | None:
        """The optimization agent for one sweep in LLM mode (a fresh per-execution budget on the shared
        client); None offline, where the sweep's deterministic explanation stands alone."""
        if self.mode == "offline":
            return None
        await asyncio.to_thread(self.warm)
        if self._guarded is None:
            return None
        from app.agents.crew import CrewAdvisor

        return CrewAdvisor(self._guarded.for_execution(), self.settings.agents_max_iter)


def _outcome(
    run: FlowRun, mode: Literal["offline", "llm"], usage: LLMUsage | None, calls: list[str]
) -> Outcome:
    analysis, backtest, review = run.analysis, run.backtest, run.review
    assert analysis is not None and backtest is not None and review is not None, "the flow did not finish"
    insights = AgentInsights(
        strategy_name=run.job.strategy_name,
        agents=AgentsInfo(mode=mode, tool_calls=calls),
        indicators_used=analysis.indicators,
        translated_rules=list(analysis.translated_rules),
        similar_strategies=list(analysis.similar),
        preferences=analysis.preferences,
        memory_notes=[*analysis.memory_notes, *review.memory_notes],
        code_repairs=list(backtest.script.repairs),
        library_versions=dict(backtest.library_versions),
        bias_check=backtest.bias_check,
        llm=usage,
        summary=review.summary,
        summary_error=review.summary_error,
    )
    return Outcome(
        spec=analysis.spec, backtest=backtest, insights=insights, memory=run_memory(analysis, backtest)
    )


def build_pipeline(
    settings: Settings, market_data: MarketData, sandbox_pool: SandboxPool, memory: MemoryService
) -> ExecutionPipeline:
    """Offline mode without ``ANTHROPIC_API_KEY``, Claude with it. Cheap: call `warm()` to pay start-up."""
    return ExecutionPipeline(
        settings=settings, market_data=market_data, sandbox_pool=sandbox_pool, memory=memory
    )
