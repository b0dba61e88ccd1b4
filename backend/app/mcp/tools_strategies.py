"""Tools over strategies and market data: list_symbols, create_strategy, update_strategy, list_strategies.

Each one calls the service its REST route calls (`strategies.*`, `MarketData.list_symbols`), with the request
models' own fields, so an MCP client is held to the same validation, limits and ownership.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

from mcp.server.fastmcp import Context, FastMCP
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import BaseModel, Field, WithJsonSchema

from app.mcp.answers import answer
from app.mcp.backend import Caller
from app.mcp.json_schema import inline_refs
from app.models.market_data import SymbolInfo
from app.models.strategy import Strategy, StrategyBase, StrategyCreate, StrategyIssue, StrategyUpdate
from app.services import indicators, strategies, strategy_checks
from app.services.language import GraphLimits, SavedIndicator, node_json_schema

Ctx = Context[Any, Any, Any]
StrategyId = Annotated[
    str, Field(description="A strategy id (strat_...), from create_strategy or list_strategies.")
]
Name = Annotated[str, StrategyBase.model_fields["name"]]
Graph = Annotated[
    dict[str, Any],
    WithJsonSchema(inline_refs(node_json_schema())),
    Field(
        description='The node graph: {"nodes": [{"id", "type", "meta"}, ...]}. Rules are plain language '
        '(see rule_language); percents are percents (7.0 = 7 %). Example: {"nodes": [{"id": "entry", '
        '"type": "entry_condition", "meta": {"rules": ["RSI(14) below 30"]}}, {"id": "sl", "type": '
        '"stop_loss", "meta": {"stop_pct": 5.0}}]}'
    ),
]


class SymbolsOut(BaseModel):
    symbols: list[SymbolInfo]


class RuleReading(BaseModel):
    node_id: str
    rule: str
    understood: str = Field(description="What the grammar reads the rule as: check it is what you meant.")


class StrategyOut(BaseModel):
    id: str
    name: str
    graph: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    issues: list[StrategyIssue] = Field(
        description="What blocks a run, node by node (REST's `issues`): a missing rule, a rule the grammar "
        "cannot read (with position, expected and suggestion), a rule never true; empty: it can run."
    )
    rules: list[RuleReading] = Field(description="Each rule the grammar reads, with what it becomes.")


class Deleted(BaseModel):
    deleted: str


class StrategiesOut(BaseModel):
    strategies: list[StrategyOut]


def register(mcp: FastMCP, caller: Caller) -> None:
    read_only = ToolAnnotations(readOnlyHint=True, openWorldHint=False)

    @mcp.tool(annotations=read_only)
    async def list_symbols(ctx: Ctx) -> Annotated[CallToolResult, SymbolsOut]:
        """The symbols you can backtest: bundled data sets (S&P 500 `SPX`, NASDAQ Composite `IXIC`, daily
        1999-2018), your uploads and cached downloads, each with its interval, first and last day, bars."""
        async with caller.call(ctx) as call:
            symbols = await call.backend.market_data.list_symbols(call.user.id)
        lines = [
            f"{s.symbol} ({s.provider}, {s.interval}, {s.start}..{s.end}, {s.bars} bars)" for s in symbols
        ]
        return answer(f"{len(symbols)} symbols: " + "; ".join(lines), SymbolsOut(symbols=symbols))

    @mcp.tool(annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=False, openWorldHint=False))
    async def create_strategy(name: Name, graph: Graph, ctx: Ctx) -> Annotated[CallToolResult, StrategyOut]:
        """Saves a new strategy (a node graph of plain-language rules, stops and sizing) and answers its id,
        how each rule was read, and its `issues` (what still blocks a run). Checked like POST /strategies: a
        malformed or oversized graph or an impossible stop is refused naming the node and field; an
        unfinished draft is saved with its issues. Run it with run_backtest."""
        data = StrategyCreate(name=name, graph=graph)
        async with caller.call(ctx) as call:
            settings = call.backend.settings
            library = await indicators.library_for(call.session, call.user.id)
            row = await strategies.create(call.session, call.user, data, GraphLimits.of(settings), library)
            out = strategy_out(row, llm_available=settings.llm_mode, library=library)
        return _strategy_answer("Created", out)

    @mcp.tool(annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=True, idempotentHint=True))
    async def update_strategy(
        strategy_id: StrategyId,
        graph: Graph,
        ctx: Ctx,
        name: Annotated[str | None, Field(description="A new name; omitted: the name is kept.")] = None,
    ) -> Annotated[CallToolResult, StrategyOut]:
        """Replaces a strategy's graph (and name, when given), checked like PUT /strategies/{id}. Runs made
        before keep the graph they ran with (their spec and code are stored with them)."""
        async with caller.call(ctx) as call:
            settings = call.backend.settings
            current = await strategies.get_owned(call.session, call.user, strategy_id)
            data = StrategyUpdate(name=name if name is not None else current.name, graph=graph)
            library = await indicators.library_for(call.session, call.user.id)
            row = await strategies.update(
                call.session, call.user, strategy_id, data, GraphLimits.of(settings), library
            )
            out = strategy_out(row, llm_available=settings.llm_mode, library=library)
        return _strategy_answer("Updated", out)

    @mcp.tool(annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=True, idempotentHint=False))
    async def delete_strategy(strategy_id: StrategyId, ctx: Ctx) -> Annotated[CallToolResult, Deleted]:
        """Deletes a strategy with its runs, their events and results (DELETE /strategies/{id}). It cannot be
        undone."""
        async with caller.call(ctx) as call:
            await strategies.remove(call.session, call.user, strategy_id)
        return answer(f"Deleted strategy {strategy_id} and its runs.", Deleted(deleted=strategy_id))

    @mcp.tool(annotations=read_only)
    async def list_strategies(ctx: Ctx) -> Annotated[CallToolResult, StrategiesOut]:
        """Your strategies, most recently changed first, with their graphs and how each rule reads."""
        async with caller.call(ctx) as call:
            rows = await strategies.list_for(call.session, call.user)
            library = await indicators.library_for(call.session, call.user.id)
            llm_available = call.backend.settings.llm_mode
        listed = [strategy_out(row, llm_available=llm_available, library=library) for row in rows]
        lines = [f"{s.id} {s.name!r} ({len(s.graph.get('nodes', []))} nodes)" for s in listed]
        return answer(f"{len(listed)} strategies: " + "; ".join(lines), StrategiesOut(strategies=listed))


def _strategy_answer(verb: str, out: StrategyOut) -> CallToolResult:
    readings = "; ".join(f"[{r.node_id}] {r.rule!r} -> {r.understood}" for r in out.rules)
    summary = f"{verb} strategy {out.id} {out.name!r}. Rules: {readings or 'none read'}."
    blocking = [i for i in out.issues if i.blocking]
    if blocking:
        summary += " Fix before run_backtest: " + " | ".join(i.detail for i in blocking)
    return answer(summary, out)


def strategy_out(
    row: Strategy, *, llm_available: bool, library: Sequence[SavedIndicator] = ()
) -> StrategyOut:
    """``library``: the owner's saved custom indicators (`/indicators`), which the rules may name."""
    public = strategies.public(row, llm_available=llm_available, library=library)
    return StrategyOut(
        **public.model_dump(exclude={"issues"}), issues=public.issues, rules=_readings(row.graph, library)
    )


def _readings(graph: dict[str, Any], library: Sequence[SavedIndicator]) -> list[RuleReading]:
    """What each readable rule becomes (the unreadable ones are in `issues`)."""
    return [
        RuleReading(node_id=node_id, rule=rule, understood=understood)
        for node_id, rule, understood in strategy_checks.rule_readings(graph, library)
    ]
