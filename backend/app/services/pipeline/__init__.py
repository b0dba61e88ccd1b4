"""The typed execution path, one step per agent, free of side effects other than its events:

* `analyze(job, ctx) -> Analysis` (analyzer: node graph -> StrategySpec; memory)
* `generate(analysis, ctx) -> Script` (generator: spec -> VectorBT code that passes the policy)
* `execute(script, job, ctx) -> Backtest` (executor: data, sandbox, results)
* `review(backtest, analysis, ctx) -> Review` (executor: preference notes, the LLM's summary)

`remember_rules` and `remember_run` are memory's writes: the flow makes the first after the analysis, the job
runner the second (of `run_memory`, in the `Outcome`) once the run is stored as completed. The flow
(`app.agents.flow`) is a thin CrewAI adapter that runs these steps in order; `docs/internals.md` follows one
execution through them.
"""

from app.services.pipeline.analyze import analyze
from app.services.pipeline.execute import execute
from app.services.pipeline.generate import generate
from app.services.pipeline.remember import remember_rules, remember_run, run_memory
from app.services.pipeline.review import review
from app.services.pipeline.types import (
    Analysis,
    Assistant,
    Backtest,
    DataSource,
    Events,
    ExecutionCancelled,
    Job,
    JsonObject,
    LearnedRule,
    Outcome,
    Pipeline,
    Review,
    RunContext,
    RunMemory,
    Script,
    SummaryFacts,
    SweepAdvisor,
)

__all__ = [
    "Analysis",
    "Assistant",
    "Backtest",
    "DataSource",
    "Events",
    "ExecutionCancelled",
    "Job",
    "JsonObject",
    "LearnedRule",
    "Outcome",
    "Pipeline",
    "Review",
    "RunContext",
    "RunMemory",
    "Script",
    "SummaryFacts",
    "SweepAdvisor",
    "analyze",
    "execute",
    "generate",
    "remember_rules",
    "remember_run",
    "review",
    "run_memory",
]
