"""The agents (analyst, quant developer, backtest reviewer; the optimizer for sweeps) and their tasks.

Each task runs as a one-agent CrewAI crew in a worker thread, and its answer is validated here before the
flow uses it: a condition must pass the StrategySpec model, code must pass the sandbox policy, a summary
or a sweep's explanation may only cite numbers that are in its facts. A rejected answer is retried once
with the reason.

Importing this module imports crewai (~5 s): only the worker does, lazily.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from crewai import Agent, BaseLLM, Crew, Process, Task
from crewai.crews.crew_output import CrewOutput
from crewai.tools import BaseTool
from pydantic import JsonValue

from app.agents.llm import GuardedLLM
from app.agents.tools import CONDITION_HINT, ToolContext, extract_code, extract_json
from app.models.insights import LLMUsage
from app.models.run_list import HEADLINE_METRICS
from app.services.language.spec import Condition
from app.services.pipeline import Events, JsonObject, SummaryFacts
from app.services.pipeline.tools import check_condition
from app.services.sandbox import Violation, validate_code

ANSWER_ATTEMPTS = 2  # one answer, and one retry that is told why the first was rejected
Log = Callable[[str], Awaitable[None]]


@dataclass
class CrewAgents:
    analyzer: Agent
    generator: Agent
    executor: Agent


def _common(llm: BaseLLM, max_iter: int) -> dict[str, object]:
    # The guard (app.agents.llm) is the one retry layer: CrewAI retrying too would multiply the calls.
    return {
        "llm": llm,
        "max_iter": max_iter,
        "max_retry_limit": 0,
        "verbose": False,
        "allow_delegation": False,
    }


def make_agents(llm: BaseLLM, tools: dict[str, BaseTool], max_iter: int) -> CrewAgents:
    common = _common(llm, max_iter)
    analyzer = Agent(
        role="Quantitative strategy analyst",
        goal="Turn a trader's plain-language rule into an exact, testable StrategySpec condition that means "
        "what the trader meant, with standard indicator settings when none are given.",
        backstory="A former sell-side technical analyst who now writes specifications for a systematic desk. "
        "You know that 'the trend is strong' usually means ADX above 25, that momentum is read on MACD, RSI "
        "or ROC, and that an ambiguous rule must become one precise, checkable condition, never code.",
        tools=[tools["parse_strategy"], tools["search_strategy_memory"]],
        **common,
    )
    generator = Agent(
        role="Quant developer (VectorBT)",
        goal="Make the strategy script pass the sandbox policy and run, changing as little as possible and "
        "never changing the trading logic.",
        backstory="You maintain a research codebase of vectorbt backtests. You fix imports, names and "
        "pandas mistakes; you never add network access, files or new trading rules.",
        tools=[tools["compile_strategy"], tools["validate_code"]],
        **common,
    )
    executor = Agent(
        role="Backtest reviewer",
        goal="Explain in a few sentences what the strategy did and why it won or lost, citing only the "
        "metrics of this backtest.",
        backstory="A risk manager who reads every backtest before it reaches the investment committee: "
        "returns against the benchmark, drawdown, trade count, win rate, and whether the sample is too "
        "small.",
        tools=[tools["run_backtest"], tools["search_strategy_memory"]],
        **common,
    )
    return CrewAgents(analyzer=analyzer, generator=generator, executor=executor)


def make_optimizer(llm: BaseLLM, max_iter: int) -> Agent:
    """The fourth agent, a sweep's: it explains the robust pick that `app.services.research.optimizer`
    computed (the choice itself stays deterministic, so an LLM cannot move it)."""
    return Agent(
        role="Optimization analyst",
        goal="Explain which parameter values to trade after a parameter sweep and why, citing only the "
        "numbers of the sweep's table, its walk-forward and its overfitting statistics.",
        backstory="A quant researcher who has seen many backtests overfit. You prefer a broad plateau of "
        "good results to a single peak, you read the walk-forward as the honest test, and you say plainly "
        "when the Deflated Sharpe Ratio or the Probability of Backtest Overfitting suggest luck.",
        tools=[],
        **_common(llm, max_iter),
    )


def _kickoff(agent: Agent, description: str, expected_output: str) -> str:
    task = Task(description=description, expected_output=expected_output, agent=agent)
    crew = Crew(agents=[agent], tasks=[task], process=Process.sequential, verbose=False)
    output = crew.kickoff()
    if not isinstance(output, CrewOutput):  # a streaming crew; these are never streamed
        raise TypeError(f"unexpected crew output {type(output).__name__}")
    return str(output.raw)


async def run_task(agent: Agent, description: str, expected_output: str) -> str:
    return await asyncio.to_thread(_kickoff, agent, description, expected_output)


# -- analyzer: a rule the grammar could not read ---------------------------------------------------------


class AnswerRejected(ValueError):
    """Every answer of the LLM failed validation; ``reasons`` says why, attempt by attempt."""

    def __init__(self, what: str, reasons: list[str]) -> None:
        super().__init__(f"the LLM's {what} was rejected {len(reasons)} times: {reasons[-1]}")
        self.reasons = reasons


async def translate_rule(
    agents: CrewAgents, rule: str, grammar_error: str, log: Log
) -> tuple[Condition, str]:
    """Asks the analyzer for the rule as a condition; returns (validated condition, canonical wording)."""
    reasons: list[str] = []
    for attempt in range(1, ANSWER_ATTEMPTS + 1):
        feedback = f"\nYour previous answer was rejected: {reasons[-1]}\n" if reasons else ""
        answer = await run_task(
            agents.analyzer,
            f"The strategy language could not read this trading rule:\n\n  {rule}\n\n"
            f"Parser message: {grammar_error}\n\nTranslate the rule into one condition. {CONDITION_HINT} "
            "Check it with the parse_strategy tool. Answer with the JSON object only."
            f"{feedback}",
            'A JSON object like {"type": "all", "items": [...]}.',
        )
        try:
            data = extract_json(answer)
            candidate = data.get("condition", data)
            if not isinstance(candidate, dict):
                raise ValueError("the condition is not a JSON object")
            condition, words = check_condition(candidate)
        except Exception as exc:
            reasons.append(f"{type(exc).__name__}: {str(exc)[:400]}")
            await log(f"Analyzer answer {attempt} for rule '{rule}' rejected: {reasons[-1]}")
            continue
        return condition, words
    raise AnswerRejected("translation", reasons)


# -- generator: code that failed the policy or raised ----------------------------------------------------


async def repair_code(agents: CrewAgents, code: str, problem: str) -> tuple[str, list[Violation]]:
    """One repair: the generator's new code and its policy violations (empty when it passes)."""
    answer = await run_task(
        agents.generator,
        "This vectorbt strategy script must run in a sandbox, but:\n\n"
        f"{problem}\n\nScript:\n```python\n{code}\n```\n\n"
        "Fix only what is broken; keep the trading logic, the load_data stub and the final `portfolio` "
        "variable. Check your code with validate_code. Answer with the complete script in one "
        "```python block.",
        "The complete corrected script in a ```python block.",
    )
    new_code = extract_code(answer)
    return new_code, validate_code(new_code)


