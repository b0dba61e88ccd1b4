"""The typed values an execution travels through, and what the steps need from the rest of the service.

    Job ──analyze──► Analysis ──generate──► Script ──execute──► Backtest ──review──► Review
                                                                        └─run_memory──► RunMemory

Each step is a plain async function of these values and a `RunContext` (its services and its event log);
its only side effects are its events. The CrewAI flow (`app.agents.flow`) sequences them; the LLM's help
comes in through the `Assistant` protocol, which the agents implement.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

from pydantic import JsonValue

from app.core.errors import DomainError
from app.models.backtest import BacktestMetrics
from app.models.execution import ExecutionKind
from app.models.insights import AgentInsights, BiasCheck, CodeRepair, LLMUsage, TranslatedRule
from app.models.memory import Preferences, SimilarStrategy
from app.models.params import ExecutionParams
from app.models.status import ExecutionStatus, Milestone
from app.services.language import GraphLimits, SavedIndicator, StrategySpec
from app.services.language.spec import Condition
from app.services.market_data import Bars, MarketData
from app.services.memory import MemoryService
from app.services.results import BacktestResults
from app.services.sandbox import SandboxPool, SandboxResult, Violation

JsonObject = dict[str, JsonValue]


@dataclass(frozen=True)
class Job:
    """One execution as the pipeline sees it: the strategy as saved, the parameters, and edited code if the
    user asked to run their own."""

    execution_id: str
    user_id: str
    strategy_id: str
    strategy_name: str
    graph: JsonObject
    params: ExecutionParams
    edited_code: str | None = None
    kind: ExecutionKind = ExecutionKind.backtest
    # The user's saved custom indicators when the run started: the rules may name them.
    library: tuple[SavedIndicator, ...] = ()


@dataclass(frozen=True)
class LearnedRule:
    """A rule the LLM translated in this run: remembered for the user once the run succeeded."""

    rule: str
    condition: Condition
    understood: str


@dataclass(frozen=True)
class Analysis:
    """What the analyzer understood: the spec (None only for edited code whose rules do not parse) and
    what memory knows about this user and similar strategies."""

    job: Job
    spec: StrategySpec | None
    translated_rules: tuple[TranslatedRule, ...] = ()
    learned: tuple[LearnedRule, ...] = ()
    similar: tuple[SimilarStrategy, ...] = ()
    preferences: Preferences | None = None
    memory_notes: tuple[str, ...] = ()

    @property
    def indicators(self) -> list[str]:
        return self.spec.indicator_labels() if self.spec is not None else []


@dataclass(frozen=True)
class Script:
    """The code that will run: compiled from the spec or edited by the user, the spec it implements (its
    windows and stops are checked and explained against the run), and any LLM repairs of it."""

    code: str
    spec: StrategySpec | None
    compiled: str | None  # the compiler's output for the spec (kept apart when edited code runs instead)
    edited: bool = False  # the user's own code
    repairs: tuple[CodeRepair, ...] = ()


@dataclass(frozen=True)
class DataSource:
    source: str
    content_hash: str


@dataclass(frozen=True)
class Backtest:
    """What `execute` returns: the results, the script that ran (a repair after a raise may have replaced
    it), and where its data came from."""

    results: BacktestResults
    script: Script
    data: Mapping[str, DataSource]
    library_versions: Mapping[str, str]
    bias_check: BiasCheck | None = None  # the look-ahead check of the signals (harness/lookahead.py)


@dataclass(frozen=True)
class Review:
    """The executor's reading of the results: notes against the user's preferences and, in LLM mode, a
    summary (or why there is none)."""

    memory_notes: tuple[str, ...] = ()
    summary: str | None = None
    summary_error: str | None = None


@dataclass(frozen=True)
class RunMemory:
    """What memory keeps of a completed run (`remember.run_memory`): small values only, so the run's series
    and frames are freed once stored. The job runner writes it after the run is `completed`, off the path
    the user waits on (`remember.remember_run`)."""

    user_id: str
    execution_id: str
    pattern: str
    metadata: Mapping[str, str | int | float]
    template: str | None  # generated code that ran; None for a user's edited code (theirs, not a template)


@dataclass(frozen=True)
class Outcome:
    """A finished run, as the job runner stores it (and what memory keeps of it once it is stored)."""

    spec: StrategySpec | None
    backtest: Backtest
    insights: AgentInsights
    memory: RunMemory | None = None


@dataclass(frozen=True)
class SummaryFacts:
    """The only numbers a summary may cite."""

    metrics: BacktestMetrics
    symbols: list[str]
    benchmark: str


class ExecutionCancelled(DomainError):
    status_code = 409


class Events(Protocol):
    """The run's event log (`app.services.event_log.EventLog`)."""

    async def stage(self, status: ExecutionStatus, message: str) -> None: ...

    async def log(self, message: str, milestone: Milestone | None = None) -> None: ...


