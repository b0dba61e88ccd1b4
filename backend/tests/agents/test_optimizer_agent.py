"""The optimization agent (the fourth CrewAI agent) in LLM mode, on a real sweep's table: its explanation
replaces the deterministic reasons only when every number it cites is the sweep's own; an invented number,
or an LLM that does not answer, leaves the deterministic reasons with a warning. The pick never moves."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pandas as pd
import pytest

import app.services.research.kernel as kernel
from app.agents.crew import CrewAdvisor, ungrounded_numbers
from app.agents.llm import AnswerCache, GuardedLLM
from app.agents.pipeline import ExecutionPipeline
from app.core.config import Settings
from app.core.config_agents import LLMSettings
from app.models.insights import OptimizationPick
from app.models.status import ExecutionStatus, Milestone
from app.services.memory import MemoryService
from app.services.research.design import design
from app.services.research.optimizer import explain, robust_pick, sweep_facts
from app.services.research.script import sweep_script
from tests.agents.scripted_llm import ScriptedLLM, react_final
from tests.services.research.test_script import GRAPH, PARAMS, frame, run_sweep_script

__all__ = ["frame"]  # the module fixture: SPX bars as a sandbox script reads them

GRID = {"fast": [5, 10, 15, 20], "slow": [50, 100, 150], "drop": [5], "sl.stop_pct": [3, 5, 8]}


class Events:
    def __init__(self) -> None:
        self.lines: list[str] = []

    async def stage(self, status: ExecutionStatus, message: str) -> None:
        self.lines.append(message)

    async def log(self, message: str, milestone: Milestone | None = None) -> None:
        self.lines.append(message)

    async def step(self, message: str, done: int, total: int) -> None:
        self.lines.append(message)


@pytest.fixture(scope="module")
def swept(frame: pd.DataFrame) -> tuple[dict[str, Any], dict[str, Any]]:
    """A real sweep (kernel in process) with walk-forward: its summary and table, as the runner has them."""
    code = sweep_script(design(GRAPH, PARAMS, GRID), "sharpe_ratio", (3, 0.7), None)
    exported = kernel.export(run_sweep_script(code, frame))
    table = exported.pop("table")
    return exported, table


def advisor_on(steps: list[Any]) -> tuple[CrewAdvisor, ScriptedLLM]:
    inner = ScriptedLLM.with_script(steps)
    settings = LLMSettings(timeout_s=2, max_retries=1, backoff_s=0.01)
    return CrewAdvisor(GuardedLLM.wrap(inner, settings, AnswerCache(0)).for_execution(), max_iter=3), inner


def grounded_text(pick: dict[str, Any], summary: dict[str, Any]) -> str:
    values = ", ".join(f"{k} = {v:g}" for k, v in pick["values"].items())
    wf, over = summary["walk_forward"], summary["overfitting"]
    return (
        f"Use {values}. Its Sharpe ratio is {pick['objective_value']:.2f} against "
        f"{pick['best_objective']:.2f} for the single best row, inside a plateau of {pick['region_size']} "
        f"combinations. The walk-forward efficiency is {wf['efficiency']:.2f} and the Deflated Sharpe Ratio "
        f"{over['deflated_sharpe_ratio']:.2f} after {over['trials']} trials."
    )


async def test_a_grounded_explanation_replaces_the_reasons_and_the_pick_stays(
    swept: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    summary, table = swept
    pick = robust_pick(summary, table)
    assert pick is not None and pick["method"] == "deterministic"
    text = grounded_text(pick, summary)
    advisor, inner = advisor_on([react_final(text)])
    events = Events()
    out = await explain(pick, summary, advisor, events)  # type: ignore[arg-type]
    assert out["method"] == "llm" and out["reasons"] == [text] and out["warning"] is None
    assert out["deterministic_reasons"] == pick["reasons"]
    assert out["values"] == pick["values"] and out["objective_value"] == pick["objective_value"]
    OptimizationPick.model_validate(out)  # what agent_insights publishes
    # The agent was given the table's numbers and the draft.
    sent = json.dumps(inner.calls[0]["messages"], default=str)
    assert json.dumps(pick["values"])[1:-1].replace('"', '\\"') in sent
    assert pick["reasons"][0][:40] in sent
    assert advisor.usage.calls == 1 and inner.remaining == 0


async def test_an_invented_number_is_caught_and_the_deterministic_reasons_stay(
    swept: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    summary, table = swept
    pick = robust_pick(summary, table)
    assert pick is not None
    invented = grounded_text(pick, summary) + " Out of sample it returned 123.45% a year."
    facts = sweep_facts(summary, pick)
    assert ungrounded_numbers(invented, facts) == ["123.45"]  # only the invented one
    advisor, inner = advisor_on([react_final(invented), react_final(invented)])
    events = Events()
    out = await explain(pick, summary, advisor, events)  # type: ignore[arg-type]
    assert out["method"] == "deterministic" and out["reasons"] == pick["reasons"]
    assert "123.45" in out["warning"] and "deterministic" in out["warning"]
    assert any("Optimizer explanation 1 rejected" in line for line in events.lines)
    # The retry was told why.
    assert "cites numbers not in the facts: 123.45" in json.dumps(inner.calls[1]["messages"], default=str)
    assert inner.remaining == 0
    OptimizationPick.model_validate(out)


async def test_an_llm_that_does_not_answer_leaves_the_deterministic_reasons(
    swept: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    summary, table = swept
    pick = robust_pick(summary, table)
    assert pick is not None
    advisor, _ = advisor_on([ConnectionError("down"), ConnectionError("still down")])
    out = await explain(pick, summary, advisor, Events())  # type: ignore[arg-type]
    assert out["method"] == "deterministic" and out["reasons"] == pick["reasons"]
    assert "failed 2 times" in out["warning"]


async def test_the_pipeline_gives_a_sweep_the_optimizer_agent_only_in_llm_mode(tmp_path: Any) -> None:
    memory = MemoryService(enabled=False, data_dir=tmp_path)
    settings = Settings(_env_file=None, environment="test", data_dir=tmp_path, anthropic_api_key=None)
    common: dict[str, Any] = {
        "settings": settings,
        "market_data": None,
        "sandbox_pool": None,
        "memory": memory,
    }
    assert await ExecutionPipeline(**common).sweep_advisor() is None
    pipeline = ExecutionPipeline(**common, llm=ScriptedLLM.with_script([]))
    first, second = await pipeline.sweep_advisor(), await pipeline.sweep_advisor()
    assert isinstance(first, CrewAdvisor) and isinstance(second, CrewAdvisor)
    assert first.optimizer.role == "Optimization analyst"
    assert first.usage is not second.usage  # each sweep has its own budget


class FactsReader(ScriptedLLM):
    """A scripted LLM that cites the pick's own numbers, read from the facts it was given (a real run's
    numbers are not known when the script is written)."""

    def call(self, messages: Any, *args: Any, **kwargs: Any) -> Any:
        self._calls.append({"messages": messages, "tools": None})
        content = next(str(m["content"]) for m in messages if "Facts:\n" in str(m.get("content")))
        facts = json.loads(content.split("Facts:\n", 1)[1].splitlines()[0])
        pick = facts["pick"]
        values = ", ".join(f"{k} = {v:g}" for k, v in pick["values"].items())
        return react_final(
            f"Use {values}: its {facts['objective']} is {pick['objective_value']:.2f}, in a region of "
            f"{pick['region_size']} neighbouring combinations out of {facts['evaluated']} evaluated."
        )


async def test_a_sweep_in_llm_mode_runs_the_optimizer_on_the_sandboxs_result(
    sandbox_pool: Any, tmp_path: Any
) -> None:
    """The runner with the pipeline's advisor, on the real sandbox and market data: the agent's grounded
    text is the pick's reasons, its usage is the sweep's, and the insights validate as published."""
    from app.agents.pipeline import ExecutionPipeline
    from app.models.execution import StrategyExecution
    from app.models.insights import AgentInsights
    from app.models.sweep import SweepRequest
    from app.services.research.runner import run_sweep_execution

    settings = Settings(_env_file=None, environment="test", data_dir=tmp_path, anthropic_api_key=None)
    memory = MemoryService(enabled=False, data_dir=tmp_path)
    market_data = await _market_data(tmp_path)  # real market data on the bundled S&P 500
    pipeline = ExecutionPipeline(
        settings=settings, market_data=market_data, sandbox_pool=sandbox_pool, memory=memory,
        llm=FactsReader.with_script([]),
    )  # fmt: skip
    advisor = await pipeline.sweep_advisor()
    request = SweepRequest.model_validate(
        {"params": PARAMS.model_dump(mode="json"), "grid": {"fast": [5, 10, 20], "slow": [50, 100]},
         "validation": {"folds": 2, "in_sample": 0.7}}
    )  # fmt: skip
    execution = StrategyExecution(id="exec_llm_sweep", strategy_id="s", user_id="u", params={})
    run = await run_sweep_execution(
        execution, GRAPH, request, Events(), asyncio.Event(), settings=settings,
        market_data=market_data, sandbox_pool=sandbox_pool, advisor=advisor,
    )  # fmt: skip
    pick = run.insights["optimization"]
    assert pick["method"] == "llm" and pick["warning"] is None, pick
    assert pick["reasons"][0].startswith("Use fast = ") and pick["deterministic_reasons"]
    assert run.insights["agents"]["mode"] == "llm" and run.insights["llm"]["calls"] == 1
    AgentInsights.model_validate(run.insights)


async def _market_data(folder: Any) -> Any:
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
    from sqlmodel import SQLModel
    from sqlmodel.ext.asyncio.session import AsyncSession

    from app.services.market_data import MarketData

    engine = create_async_engine(f"sqlite+aiosqlite:///{folder / 'md.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
    return MarketData(folder, async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False))
