"""The whole pipeline (flow, real language, results and mem0) in both modes.

Market data and the sandbox are stand-ins here (their packages have their own tests and need a database
and a warm bubblewrap pool): bars are a synthetic random walk, the "sandbox" returns the buy-and-hold
equity of that walk, so the flow's wiring and the insights are what is under test.
"""

from __future__ import annotations

import asyncio
import gc
import json
import weakref
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from app.agents.pipeline import ExecutionPipeline, PipelineJob
from app.core.config import Settings
from app.core.config_agents import LLMSettings, MemorySettings
from app.models.insights import AgentInsights
from app.models.params import ExecutionParams
from app.models.status import ExecutionStatus, Milestone
from app.services.language.errors import RuleNotUnderstood, StrategyTooLarge
from app.services.memory import MemoryService
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


@dataclass
class StubBars:
    frame: pd.DataFrame
    parquet_path: Path
    source: str = "stub:walk"
    content_hash: str = "abc"
    notes: list[str] = field(default_factory=lambda: ["filled 1 missing bar"])

    def check_enough(self, window: int) -> None:
        assert len(self.frame) > window


class StubMarketData:
    def __init__(self, tmp: Path) -> None:
        idx = pd.date_range("2015-01-01", "2016-12-31", freq="B", tz="UTC", name="timestamp")
        close = 100 * np.exp(np.cumsum(np.random.default_rng(7).normal(0, 0.01, len(idx))))
        self.frame = pd.DataFrame(
            {"open": close, "high": close, "low": close, "close": close, "volume": 1e6}, idx
        )
        self.path = tmp / "SPX.parquet"
        self.frame.to_parquet(self.path)

    async def load(self, symbol: str, interval: str, start: date, end: date, user_id: str) -> StubBars:
        return StubBars(self.frame, self.path)


class StubSandbox:
    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.codes: list[str] = []

    async def run(self, code: str, data_files: dict[str, Path], *, cancel: Any = None) -> SandboxResult:
        self.codes.append(code)
        equity = 10_000 * self.frame["close"] / self.frame["close"].iloc[0]
        return SandboxResult(
            equity=[(ts.isoformat(), float(v)) for ts, v in equity.items()],
            trades=[],
            signals={"entries": 1, "exits": 0},
            stdout_tail="",
            stderr_tail="",
            duration_s=0.01,
            library_versions={},
        )


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []

    async def stage(self, status: ExecutionStatus, message: str) -> None:
        self.events.append((status, message))

    async def log(self, message: str, milestone: Milestone | None = None) -> None:
        self.events.append(("log", message))


@pytest.fixture(scope="module")
async def memory(tmp_path_factory: pytest.TempPathFactory) -> Any:
    svc = MemoryService(data_dir=tmp_path_factory.mktemp("pipeline-mem"))
    await svc.start()
    yield svc
    await svc.close()


def assert_published_whole(insights: dict[str, Any]) -> None:
    """The API's `AgentInsights` declares every key the pipeline wrote, and reads each one back as written."""
    assert set(insights) <= set(AgentInsights.model_fields), set(insights) - set(AgentInsights.model_fields)
    published = AgentInsights.model_validate(insights).model_dump(mode="json", exclude_unset=True)
    assert published == json.loads(json.dumps(insights))


def make_pipeline(
    tmp: Path, store: MemoryService, llm: Any = None, **overrides: Any
) -> tuple[ExecutionPipeline, StubSandbox]:
    market = StubMarketData(tmp)
    sandbox = StubSandbox(market.frame)
    settings = Settings(
        _env_file=None,
        environment="test",
        data_dir=tmp,
        anthropic_api_key=None,
        llm=LLMSettings(backoff_s=0.01),
        **overrides,
    )
    return ExecutionPipeline(
        settings=settings, market_data=market, sandbox_pool=sandbox, memory=store, llm=llm
    ), sandbox


def job(n: int, user: str, entry: str) -> PipelineJob:
    return PipelineJob(f"exec_{user}_{n}", user, "strat_1", "Trend follower", graph(entry), PARAMS, None)


async def test_offline_runs_and_the_second_run_finds_the_first(tmp_path: Path, memory: MemoryService) -> None:
    pipeline, sandbox = make_pipeline(tmp_path, memory)
    first = await pipeline.run(job(1, "olga", "SMA(10) crosses above SMA(30)"), Recorder(), asyncio.Event())
    assert first.insights["similar_strategies"] == []
    assert sorted(first.insights["indicators_used"]) == ["RSI(14)", "SMA(10)", "SMA(30)"]
    # Buy and hold of the walk: the total return is the walk's own, in percent.
    close = sandbox.frame["close"]
    assert first.results.metrics.total_return == pytest.approx(
        100 * (close.iloc[-1] / close.iloc[0] - 1), abs=0.01
    )

    progress = Recorder()
    second = await pipeline.run(job(2, "olga", "SMA(10) crosses above SMA(30)"), progress, asyncio.Event())
    similar = second.insights["similar_strategies"]
    assert similar[0]["execution_id"] == "exec_olga_1" and similar[0]["similarity"] > 0.9
    assert similar[0]["total_return"] == pytest.approx(first.results.metrics.total_return)
    stages = [status for status, _ in progress.events if status != "log"]
    assert stages == ["analyzing", "generating_code", "executing"]
    assert any("filled 1 missing bar" in m for _, m in progress.events)
    assert second.insights["agents"] == {"mode": "offline"}
    assert_published_whole(second.insights)

    # Another user sees none of it.
    third = await pipeline.run(job(3, "pavel", "SMA(10) crosses above SMA(30)"), Recorder(), asyncio.Event())
    assert third.insights["similar_strategies"] == []


