"""`analyze`: the node graph as a typed spec, with its stage event and what memory could say."""

from __future__ import annotations

from typing import Any

import pytest

from app.models.status import ExecutionStatus
from app.services.language import GraphLimits, RuleNotUnderstood, StrategyTooLarge
from app.services.pipeline import analyze
from tests.services.pipeline.conftest import MA_CROSS, Recorder, job

UNREADABLE = {
    "nodes": [{"id": "e1", "type": "entry_condition", "meta": {"rules": ["buy when it feels right"]}}]
}


async def test_the_graph_becomes_a_spec_with_its_indicators(make_ctx: Any) -> None:
    ctx = make_ctx()
    analysis = await analyze(job(), ctx)
    assert analysis.spec is not None
    assert [r.understood for r in analysis.spec.entries[0].rules] == ["SMA(10) crosses above SMA(30)"]
    assert analysis.spec.stop_loss == pytest.approx(0.05)  # percent in the graph, a fraction inside
    assert analysis.indicators == ["SMA(10)", "SMA(30)"]
    events: Recorder = ctx.events
    assert events.events[0][:2] == (ExecutionStatus.analyzing, "Analyzer: reading the strategy's rules")
    assert "Analyzer: understood 2 rule(s); indicators: SMA(10), SMA(30)" in events.messages()
    # Memory switched off: said in the log and in the notes, the run goes on without it.
    assert analysis.memory_notes == ("memory unavailable: memory is disabled (MEMORY_ENABLED=false)",)
    assert analysis.similar == () and analysis.preferences is None and analysis.learned == ()


async def test_an_unreadable_rule_fails_offline_unless_edited_code_runs(make_ctx: Any) -> None:
    with pytest.raises(RuleNotUnderstood) as info:
        await analyze(job(UNREADABLE), make_ctx())
    assert info.value.fields["node_id"] == "e1"

    ctx = make_ctx()
    analysis = await analyze(job(UNREADABLE, edited_code="portfolio = None\n"), ctx)
    assert analysis.spec is None and analysis.indicators == []
    assert (
        "Analyzer: the rules do not parse; running your edited code without a spec" in ctx.events.messages()
    )


async def test_the_configured_limits_name_the_node(make_ctx: Any) -> None:
    ctx = make_ctx(limits=GraphLimits(max_nodes=2, max_rules_per_node=50))
    with pytest.raises(StrategyTooLarge) as info:
        await analyze(job(MA_CROSS), ctx)
    assert (info.value.fields["node_id"], info.value.fields["limit"]) == ("sl", "max_strategy_nodes")
