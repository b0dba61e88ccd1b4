"""The LLM guard: timeout, retries with backoff, budget, cache and usage, on a scripted LLM."""

from __future__ import annotations

import time

import pytest

from app.agents.llm import AnswerCache, GuardedLLM, LLMBudgetExceeded, LLMUnavailable
from app.core.config_agents import LLMSettings
from tests.agents.scripted_llm import Hang, ScriptedLLM

MESSAGES = [{"role": "user", "content": "What is 2 + 2?"}]


def guard(steps: list[object], **overrides: object) -> tuple[GuardedLLM, ScriptedLLM]:
    settings = LLMSettings(timeout_s=0.3, max_retries=2, backoff_s=0.05, **overrides)
    inner = ScriptedLLM.with_script(steps)
    return GuardedLLM.wrap(inner, settings, AnswerCache(16)).for_execution(), inner


def test_timeout_is_retried_with_backoff_then_answers() -> None:
    llm, inner = guard([Hang(2.0), "4"])
    started = time.perf_counter()
    assert llm.call(MESSAGES) == "4"
    elapsed = time.perf_counter() - started
    assert 0.3 + 0.05 <= elapsed < 1.5  # one timeout, one backoff, not the 2 s hang
    assert (llm.usage.timeouts, llm.usage.retries, llm.usage.calls) == (1, 1, 1)
    assert inner.remaining == 0


def test_gives_up_after_retries_with_a_domain_error() -> None:
    llm, _ = guard([Hang(1.0), RuntimeError("overloaded"), Hang(1.0)])
    with pytest.raises(LLMUnavailable, match=r"failed 3 times: timed out after 0.3 s") as info:
        llm.call(MESSAGES)
    assert info.value.fields["attempts"] == 3
    assert llm.usage.errors == ["timed out after 0.3 s", "RuntimeError: overloaded", "timed out after 0.3 s"]
    assert llm.usage.retries == 2


def test_same_input_is_answered_from_the_cache() -> None:
    llm, inner = guard(["4"])
    assert llm.call(MESSAGES) == "4"
    assert llm.call(MESSAGES) == "4"  # a second scripted answer would be an AssertionError
    assert (llm.usage.calls, llm.usage.cache_hits, len(inner.calls)) == (1, 1, 1)
    # The cache is shared by the executions of a worker, the usage is not.
    other = llm.for_execution()
    assert other.call(MESSAGES) == "4"
    assert (other.usage.calls, other.usage.cache_hits) == (0, 1)


def test_token_budget_stops_the_next_call_before_it_is_made() -> None:
    answer = "x" * 4000  # about 1,000 tokens by the guard's 4-characters estimate
    llm, inner = guard([answer, answer], token_budget=1200)
    llm.call(MESSAGES)
    assert llm.usage.output_tokens == 1000
    with pytest.raises(LLMBudgetExceeded, match="LLM_TOKEN_BUDGET"):
        llm.call([{"role": "user", "content": "again " * 200}])
    assert len(inner.calls) == 1


def test_cost_budget_uses_the_configured_prices() -> None:
    answer = "y" * 40_000  # 10,000 output tokens x $15 / M = $0.15
    llm, _ = guard([answer, answer], cost_budget_usd=0.10, token_budget=10**6)
    llm.call(MESSAGES)
    expected = llm.usage.input_tokens * 3 / 1e6 + 10_000 * 15 / 1e6
    assert llm.usage.cost_usd == pytest.approx(expected, abs=1e-6)
    with pytest.raises(LLMBudgetExceeded, match="cost budget"):
        llm.call([{"role": "user", "content": "more"}])
