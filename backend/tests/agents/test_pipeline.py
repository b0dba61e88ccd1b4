"""The whole pipeline (flow, real language, real market data, results and mem0) in both modes.

The sandbox is a stand-in here (its package has its own tests and needs a warm bubblewrap pool): it returns
the buy-and-hold equity of the bars it is given, so the flow's wiring and the insights are what is under
test. Market data is the real service on the bundled S&P 500 set.
"""

from __future__ import annotations

import asyncio
import gc
import json
import weakref
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

import app.models  # noqa: F401  (the tables market data keeps its cache in)
from app.agents.pipeline import ExecutionPipeline
from app.core.config import Settings
from app.core.config_agents import LLMSettings, MemorySettings
from app.models.params import ExecutionParams
from app.models.status import ExecutionStatus, Milestone
from app.services.language.errors import RuleNotUnderstood, StrategyTooLarge
from app.services.market_data import MarketData
from app.services.memory import MemoryService
from app.services.pipeline import Job, Outcome, remember_run
from app.services.sandbox.result import SandboxResult
from tests.agents.scripted_llm import ScriptedLLM, react_action, react_final
from tests.agents.test_crew import RULE, TRANSLATION, WORDS

PARAMS = ExecutionParams(symbols=["SPX"], start_date=date(2015, 1, 1), end_date=date(2016, 12, 31))


def graph(entry: str) -> dict[str, Any]:
    return {
        "nodes": [
            {"id": "e1", "type": "entry_condition", "meta": {"rules": [entry]}},
            {"id": "x1", "type": "exit_condition", "meta": {"rules": ["RSI(14) above 70"]}},
            {"id": "sl", "type": "stop_loss", "meta": {"stop_pct": 5}},
        ]
    }


class StubSandbox:
    """Returns the buy-and-hold equity of the first symbol's bars from the start date (the bars before it
    only warm the indicators up), as read from the file it is given."""

    def __init__(self) -> None:
        self.codes: list[str] = []
        self.closes: list[pd.Series] = []

    async def run(
        self, code: str, data_files: dict[str, Path], *, cancel: Any = None, **_options: Any
    ) -> SandboxResult:
        self.codes.append(code)
        close = pd.read_parquet(next(iter(data_files.values())))["close"]
        close = close[close.index >= pd.Timestamp(PARAMS.start_date, tz="UTC")]
        self.closes.append(close)
        equity = 10_000 * close / close.iloc[0]
        return SandboxResult(
            equity=[(ts.isoformat(), float(v)) for ts, v in equity.items()],
            trades=[],
            signals={"entries": 1, "exits": 0},
            stdout_tail="",
            stderr_tail="",
            duration_s=0.01,
            library_versions={"vectorbt": "stand-in"},
        )


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    async def stage(self, status: ExecutionStatus, message: str) -> None:
        self.events.append((status, message))

    async def log(self, message: str, milestone: Milestone | None = None) -> None:
        self.events.append(("log", message))


