"""The agents' LLM: CrewAI's Anthropic provider behind a guard that makes every call bounded.

`GuardedLLM` wraps any `crewai.BaseLLM` (Claude in production, a scripted double in tests) and adds what
an unattended service needs on every single call the agents make:

- a timeout (the call runs in a helper thread; a hung provider is abandoned, not awaited);
- retries with exponential backoff (``backoff_s``, ``2 x backoff_s``, ...) on errors and timeouts;
- a per-execution budget of tokens and estimated USD, checked *before* each call;
- a cache by input hash (model + messages + tool schemas), so the same question is paid once;
- usage (calls, cache hits, retries, tokens, cost, errors) recorded for ``agent_insights.llm``.

When the guard gives up it raises a `DomainError` naming why (`LLMUnavailable`, `LLMBudgetExceeded`);
it never substitutes an answer, so an LLM failure cannot silently change a strategy.

Importing this module imports crewai (~5 s): only the worker does, lazily.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from typing import Any

from crewai import BaseLLM
from crewai.llms.base_llm import call_stop_override
from pydantic import BaseModel, PrivateAttr

from app.core.config_agents import LLMSettings
from app.core.errors import DomainError
from app.models.insights import LLMUsage

log = logging.getLogger(__name__)


class LLMUnavailable(DomainError):
    status_code = 503


class LLMBudgetExceeded(DomainError):
    status_code = 429


class AnswerCache:
    """LRU of LLM answers by input hash, shared by the executions of one worker."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[bool, Any]:
        with self._lock:
            if key not in self._items:
                return False, None
            self._items.move_to_end(key)
            return True, copy.deepcopy(self._items[key])

    def put(self, key: str, value: Any) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._items[key] = copy.deepcopy(value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


def input_hash(model: str, messages: Any, tools: Any) -> str:
    payload = json.dumps({"model": model, "messages": messages, "tools": tools}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def _chars(value: Any) -> int:
    return len(json.dumps(value, default=str)) if not isinstance(value, str) else len(value)


class GuardedLLM(BaseLLM):
    """A `BaseLLM` that delegates to ``inner`` with timeout, retries, budget, cache and usage."""

    inner: BaseLLM
    timeout_s: float = 60.0
    max_retries: int = 2
    backoff_s: float = 1.0
    token_budget: int = 60_000
    cost_budget_usd: float = 0.5
    usd_per_mtok_in: float = 3.0
    usd_per_mtok_out: float = 15.0

    _cache: AnswerCache = PrivateAttr(default_factory=lambda: AnswerCache(0))
    _usage: LLMUsage | None = PrivateAttr(default=None)

    @classmethod
    def wrap(cls, inner: BaseLLM, settings: LLMSettings, cache: AnswerCache) -> GuardedLLM:
        llm = cls(
            model=inner.model,
            inner=inner,
            timeout_s=settings.timeout_s,
            max_retries=settings.max_retries,
            backoff_s=settings.backoff_s,
            token_budget=settings.token_budget,
            cost_budget_usd=settings.cost_budget_usd,
            usd_per_mtok_in=settings.usd_per_mtok_in,
            usd_per_mtok_out=settings.usd_per_mtok_out,
        )
        llm._cache = cache
        return llm

    def for_execution(self) -> GuardedLLM:
        """A copy with fresh usage (the budget is per execution); shares the inner LLM and the cache."""
        clone = self.model_copy()
        clone._cache = self._cache
        clone._usage = LLMUsage(
            model=self.inner.model, token_budget=self.token_budget, cost_budget_usd=self.cost_budget_usd
        )
        return clone

    @property
    def usage(self) -> LLMUsage:
        if self._usage is None:
            self._usage = LLMUsage(
                model=self.inner.model, token_budget=self.token_budget, cost_budget_usd=self.cost_budget_usd
            )
        return self._usage

    # -- BaseLLM -------------------------------------------------------------------------------------

    def supports_function_calling(self) -> bool:
        return bool(getattr(self.inner, "supports_function_calling", lambda: False)())

    def supports_stop_words(self) -> bool:
        return self.inner.supports_stop_words()

    def get_context_window_size(self) -> int:
        return self.inner.get_context_window_size()

    def call(
        self,
        messages: Any,
        tools: list[dict[str, Any]] | None = None,
        callbacks: list[Any] | None = None,
        available_functions: dict[str, Any] | None = None,
        from_task: Any = None,
        from_agent: Any = None,
        response_model: type[BaseModel] | None = None,
    ) -> Any:
        usage = self.usage
        key = input_hash(self.inner.model, messages, tools)
        hit, cached = self._cache.get(key)
        if hit:
            usage.cache_hits += 1
            return cached
        est_in = _chars(messages) // 4 + _chars(tools or []) // 4
        self._check_budget(est_in)
        stop = self.stop_sequences

        def attempt() -> Any:
            with call_stop_override(self.inner, stop or None):
                return self.inner.call(
                    messages, tools, callbacks, available_functions, from_task, from_agent, response_model
                )

        before = self.inner.get_token_usage_summary()
        answer = self._with_retries(attempt)
        after = self.inner.get_token_usage_summary()
        tok_in = after.prompt_tokens - before.prompt_tokens or est_in
        tok_out = after.completion_tokens - before.completion_tokens or _chars(answer) // 4
        usage.calls += 1
        usage.input_tokens += tok_in
        usage.output_tokens += tok_out
        usage.cost_usd = round(
            usage.input_tokens * self.usd_per_mtok_in / 1e6
            + usage.output_tokens * self.usd_per_mtok_out / 1e6,
            6,
        )
        self._cache.put(key, answer)
        return answer

    async def acall(
        self,
        messages: Any,
        tools: Any = None,
        callbacks: Any = None,
        available_functions: Any = None,
        from_task: Any = None,
        from_agent: Any = None,
        response_model: Any = None,
    ) -> Any:
        import asyncio

        return await asyncio.to_thread(
            self.call, messages, tools, callbacks, available_functions, from_task, from_agent, response_model
        )

    # -- guards --------------------------------------------------------------------------------------

    def _check_budget(self, est_in: int) -> None:
        usage = self.usage
        tokens = usage.input_tokens + usage.output_tokens
        if tokens + est_in > self.token_budget:
            raise LLMBudgetExceeded(
                f"LLM token budget exceeded: {tokens} used, next call needs about {est_in}, "
                f"budget {self.token_budget} per execution (LLM_TOKEN_BUDGET)",
                limit="llm_token_budget",
                value=tokens,
            )
        if usage.cost_usd + est_in * self.usd_per_mtok_in / 1e6 > self.cost_budget_usd:
            raise LLMBudgetExceeded(
                f"LLM cost budget exceeded: ${usage.cost_usd:.4f} used of ${self.cost_budget_usd:.2f} "
                "per execution (LLM_COST_BUDGET_USD)",
                limit="llm_cost_budget_usd",
                value=usage.cost_usd,
            )

    def _with_retries(self, attempt: Any) -> Any:
        usage = self.usage
        last = ""
        for n in range(self.max_retries + 1):
            if n:
                usage.retries += 1
                time.sleep(self.backoff_s * 2 ** (n - 1))
            try:
                return _call_with_timeout(attempt, self.timeout_s)
            except TimeoutError:
                usage.timeouts += 1
                last = f"timed out after {self.timeout_s:g} s"
            except DomainError:
                raise
            except Exception as exc:
                last = f"{type(exc).__name__}: {exc}"[:300]
            usage.errors.append(last)
            log.warning("LLM call %d/%d failed: %s", n + 1, self.max_retries + 1, last)
        raise LLMUnavailable(
            f"the LLM ({self.inner.model}) failed {self.max_retries + 1} times: {last}",
            model=self.inner.model,
            attempts=self.max_retries + 1,
        )


def _call_with_timeout(fn: Any, timeout_s: float) -> Any:
    """Runs ``fn`` in a daemon thread; raises TimeoutError if it has not answered in ``timeout_s``."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, name="llm-call", daemon=True)
    thread.start()
    thread.join(timeout_s)
    if thread.is_alive():
        raise TimeoutError
    if "error" in box:
        raise box["error"]
    return box["value"]


def make_llm(
    settings: LLMSettings, api_key: str | None, cache: AnswerCache, inner: BaseLLM | None = None
) -> GuardedLLM | None:
    """Claude through CrewAI's Anthropic provider when a key is given (or ``inner`` when given); else None."""
    if inner is None:
        if not api_key:
            return None
        from crewai import LLM

        inner = LLM(
            model=settings.model,
            api_key=api_key,
            timeout=settings.timeout_s,
            max_retries=0,  # the guard retries, with backoff and accounting
            max_tokens=settings.max_tokens,
            temperature=0.0,
        )
    return GuardedLLM.wrap(inner, settings, cache)
