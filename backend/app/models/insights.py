"""`agent_insights`: what the agents found and did during one execution (stored as JSON on the execution).

Every key the pipeline writes is declared here, so the API publishes (and the front end's generated types
follow) one precise shape. Keys a run did not reach are null or empty: an execution that failed while
analyzing has no `library_versions`, one in offline mode no `llm`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from app.models._types import Published
from app.models.memory import Preferences, SimilarStrategy
from app.models.status import ExecutionStatus


class LLMUsage(Published):
    """What the LLM cost one execution (LLM mode)."""

    model: str
    calls: int = 0
    cache_hits: int = 0
    retries: int = 0
    timeouts: int = 0
    errors: list[str] = Field(default_factory=list)
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    token_budget: int = 0
    cost_budget_usd: float = 0.0


class AgentsInfo(Published):
    mode: Literal["offline", "llm"]
    tool_calls: list[str] = Field(
        default_factory=list, description="The tools the agents called, in order (LLM mode)."
    )


class TranslatedRule(Published):
    """A rule the grammar could not read, translated by the analyzer agent (validated as a spec condition)."""

    node_id: str
    rule: str
    understood: str


class CodeRepair(Published):
    """One LLM repair attempt of code that failed the policy or raised."""

    attempt: int
    problem: str
    accepted: bool
    violations: str | None = Field(default=None, description="Policy findings on the repaired code.")
    error: str | None = Field(default=None, description="Why the attempt produced no code.")


class ErrorBody(BaseModel):
    """The error that ended the execution, as the API would answer it: the error class, the message and
    the fields that name the problem (node_id, rule, line, limit, violations...)."""

    model_config = ConfigDict(extra="allow", json_schema_serialization_defaults_required=True)

    error: str
    detail: str


class BiasCheck(Published):
    """The look-ahead check of a run's signals (recomputed on the data cut at a few points)."""

    checked: bool
    passed: bool | None = Field(
        default=None, description="False: a signal changed when later bars were removed."
    )
    cuts: list[str] = Field(default_factory=list, description="Where the data was cut (ISO timestamps).")
    signal: str | None = Field(default=None, description="The first signal that changed: entries, exits...")
    first_changed_bar: str | None = Field(default=None, description="The first bar whose signal changed.")
    cut: str | None = None
    message: str | None = None
    reason: str | None = Field(default=None, description="Why the check could not run.")


class OptimizationPick(Published):
    """The optimization agent's robust choice over a sweep's table (docs/research.md)."""

    values: dict[str, float]
    objective: str
    objective_value: float
    metrics: dict[str, float | None] = Field(
        default_factory=dict, description="The picked row's metrics, as in the sweep's table."
    )
    best_values: dict[str, float] | None = None
    best_objective: float
    region_size: int
    regions: int
    region_objective_min: float
    region_objective_max: float | None = None
    region_objective_mean: float
    threshold: float
    reasons: list[str] = Field(
        description="Why this pick: the optimization agent's text (method llm) or the deterministic reasons."
    )
    method: Literal["deterministic", "llm"] = "deterministic"
    deterministic_reasons: list[str] | None = Field(
        default=None, description="With method llm: the deterministic reasons the agent's text replaced."
    )
    warning: str | None = Field(
        default=None, description="Why the agent's explanation was not used (LLM mode), when it was not."
    )


class AgentInsights(Published):
    strategy_name: str | None = Field(default=None, description="The strategy's name when it ran.")
    agents: AgentsInfo | None = None
    indicators_used: list[str] = Field(default_factory=list, description='e.g. ["SMA(20)", "RSI(14)"].')
    translated_rules: list[TranslatedRule] = Field(default_factory=list)
    similar_strategies: list[SimilarStrategy] = Field(
        default_factory=list, description="The user's closest past strategies, best first."
    )
    preferences: Preferences | None = None
    memory_notes: list[str] = Field(
        default_factory=list, description="What memory said about this run (or why it was unavailable)."
    )
    code_repairs: list[CodeRepair] = Field(default_factory=list)
    library_versions: dict[str, str] = Field(default_factory=dict, description="Inside the sandbox.")
    llm: LLMUsage | None = None
    summary: str | None = Field(default=None, description="The executor agent's explanation (LLM mode).")
    summary_error: str | None = Field(default=None, description="Why there is no summary.")
    spec: dict[str, JsonValue] | None = Field(
        default=None, description="The StrategySpec the analyzer built (null: edited code it could not read)."
    )
    execution_time: float | None = Field(default=None, description="Seconds from claim to result.")
    bias_check: BiasCheck | None = Field(default=None, description="Look-ahead check of the signals.")
    optimization: OptimizationPick | None = Field(default=None, description="A sweep's robust pick.")
    sweep_suggestion: dict[str, JsonValue] | None = Field(
        default=None, description="What memory suggests from an earlier sweep of a similar strategy."
    )
    error: ErrorBody | None = None
    failed_stage: ExecutionStatus | None = Field(default=None, description="The status it failed in.")