@pytest.fixture(scope="module")
async def memory(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[MemoryService]:
    svc = MemoryService(data_dir=tmp_path_factory.mktemp("pipeline-mem"))
    await svc.start()
    yield svc
    await svc.close()


@pytest.fixture(scope="module")
async def market(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[MarketData]:
    folder = tmp_path_factory.mktemp("pipeline-market")
    engine = create_async_engine(f"sqlite+aiosqlite:///{folder / 'md.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
    yield MarketData(folder, async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False))
    await engine.dispose()


def make_pipeline(
    tmp: Path, store: MemoryService, market: MarketData, llm: Any = None, **overrides: Any
) -> tuple[ExecutionPipeline, StubSandbox]:
    sandbox = StubSandbox()
    settings = Settings(
        _env_file=None,
        environment="test",
        data_dir=tmp,
        anthropic_api_key=None,
        llm=LLMSettings(backoff_s=0.01),
        **overrides,
    )
    pipeline = ExecutionPipeline(
        settings=settings,
        market_data=market,
        sandbox_pool=sandbox,  # type: ignore[arg-type]
        memory=store,
        llm=llm,
    )
    return pipeline, sandbox


def job(n: int, user: str, entry: str) -> Job:
    return Job(f"exec_{user}_{n}", user, "strat_1", "Trend follower", graph(entry), PARAMS, None)


async def run_stored(pipeline: ExecutionPipeline, run: Job, progress: Recorder | None = None) -> Outcome:
    """A run as the job runner ends it: once it is stored, memory keeps what `run_memory` made of it."""
    outcome = await pipeline.run(run, progress or Recorder(), asyncio.Event())
    assert outcome.memory is not None and outcome.memory.execution_id == run.execution_id
    assert await remember_run(outcome.memory, pipeline.memory)
    return outcome


async def test_offline_runs_and_the_second_run_finds_the_first(
    tmp_path: Path, memory: MemoryService, market: MarketData
) -> None:
    pipeline, sandbox = make_pipeline(tmp_path, memory, market)
    first = await run_stored(pipeline, job(1, "olga", "SMA(10) crosses above SMA(30)"))
    assert first.insights.similar_strategies == []
    assert sorted(first.insights.indicators_used) == ["RSI(14)", "SMA(10)", "SMA(30)"]
    # Buy and hold of the bars the sandbox was given: the total return is theirs, in percent.
    close = sandbox.closes[0]
    assert close.index[0].date() >= PARAMS.start_date and close.index[-1].date() <= PARAMS.end_date
    results = first.backtest.results
    assert results.metrics.total_return == pytest.approx(100 * (close.iloc[-1] / close.iloc[0] - 1), abs=0.01)
    assert set(first.backtest.data) == {"SPX"} and first.backtest.data["SPX"].source.startswith("bundled")
    assert first.backtest.script.code == sandbox.codes[0] and not first.backtest.script.edited
    assert first.insights.library_versions == {"vectorbt": "stand-in"}
    assert first.insights.strategy_name == "Trend follower"

    progress = Recorder()
    second = await run_stored(pipeline, job(2, "olga", "SMA(10) crosses above SMA(30)"), progress)
    similar = second.insights.similar_strategies
    assert similar[0].execution_id == "exec_olga_1" and similar[0].similarity > 0.9
    assert similar[0].total_return == pytest.approx(results.metrics.total_return)
    stages = [status for status, _ in progress.events if status != "log"]
    assert stages == ["analyzing", "generating_code", "executing"]
    assert any(m.startswith("Executor: SPX: ") and "bars from bundled" in m for _, m in progress.events)
    assert second.insights.agents is not None and second.insights.agents.mode == "offline"
    assert second.insights.agents.tool_calls == [] and second.insights.llm is None

    # Another user sees none of it.
    third = await run_stored(pipeline, job(3, "pavel", "SMA(10) crosses above SMA(30)"))
    assert third.insights.similar_strategies == []


async def test_memory_similar_k_bounds_the_similar_strategies_shown(
    tmp_path: Path, memory: MemoryService, market: MarketData
) -> None:
    pipeline, _ = make_pipeline(tmp_path, memory, market)
    for n in (1, 2):
        await run_stored(pipeline, job(n, "sven", "SMA(10) crosses above SMA(30)"))
    third = await run_stored(pipeline, job(3, "sven", "SMA(10) crosses above SMA(30)"))
    assert len(third.insights.similar_strategies) == 2
    one, _ = make_pipeline(tmp_path, memory, market, memory=MemorySettings(similar_k=1))
    fourth = await run_stored(one, job(4, "sven", "SMA(10) crosses above SMA(30)"))
    assert len(fourth.insights.similar_strategies) == 1


async def test_a_run_refuses_a_graph_over_the_configured_limits(
    tmp_path: Path, memory: MemoryService, market: MarketData
) -> None:
    """A strategy saved under larger limits is checked again when it runs."""
    pipeline, _ = make_pipeline(tmp_path, memory, market, max_rules_per_node=1)
    two_rules = graph("SMA(10) crosses above SMA(30)")
    two_rules["nodes"][0]["meta"]["rules"].append("RSI(14) below 30")
    run = Job("exec_tina_1", "tina", "strat_1", "Two rules", two_rules, PARAMS, None)
    with pytest.raises(StrategyTooLarge, match=r"Node 'e1': 2 rules and conditions; at most 1") as info:
        await pipeline.run(run, Recorder(), asyncio.Event())
    assert info.value.fields["limit"] == "max_rules_per_node"


async def test_a_runs_data_is_freed_by_reference_counting(
    tmp_path: Path, memory: MemoryService, market: MarketData
) -> None:
    """No reference cycle keeps a finished run's series alive until the next full collection (a pause of
    the event loop that grows with every run's leftovers)."""
    pipeline, _ = make_pipeline(tmp_path, memory, market)
    await pipeline.run(job(1, "rita", "SMA(10) crosses above SMA(30)"), Recorder(), asyncio.Event())
    gc.collect()
    gc.disable()
    try:
        outcome = await pipeline.run(
            job(2, "rita", "SMA(10) crosses above SMA(30)"), Recorder(), asyncio.Event()
        )
        results = weakref.ref(outcome.backtest.results)
        assert len(outcome.backtest.results.equity_series) > 100
        del outcome
        # The worker thread that built them may hold its last reference for a moment after handing them
        # over (flaky under load); with the collector off only reference counting can free them, so
        # waiting still fails on a cycle.
        for _ in range(300):
            if results() is None:
                break
            await asyncio.sleep(0.01)
        assert results() is None
    finally:
        gc.enable()


async def test_unreadable_rule_fails_offline_with_the_grammars_message(
    tmp_path: Path, memory: MemoryService, market: MarketData
) -> None:
    pipeline, _ = make_pipeline(tmp_path, memory, market)
    with pytest.raises(RuleNotUnderstood, match=r"could not read rule 'buy when the trend") as info:
        await pipeline.run(job(1, "quinn", RULE), Recorder(), asyncio.Event())
    assert info.value.fields["node_id"] == "e1"


async def test_unreadable_rule_is_translated_in_llm_mode_then_remembered(
    tmp_path: Path, memory: MemoryService, market: MarketData
) -> None:
    summary = "The strategy made {ret}% against its benchmark over the period."
    steps = [
        react_action("parse_strategy", {"condition_json": json.dumps(TRANSLATION)}),
        react_final(json.dumps(TRANSLATION)),
    ]
    llm = ScriptedLLM.with_script(steps, native_tools=False)
    pipeline, sandbox = make_pipeline(tmp_path, memory, market, llm=llm)
    spx = (await market.load("SPX", "1d", PARAMS.start_date, PARAMS.end_date, None)).frame["close"]
    ret = round(100 * (spx.iloc[-1] / spx.iloc[0] - 1), 1)
    llm._script.append(react_final(summary.format(ret=ret)))

    progress = Recorder()
    outcome = await pipeline.run(job(1, "rita", RULE), progress, asyncio.Event())
    assert outcome.spec is not None
    rule = outcome.spec.entries[0].rules[0]
    assert rule.text == RULE and rule.understood is not None and rule.understood.startswith(WORDS)
    condition = rule.condition.model_dump()
    assert condition["type"] == "all" and condition["items"][0]["right"]["value"] == 25.0
    assert "adx_14" in sandbox.codes[0] and "macd" in sandbox.codes[0]
    insights = outcome.insights
    assert [(t.node_id, t.rule) for t in insights.translated_rules] == [("e1", RULE)]
    assert insights.summary == summary.format(ret=ret)
    assert insights.llm is not None and insights.llm.calls == 3
    assert insights.agents is not None and insights.agents.tool_calls == ["parse_strategy"]
    assert [s for s, _ in progress.events if s != "log"] == ["analyzing", "generating_code", "executing"]

    # Next time the translation comes from memory: no LLM call for it (only the summary's).
    progress = Recorder()
    again = await pipeline.run(job(2, "rita", RULE), progress, asyncio.Event())
    assert any("read from memory" in m for _, m in progress.events)
    # The summary question is the same as last time: answered by the cache, so no LLM call at all.
    assert again.insights.llm is not None
    assert (again.insights.llm.calls, again.insights.llm.cache_hits) == (0, 1)
    assert llm.remaining == 0
    assert again.spec is not None and again.spec.entries[0].rules[0].condition == rule.condition