class BarsSource(Protocol):
    """Market data (`app.services.market_data.MarketData`)."""

    async def load(self, symbol: str, interval: str, start: date, end: date, user_id: str | None) -> Bars: ...


class Sandbox(Protocol):
    """Where code runs (`app.services.sandbox.SandboxPool`)."""

    async def run(
        self,
        code: str,
        data_files: dict[str, Path],
        *,
        timeout_s: float | None = None,
        cancel: asyncio.Event | None = None,
        progress: Callable[[int, int], None] | None = None,
        bias_cuts: Sequence[float] = (),
        result_limit: int | None = None,
    ) -> SandboxResult: ...


class Assistant(Protocol):
    """The LLM's help (LLM mode): the three agents behind typed questions whose answers are validated."""

    async def translate_rule(self, rule: str, grammar_error: str, events: Events) -> tuple[Condition, str]:
        """A rule the grammar cannot read, as a validated condition and its canonical wording."""
        ...

    async def repair_code(self, code: str, problem: str, compiled: str | None) -> tuple[str, list[Violation]]:
        """New code for `problem`, and its policy findings (empty when it passes)."""
        ...

    async def summarize(self, facts: SummaryFacts, events: Events) -> str:
        """A few sentences that cite only the facts' numbers."""
        ...


class SweepAdvisor(Protocol):
    """The optimization agent's LLM (LLM mode): a sweep's pick explained in a few sentences.

    ``facts`` are the sweep's own numbers (the pick, the top rows of the table, the walk-forward and the
    overfitting statistics); ``draft`` is the deterministic explanation. The answer may cite only the
    facts' numbers: one that cites anything else raises (`ValueError` or a `DomainError`), and the caller
    keeps the draft."""

    @property
    def usage(self) -> LLMUsage: ...

    async def explain(self, facts: JsonObject, draft: Sequence[str], events: Events) -> str: ...


@dataclass
class RunContext:
    """What the steps of one run use: its services, its event log, its cancel signal and its limits."""

    events: Events
    cancel: asyncio.Event
    market_data: BarsSource
    sandbox: Sandbox
    memory: MemoryService
    limits: GraphLimits
    similar_k: int
    repair_attempts: int
    summary: bool
    assistant: Assistant | None = None

    def check_cancel(self) -> None:
        if self.cancel.is_set():
            raise ExecutionCancelled("Execution cancelled")


class Pipeline(Protocol):
    """What the job runner calls (`app.agents.pipeline.ExecutionPipeline`), and the services it runs on (a
    sweep uses them directly)."""

    @property
    def market_data(self) -> MarketData: ...

    @property
    def sandbox_pool(self) -> SandboxPool: ...

    @property
    def memory(self) -> MemoryService: ...

    async def run(self, job: Job, events: Events, cancel: asyncio.Event) -> Outcome: ...

    async def sweep_advisor(self) -> SweepAdvisor | None:
        """The optimization agent for one sweep (LLM mode, with its own budget); None offline."""
        ...