# -- executor: the summary -------------------------------------------------------------------------------

_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?")


def ungrounded_numbers(summary: str, facts: dict[str, JsonValue]) -> list[str]:
    """Numbers in ``summary`` that are none of the facts' numbers (rounded either way), nor small counts.

    >>> ungrounded_numbers("Returned 25.5% with a Sharpe of 1.2 over 3 trades", {"total_return": 25.49,
    ...     "sharpe_ratio": 1.23, "trades": 3})
    []
    >>> ungrounded_numbers("Returned 40%", {"total_return": 25.49})
    ['40']
    """
    values = [abs(float(v)) for v in _flat_numbers(facts)]
    bad = []
    for token in _NUMBER.findall(summary):
        x = abs(float(token))
        if x <= 10 and float(token).is_integer():
            continue  # "two symbols", "3 trades", "1 year": counts are not claims about performance
        decimals = len(token.split(".")[1]) if "." in token else 0
        tol = 0.5 * 10**-decimals + 1e-9
        if not any(abs(x - v) <= tol for v in values):
            bad.append(token)
    return bad


def _flat_numbers(value: JsonValue) -> list[float]:
    if isinstance(value, bool):
        return []
    if isinstance(value, int | float):
        return [float(value)]
    if isinstance(value, dict):
        return [n for v in value.values() for n in _flat_numbers(v)]
    if isinstance(value, list | tuple):
        return [n for v in value for n in _flat_numbers(v)]
    return []


