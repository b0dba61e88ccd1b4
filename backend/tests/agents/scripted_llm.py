"""A scripted `crewai.BaseLLM`: answers from a list, so the crew's wiring is tested without a network.

Each script step is one LLM call's answer:
- a ``str``: a text answer (ReAct ``Action:``/``Final Answer:`` format, or a plain final answer);
- a ``list`` of OpenAI-style tool calls (`tool_call(...)`), for native function calling;
- an ``Exception`` instance: raised by the call;
- ``Hang(seconds)``: the call sleeps (to exercise the guard's timeout).
Every call's messages and tools are recorded in ``calls``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from crewai import BaseLLM
from pydantic import PrivateAttr


@dataclass
class Hang:
    seconds: float


def tool_call(name: str, arguments: dict[str, Any], call_id: str = "call_1") -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}


def react_action(tool: str, arguments: dict[str, Any]) -> str:
    return f"Thought: I should check this.\nAction: {tool}\nAction Input: {json.dumps(arguments)}"


def react_final(answer: str) -> str:
    return f"Thought: I now know the final answer\nFinal Answer: {answer}"


class ScriptedLLM(BaseLLM):
    native_tools: bool = False
    _script: list[Any] = PrivateAttr(default_factory=list)
    _calls: list[dict[str, Any]] = PrivateAttr(default_factory=list)

    @classmethod
    def with_script(cls, steps: list[Any], *, native_tools: bool = False) -> ScriptedLLM:
        llm = cls(model="scripted/test", native_tools=native_tools)
        llm._script = list(steps)
        return llm

    @property
    def calls(self) -> list[dict[str, Any]]:
        return self._calls

    @property
    def remaining(self) -> int:
        return len(self._script)

    def supports_function_calling(self) -> bool:
        return self.native_tools

    def get_context_window_size(self) -> int:
        return 100_000

    def call(
        self,
        messages: Any,
        tools: Any = None,
        callbacks: Any = None,
        available_functions: Any = None,
        from_task: Any = None,
        from_agent: Any = None,
        response_model: Any = None,
    ) -> Any:
        self._calls.append({"messages": messages, "tools": tools})
        if not self._script:
            raise AssertionError(f"ScriptedLLM: no answer left for call {len(self._calls)}")
        step = self._script.pop(0)
        if isinstance(step, Hang):
            time.sleep(step.seconds)
            return "Final Answer: too late"
        if isinstance(step, Exception):
            raise step
        return step

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
        return self.call(
            messages, tools, callbacks, available_functions, from_task, from_agent, response_model
        )
