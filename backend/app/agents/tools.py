"""The agents' tools: CrewAI `BaseTool` wrappers around the plain functions of `app.services.pipeline.tools`.

The steps call the plain functions directly (both modes); in LLM mode the agents get these wrappers (same
functions), so both modes run the same code paths. The wrappers are built lazily (`build_tools`) because
`import crewai` costs about 5 s and must stay out of the API process's start.

Tool answers are short JSON strings: the LLM reads them, and every answer it gives back is validated
again by the flow before use (a tool saying "valid" is advice, not a decision).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar, get_args

from pydantic import BaseModel, Field, JsonValue, ValidationError

from app.models.backtest import BacktestMetrics
from app.services.language.indicators import IndicatorKind
from app.services.memory import MemoryService
from app.services.pipeline.tools import check_condition, format_violations, search_strategy_memory
from app.services.sandbox import validate_code

T = TypeVar("T")

CONDITION_HINT = (
    "A StrategySpec condition as JSON. Expressions: {'type':'price','field':'close','lag':0}, "
    "{'type':'const','value':30}, {'type':'indicator','indicator':{'kind':'rsi','period':14}}, "
    "{'type':'arith','op':'mul','left':E,'right':E} (op add, sub, mul or div). "
    "Conditions: {'type':'compare','left':E,'op':'>','right':E}, "
    "{'type':'cross','left':E,'direction':'above','right':E}, {'type':'all','items':[C,...]}, "
    "{'type':'any','items':[C,...]}, {'type':'not','item':C}, {'type':'persist','item':C,'bars':3}. "
    f"Indicator kinds: {' '.join(get_args(IndicatorKind))} (macd needs slow and signal; bollinger "
    "std; keltner mult; the stochastic smooth (%K smoothing) and signal (%D smoothing))."
)


# -- reading LLM answers ---------------------------------------------------------------------------------


def extract_json(text: str) -> dict[str, JsonValue]:
    """The first JSON object in an LLM answer (which may wrap it in prose or a ``` fence)."""
    start = text.find("{")
    if start < 0:
        raise ValueError("the answer contains no JSON object")
    obj, _ = json.JSONDecoder().raw_decode(text[start:])
    if not isinstance(obj, dict):
        raise ValueError("the answer's JSON is not an object")
    return obj


def extract_code(text: str) -> str:
    """The Python source in an LLM answer: the last ```python fence, else the whole text."""
    fences = text.split("```")
    if len(fences) >= 3:
        block = fences[-2]
        return block[len("python") :].lstrip("\n") if block.startswith("python") else block.lstrip("\n")
    return text.strip() + "\n"


# -- CrewAI wrappers -------------------------------------------------------------------------------------


@dataclass
class ToolContext:
    """What the wrappers need to reach the services from CrewAI's worker thread; `compiled_code` and
    `metrics` are set by the run's assistant before it asks the agent that may look them up."""

    loop: asyncio.AbstractEventLoop
    memory: MemoryService
    user_id: str
    execution_id: str
    similar_k: int
    compiled_code: str | None = None
    metrics: BacktestMetrics | None = None
    calls: list[str] = field(default_factory=list)

    def run(self, coro: Coroutine[object, object, T], timeout: float = 120.0) -> T:
        """Runs a service coroutine on the pipeline's event loop from the crew's thread."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)


class ConditionArgs(BaseModel):
    condition_json: str = Field(description=CONDITION_HINT)


class QueryArgs(BaseModel):
    query: str = Field(description="What to look for: indicators, rule words, symbols.")


class CodeArgs(BaseModel):
    code: str = Field(description="Complete Python source of the strategy script.")


class NoArgs(BaseModel):
    pass


class StoreArgs(BaseModel):
    note: str = Field(description="One sentence worth remembering about this strategy's result.")


def build_tools(ctx: ToolContext) -> dict[str, Any]:
    """The six tools, by name. Imports crewai (call only in the worker)."""
    from crewai.tools import BaseTool

    def logged(name: str) -> None:
        ctx.calls.append(name)

    class ParseStrategyTool(BaseTool):
        name: str = "parse_strategy"
        description: str = "Check a candidate rule condition (JSON) against the strategy language; "
        "answers the canonical wording or the validation error."
        args_schema: type[BaseModel] = ConditionArgs

        def _run(self, condition_json: str) -> str:
            logged(self.name)
            try:
                _, words = check_condition(condition_json)
            except (ValidationError, ValueError) as exc:
                return json.dumps({"valid": False, "error": str(exc)[:1500]})
            return json.dumps({"valid": True, "understood": words})

    class SearchMemoryTool(BaseTool):
        name: str = "search_strategy_memory"
        description: str = "Find this user's past strategies closest to a description, with results."
        args_schema: type[BaseModel] = QueryArgs

        def _run(self, query: str) -> str:
            logged(self.name)
            hits = ctx.run(
                search_strategy_memory(
                    ctx.memory, ctx.user_id, query, k=ctx.similar_k, exclude_execution=ctx.execution_id
                )
            )
            return json.dumps([h.model_dump() for h in hits])

    class CompileStrategyTool(BaseTool):
        name: str = "compile_strategy"
        description: str = "The deterministic compiler's code for this execution's strategy (reference)."
        args_schema: type[BaseModel] = NoArgs

        def _run(self) -> str:
            logged(self.name)
            return ctx.compiled_code or "no compiled code (the user supplied edited code)"

    class ValidateCodeTool(BaseTool):
        name: str = "validate_code"
        description: str = "Check Python strategy code against the sandbox policy; answers the violations."
        args_schema: type[BaseModel] = CodeArgs

        def _run(self, code: str) -> str:
            logged(self.name)
            violations = validate_code(code)
            return json.dumps({"valid": not violations, "violations": format_violations(violations)})

    class RunBacktestTool(BaseTool):
        name: str = "run_backtest"
        description: str = "The metrics of this execution's backtest (already run by the pipeline)."
        args_schema: type[BaseModel] = NoArgs

        def _run(self) -> str:
            logged(self.name)
            if ctx.metrics is None:
                return json.dumps({"error": "the backtest has not run yet"})
            return ctx.metrics.model_dump_json()

    class StoreMemoryTool(BaseTool):
        name: str = "store_strategy_memory"
        description: str = "Remember one note about this strategy for this user."
        args_schema: type[BaseModel] = StoreArgs

        def _run(self, note: str) -> str:
            logged(self.name)
            memory_id = ctx.run(
                ctx.memory.add_pattern(
                    ctx.user_id, note[:500], {"execution_id": ctx.execution_id, "note": True}
                )
            )
            return json.dumps({"stored": memory_id is not None})

    tools = [
        ParseStrategyTool(),
        SearchMemoryTool(),
        CompileStrategyTool(),
        ValidateCodeTool(),
        RunBacktestTool(),
        StoreMemoryTool(),
    ]
    return {t.name: t for t in tools}
