"""The agents' tools as plain functions of the services: the steps call them directly (both modes), and the
CrewAI wrappers in `app.agents.tools` hand the same functions to the agents in LLM mode.

>>> cond, words = check_condition('{"type":"compare","left":{"type":"price","field":"close"},'
...     '"op":">","right":{"type":"const","value":0}}')
>>> words
'close > 0'
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from pydantic import JsonValue, TypeAdapter

from app.models.memory import SimilarStrategy
from app.services.language import StrategySpec
from app.services.language.spec import Condition, describe
from app.services.memory import MemoryService
from app.services.pipeline.types import Job
from app.services.sandbox import Violation

_CONDITION: TypeAdapter[Condition] = TypeAdapter(Condition)


def check_condition(candidate: str | Mapping[str, JsonValue]) -> tuple[Condition, str]:
    """Validates a condition against the StrategySpec model; returns (condition, canonical wording)."""
    data = json.loads(candidate) if isinstance(candidate, str) else dict(candidate)
    condition = _CONDITION.validate_python(data)
    return condition, describe(condition)


def format_violations(violations: Sequence[Violation]) -> str:
    return "; ".join(f"line {v.line}: {v.message} ({v.rule})" for v in violations)


def pattern_text(job: Job, spec: StrategySpec | None) -> str:
    """What similarity is computed on: the rules as understood, stops, symbols and timeframe."""
    parts = [f"Strategy '{job.strategy_name}'"]
    if spec is not None:
        for label, sets in (
            ("entry", spec.entries),
            ("exit", spec.exits),
            ("short entry", spec.short_entries),
            ("short exit", spec.short_exits),
        ):
            for rule_set in sets:
                joiner = " and " if rule_set.combine == "all" else " or "
                parts.append(f"{label}: " + joiner.join(r.understood or r.text for r in rule_set.rules))
        stops = {
            "stop-loss": spec.stop_loss,
            "take-profit": spec.take_profit,
            "trailing stop": spec.trailing_stop,
        }
        parts += [f"{name} {value:.1%}" for name, value in stops.items() if value is not None]
        atr_stops = {
            "stop-loss": spec.stop_loss_atr,
            "take-profit": spec.take_profit_atr,
            "trailing stop": spec.trailing_stop_atr,
        }
        parts += [f"{name} {value.label()}" for name, value in atr_stops.items() if value is not None]
    params = job.params
    parts.append(f"on {', '.join(params.symbols)} {params.timeframe}")
    return "; ".join(parts)


async def search_strategy_memory(
    memory: MemoryService, user_id: str, query: str, *, k: int, exclude_execution: str | None = None
) -> list[SimilarStrategy]:
    return await memory.search_similar(user_id, query, limit=k, exclude_execution=exclude_execution)


async def store_strategy_memory(
    memory: MemoryService,
    user_id: str,
    pattern: str,
    metadata: Mapping[str, str | int | float],
    code: str | None,
) -> dict[str, str | None]:
    """Stores the user's pattern and, for generated code that ran, the shared code template."""
    ids: dict[str, str | None] = {"pattern": await memory.add_pattern(user_id, pattern, dict(metadata))}
    if code is not None:
        template_meta = {k: metadata.get(k) for k in ("spec_hash", "indicators", "timeframe")}
        ids["code_template"] = await memory.add_code_template(pattern, code, template_meta)
    return ids