async def test_memory_similar_k_bounds_the_similar_strategies_shown(
    tmp_path: Path, memory: MemoryService
) -> None:
    pipeline, _ = make_pipeline(tmp_path, memory)
    for n in (1, 2):
        await pipeline.run(job(n, "sven", "SMA(10) crosses above SMA(30)"), Recorder(), asyncio.Event())
    third = await pipeline.run(job(3, "sven", "SMA(10) crosses above SMA(30)"), Recorder(), asyncio.Event())
    assert len(third.insights["similar_strategies"]) == 2
    one, _ = make_pipeline(tmp_path, memory, memory=MemorySettings(similar_k=1))
    fourth = await one.run(job(4, "sven", "SMA(10) crosses above SMA(30)"), Recorder(), asyncio.Event())
    assert len(fourth.insights["similar_strategies"]) == 1


async def test_a_run_refuses_a_graph_over_the_configured_limits(
    tmp_path: Path, memory: MemoryService
) -> None:
    """A strategy saved under larger limits is checked again when it runs."""
    pipeline, _ = make_pipeline(tmp_path, memory, max_rules_per_node=1)
    two_rules = graph("SMA(10) crosses above SMA(30)")
    two_rules["nodes"][0]["meta"]["rules"].append("RSI(14) below 30")
    run = PipelineJob("exec_tina_1", "tina", "strat_1", "Two rules", two_rules, PARAMS, None)
    with pytest.raises(StrategyTooLarge, match=r"Node 'e1': 2 rules and conditions; at most 1") as info:
        await pipeline.run(run, Recorder(), asyncio.Event())
    assert info.value.fields["limit"] == "max_rules_per_node"


async def test_a_runs_data_is_freed_by_reference_counting(tmp_path: Path, memory: MemoryService) -> None:
    """No reference cycle keeps a finished run's series alive until the next full collection (a pause of
    the event loop that grows with every run's leftovers)."""
    pipeline, _ = make_pipeline(tmp_path, memory)
    await pipeline.run(job(1, "rita", "SMA(10) crosses above SMA(30)"), Recorder(), asyncio.Event())
    gc.collect()
    gc.disable()
    try:
        outcome = await pipeline.run(
            job(2, "rita", "SMA(10) crosses above SMA(30)"), Recorder(), asyncio.Event()
        )
        results = weakref.ref(outcome.results)
        assert len(outcome.results.equity_series) > 100
        del outcome
        assert results() is None
    finally:
        gc.enable()


async def test_unreadable_rule_fails_offline_with_the_grammars_message(
    tmp_path: Path, memory: MemoryService
) -> None:
    pipeline, _ = make_pipeline(tmp_path, memory)
    with pytest.raises(RuleNotUnderstood, match=r"could not read rule 'buy when the trend") as info:
        await pipeline.run(job(1, "quinn", RULE), Recorder(), asyncio.Event())
    assert info.value.fields["node_id"] == "e1"


async def test_unreadable_rule_is_translated_in_llm_mode_then_remembered(
    tmp_path: Path, memory: MemoryService
) -> None:
    summary = "The strategy made {ret}% against its benchmark over the period."
    steps = [
        react_action("parse_strategy", {"condition_json": json.dumps(TRANSLATION)}),
        react_final(json.dumps(TRANSLATION)),
    ]
    llm = ScriptedLLM.with_script(steps, native_tools=False)
    pipeline, sandbox = make_pipeline(tmp_path, memory, llm=llm)
    close = sandbox.frame["close"]
    ret = round(100 * (close.iloc[-1] / close.iloc[0] - 1), 1)
    llm._script.append(react_final(summary.format(ret=ret)))

    progress = Recorder()
    outcome = await pipeline.run(job(1, "rita", RULE), progress, asyncio.Event())
    rule = outcome.spec["entries"][0]["rules"][0]
    assert rule["text"] == RULE and rule["understood"].startswith(WORDS)
    assert rule["condition"]["type"] == "all"
    assert rule["condition"]["items"][0]["right"]["value"] == 25.0
    assert "adx_14" in sandbox.codes[0] and "macd" in sandbox.codes[0]
    assert outcome.insights["translated_rules"][0]["rule"] == RULE
    assert outcome.insights["summary"] == summary.format(ret=ret)
    assert outcome.insights["llm"]["calls"] == 3 and outcome.insights["agents"]["tool_calls"] == [
        "parse_strategy"
    ]
    assert [s for s, _ in progress.events if s != "log"] == ["analyzing", "generating_code", "executing"]
    assert_published_whole(outcome.insights)

    # Next time the translation comes from memory: no LLM call for it (only the summary's).
    progress = Recorder()
    again = await pipeline.run(job(2, "rita", RULE), progress, asyncio.Event())
    assert any("read from memory" in m for _, m in progress.events)
    # The summary question is the same as last time: answered by the cache, so no LLM call at all.
    assert (again.insights["llm"]["calls"], again.insights["llm"]["cache_hits"]) == (0, 1)
    assert llm.remaining == 0
    assert again.spec["entries"][0]["rules"][0]["condition"] == rule["condition"]