async def grounded_answer(
    agent: Agent, question: str, facts: JsonObject, log: Log, *, who: str, what: str
) -> str:
    """``agent``'s plain-text answer to ``question``, accepted only when every number it cites is one of
    ``facts``' (`ungrounded_numbers`); retried once with the reason, then `AnswerRejected`."""
    reasons: list[str] = []
    for attempt in range(1, ANSWER_ATTEMPTS + 1):
        feedback = f"\nYour previous answer was rejected: {reasons[-1]}\n" if reasons else ""
        answer = await run_task(
            agent,
            f"{question}\n{json.dumps(facts, default=str)}{feedback}",
            "A short plain-text paragraph.",
        )
        text = answer.strip()
        bad = ungrounded_numbers(text, facts)
        if text and len(text) <= 2000 and not bad:
            return text
        reasons.append(
            f"cites numbers not in the facts: {', '.join(bad[:5])}" if bad else "empty or too long"
        )
        await log(f"{who} {what} {attempt} rejected: {reasons[-1]}")
    raise AnswerRejected(what, reasons)


async def write_summary(agents: CrewAgents, facts: JsonObject, log: Log) -> str:
    """The executor's summary, accepted only when every number it cites is one of the facts."""
    return await grounded_answer(
        agents.executor,
        "Write 3 to 5 sentences for the trader: what this strategy did and why it won or lost against "
        "its benchmark. Cite only numbers that appear in these facts (percentages are already in %):",
        facts,
        log,
        who="Executor",
        what="summary",
    )


async def explain_sweep(optimizer: Agent, facts: JsonObject, draft: Sequence[str], log: Log) -> str:
    """The optimizer's explanation of a sweep's pick, accepted only when every number it cites is one of
    the sweep's facts."""
    return await grounded_answer(
        optimizer,
        "A parameter sweep has run and the robust pick below was chosen: the centre of the largest region "
        "of neighbouring combinations whose objective stays near the best, not the single best row. In 3 "
        "to 5 sentences tell the trader which values to use and why, how they compare with the best row, "
        "and what the walk-forward and the overfitting statistics say. Cite only numbers that appear in "
        "these facts. A draft to improve on:\n" + "\n".join(f"- {line}" for line in draft) + "\nFacts:",
        facts,
        log,
        who="Optimizer",
        what="explanation",
    )


class CrewAdvisor:
    """A sweep's `SweepAdvisor` (app.services.pipeline): the optimizer agent on this sweep's own budget."""

    def __init__(self, llm: GuardedLLM, max_iter: int) -> None:
        self.llm = llm
        self.optimizer = make_optimizer(llm, max_iter)

    @property
    def usage(self) -> LLMUsage:
        return self.llm.usage

    async def explain(self, facts: JsonObject, draft: Sequence[str], events: Events) -> str:
        return await explain_sweep(self.optimizer, facts, draft, events.log)


class CrewAssistant:
    """The run's `Assistant` (app.services.pipeline): each question goes to its agent, each answer is
    validated here before the step uses it."""

    def __init__(self, agents: CrewAgents, tools: ToolContext) -> None:
        self.agents = agents
        self.tools = tools

    async def translate_rule(self, rule: str, grammar_error: str, events: Events) -> tuple[Condition, str]:
        return await translate_rule(self.agents, rule, grammar_error, events.log)

    async def repair_code(self, code: str, problem: str, compiled: str | None) -> tuple[str, list[Violation]]:
        self.tools.compiled_code = compiled  # the compile_strategy tool's answer
        return await repair_code(self.agents, code, problem)

    async def summarize(self, facts: SummaryFacts, events: Events) -> str:
        self.tools.metrics = facts.metrics  # the run_backtest tool's answer
        figures = facts.metrics.model_dump()
        answer_facts: dict[str, JsonValue] = {
            "metrics": {key: figures[key] for key in HEADLINE_METRICS},
            "warnings": list(facts.metrics.warnings),
            "symbols": list(facts.symbols),
            "benchmark": facts.benchmark,
        }
        return await write_summary(self.agents, answer_facts, events.log)


__all__ = [
    "AnswerRejected",
    "CrewAdvisor",
    "CrewAgents",
    "CrewAssistant",
    "explain_sweep",
    "grounded_answer",
    "make_agents",
    "make_optimizer",
    "repair_code",
    "run_task",
    "translate_rule",
    "write_summary",
]
