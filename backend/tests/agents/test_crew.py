"""The crew in LLM mode, driven by a scripted LLM: tools really run, answers are validated and retried."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from app.agents.crew import AnswerRejected, make_agents, translate_rule, write_summary
from app.agents.llm import AnswerCache, GuardedLLM, LLMUnavailable
from app.agents.tools import ToolContext, build_tools
from app.core.config_agents import LLMSettings
from app.services.memory import MemoryService
from tests.agents.scripted_llm import Hang, ScriptedLLM, react_action, react_final, tool_call

RULE = "buy when the trend is strong and momentum turns up"
ADX = {"type": "indicator", "indicator": {"kind": "adx", "period": 14}}
MACD = {"type": "indicator", "indicator": {"kind": "macd", "period": 12, "slow": 26, "signal": 9}}
SIGNAL = {"type": "indicator", "indicator": {"kind": "macd_signal", "period": 12, "slow": 26, "signal": 9}}
TRANSLATION = {
    "type": "all",
    "items": [
        {"type": "compare", "left": ADX, "op": ">", "right": {"type": "const", "value": 25}},
        {"type": "cross", "left": MACD, "direction": "above", "right": SIGNAL},
    ],
}
WORDS = "ADX(14) > 25 and MACD(12,26,9) crosses above MACD signal(12,26,9)"


async def log_to(lines: list[str], message: str, progress: float | None = None) -> None:
    lines.append(message)


def crew_on(steps: list[Any], *, native: bool, **settings: Any) -> tuple[Any, ScriptedLLM, ToolContext]:
    inner = ScriptedLLM.with_script(steps, native_tools=native)
    base: dict[str, Any] = {"timeout_s": 2, "max_retries": 1, "backoff_s": 0.01}
    cfg = LLMSettings(**{**base, **settings})
    llm = GuardedLLM.wrap(inner, cfg, AnswerCache(0)).for_execution()
    ctx = ToolContext(
        loop=asyncio.get_running_loop(),
        memory=MemoryService(enabled=False, data_dir="/tmp"),
        user_id="u1",
        execution_id="exec_1",
        similar_k=3,
    )
    return make_agents(llm, build_tools(ctx), max_iter=4), inner, ctx


def tool_messages(inner: ScriptedLLM) -> str:
    return json.dumps([c["messages"] for c in inner.calls], default=str)


async def test_text_format_react_uses_the_parse_tool_then_answers() -> None:
    steps = [
        react_action("parse_strategy", {"condition_json": json.dumps(TRANSLATION)}),
        react_final(json.dumps(TRANSLATION)),
    ]
    agents, inner, ctx = crew_on(steps, native=False)
    lines: list[str] = []
    condition, words = await translate_rule(agents, RULE, "expected a number", lambda m: log_to(lines, m))
    assert words == WORDS
    assert condition.type == "all" and condition.items[0].right.value == 25
    assert ctx.calls == ["parse_strategy"]
    # The tool's real answer went back to the LLM as the observation.
    assert json.dumps({"valid": True, "understood": WORDS})[1:40] in tool_messages(inner).replace('\\"', '"')
    assert inner.remaining == 0 and lines == []


async def test_native_tool_calls_use_the_parse_tool_then_answer() -> None:
    steps = [
        [tool_call("parse_strategy", {"condition_json": json.dumps(TRANSLATION)})],
        json.dumps({"condition": TRANSLATION}),
    ]
    agents, inner, ctx = crew_on(steps, native=True)
    _, words = await translate_rule(agents, RULE, "expected a number", lambda m: log_to([], m))
    assert words == WORDS
    assert ctx.calls == ["parse_strategy"]
    assert inner.calls[0]["tools"], "native mode must send the tool schemas"
    assert "parse_strategy" in json.dumps(inner.calls[0]["tools"], default=str)


async def test_an_answer_that_fails_validation_is_retried_with_the_reason() -> None:
    bad = {"type": "compare", "left": ADX, "op": "is strong", "right": {"type": "const", "value": 25}}
    steps = [react_final(json.dumps(bad)), react_final(json.dumps(TRANSLATION))]
    agents, inner, _ = crew_on(steps, native=False)
    lines: list[str] = []
    _, words = await translate_rule(agents, RULE, "expected a number", lambda m: log_to(lines, m))
    assert words == WORDS
    assert len(lines) == 1 and "rejected" in lines[0] and "op" in lines[0]
    # The retry told the agent why.
    assert "Your previous answer was rejected" in json.dumps(inner.calls[-1]["messages"], default=str)


async def test_two_bad_answers_give_up_without_inventing_a_condition() -> None:
    agents, _, _ = crew_on([react_final("ADX is high"), react_final("{}")], native=False)
    with pytest.raises(AnswerRejected, match="rejected 2 times"):
        await translate_rule(agents, RULE, "expected a number", lambda m: log_to([], m))


async def test_an_llm_timeout_surfaces_as_a_domain_error() -> None:
    agents, _, _ = crew_on([Hang(5), Hang(5)], native=False, timeout_s=0.2)
    with pytest.raises(LLMUnavailable, match=r"timed out after 0\.2 s"):
        await translate_rule(agents, RULE, "expected a number", lambda m: log_to([], m))


async def test_summary_must_cite_only_the_metrics() -> None:
    facts = {"metrics": {"total_return": 25.49, "sharpe_ratio": 1.23, "max_drawdown": -12.0, "trades": 14}}
    invented = "The strategy returned 40% with a Sharpe of 2.5."
    grounded = "The strategy returned 25.5% over 14 trades with a Sharpe of 1.23 and a 12% drawdown."
    agents, _, _ = crew_on([invented, grounded], native=False)
    lines: list[str] = []
    assert await write_summary(agents, facts, lambda m: log_to(lines, m)) == grounded
    assert lines and "40" in lines[0] and "2.5" in lines[0]
