"""`analyze(job, ctx) -> Analysis`: the analyzer's step. The node graph becomes a typed `StrategySpec`
(the grammar first; in LLM mode the analyzer agent translates a rule the grammar cannot read, validated
as a spec condition), and memory says what this user ran before and prefers."""

from __future__ import annotations

from app.core.errors import DomainError
from app.models.insights import TranslatedRule
from app.models.status import ExecutionStatus
from app.services.language import StrategySpec, build_spec, parse_graph
from app.services.language.errors import RuleNotUnderstood
from app.services.language.spec import Condition
from app.services.pipeline.tools import check_condition, pattern_text, search_strategy_memory
from app.services.pipeline.translation import Key, apply_translations, with_placeholders
from app.services.pipeline.types import Analysis, Assistant, Job, LearnedRule, RunContext

MAX_TRANSLATED_RULES = 5


async def analyze(job: Job, ctx: RunContext) -> Analysis:
    events = ctx.events
    await events.stage(ExecutionStatus.analyzing, "Analyzer: reading the strategy's rules")
    spec: StrategySpec | None
    translated: dict[Key, tuple[Condition, str]] = {}
    learned: list[LearnedRule] = []
    try:
        spec = await _build_spec(job, ctx, translated, learned)
    except DomainError:
        if job.edited_code is None:
            raise
        # Edited code does not need the spec to run; say so rather than refuse to run it.
        await events.log("Analyzer: the rules do not parse; running your edited code without a spec")
        spec = None
    if spec is not None:
        labels = spec.indicator_labels()
        await events.log(
            f"Analyzer: understood {_rule_count(spec)} rule(s); indicators: {', '.join(labels) or 'none'}"
        )
    memory = ctx.memory
    similar = await search_strategy_memory(
        memory, job.user_id, pattern_text(job, spec), k=ctx.similar_k, exclude_execution=job.execution_id
    )
    if similar:
        best = similar[0]
        await events.log(
            f"Analyzer: {len(similar)} similar past strategies (closest {best.execution_id}, "
            f"similarity {best.similarity:.2f})"
        )
    preferences = await memory.get_preferences(job.user_id)
    notes: list[str] = []
    if not memory.available:
        notes.append(f"memory unavailable: {memory.unavailable_reason}")
        await events.log(f"Analyzer: memory unavailable ({memory.unavailable_reason}); continuing without it")
    return Analysis(
        job=job,
        spec=spec,
        translated_rules=tuple(
            TranslatedRule(node_id=node_id, rule=rule, understood=words)
            for (node_id, rule), (_, words) in translated.items()
        ),
        learned=tuple(learned),
        similar=tuple(similar),
        preferences=preferences,
        memory_notes=tuple(notes),
    )


async def _build_spec(
    job: Job, ctx: RunContext, translated: dict[Key, tuple[Condition, str]], learned: list[LearnedRule]
) -> StrategySpec:
    """The grammar's spec; in LLM mode, each rule it cannot read (up to `MAX_TRANSLATED_RULES`) is
    translated and the spec built again with the translations in place."""
    for _ in range(MAX_TRANSLATED_RULES + 1):
        graph = with_placeholders(job.graph, set(translated)) if translated else job.graph
        try:
            spec = build_spec(parse_graph(graph, ctx.limits), job.params, job.library)
        except RuleNotUnderstood as err:
            if ctx.assistant is None or len(translated) >= MAX_TRANSLATED_RULES:
                raise
            key = (str(err.fields.get("node_id", "")), str(err.fields.get("rule", "")))
            if key in translated:
                raise
            translated[key] = await _translate(job, ctx, ctx.assistant, key, err, learned)
            continue
        return apply_translations(spec, job.graph, translated) if translated else spec
    raise AssertionError("unreachable")


async def _translate(
    job: Job,
    ctx: RunContext,
    assistant: Assistant,
    key: Key,
    err: RuleNotUnderstood,
    learned: list[LearnedRule],
) -> tuple[Condition, str]:
    """A rule's translation: the one this user's memory holds for the same words, else the analyzer's."""
    node_id, rule = key
    cached = await ctx.memory.find_translation(job.user_id, rule)
    if cached is not None:
        try:
            condition, words = check_condition(cached)
        except ValueError:
            pass  # a stored answer that no longer validates is asked again
        else:
            await ctx.events.log(f"Analyzer: rule '{rule}' read from memory as: {words}")
            return condition, words
    await ctx.events.log(f"Analyzer: the grammar cannot read '{rule}'; asking the analyzer agent")
    try:
        condition, words = await assistant.translate_rule(rule, err.message, ctx.events)
    except (ValueError, DomainError) as exc:
        reason = exc.message if isinstance(exc, DomainError) else str(exc)
        err.message = f"{err.message} The LLM could not translate it either: {reason}"
        err.args = (err.message,)
        err.fields["llm_error"] = reason
        raise err from exc
    await ctx.events.log(f"Analyzer: rule '{rule}' (node {node_id}) understood as: {words}")
    learned.append(LearnedRule(rule=rule, condition=condition, understood=words))
    return condition, words


def _rule_count(spec: StrategySpec) -> int:
    return sum(len(rs.rules) for rs in spec.rule_sets())
