"""Tools over strategies and market data: list_symbols, create_strategy, update_strategy, list_strategies.

Each one calls the service its REST route calls (`strategies.*`, `MarketData.list_symbols`), with the request
models' own fields, so an MCP client is held to the same validation, limits and ownership.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from mcp.server.fastmcp import Context, FastMCP
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import BaseModel, Field, WithJsonSchema

from app.core.errors import DomainError
from app.mcp.answers import answer
from app.mcp.backend import Caller
from app.mcp.json_schema import inline_refs
from app.models.market_data import SymbolInfo
from app.models.strategy import Strategy, StrategyBase, StrategyCreate, StrategyUpdate
from app.services import strategies
from app.services.language import node_json_schema, parse_graph, parse_rule
from app.services.language.spec import describe

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
    understood: str | None = Field(default=None, description="What the grammar reads the rule as.")
    error: dict[str, Any] | None = Field(
        default=None,
        description="Why the grammar cannot read it (position, expected, suggestion). A run fails on it, "
        "unless the service has an LLM configured to translate it.",
    )


class StrategyOut(BaseModel):
    id: str
    name: str
    graph: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    rules: list[RuleReading] = Field(description="Each plain-language rule, as the grammar reads it.")


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
        """Saves a new strategy (a node graph of plain-language rules, stops and sizing) and answers its id
        and how each rule was read. The graph is checked like POST /strategies: a malformed node is refused
        naming its id and field. Run it with run_backtest."""
        data = StrategyCreate(name=name, graph=graph)
        async with caller.call(ctx) as call:
            row = await strategies.create(call.session, call.user, data)
        return _strategy_answer("Created", row)

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
            current = await strategies.get_owned(call.session, call.user, strategy_id)
            data = StrategyUpdate(name=name if name is not None else current.name, graph=graph)
            row = await strategies.update(call.session, call.user, strategy_id, data)
        return _strategy_answer("Updated", row)

    @mcp.tool(annotations=read_only)
    async def list_strategies(ctx: Ctx) -> Annotated[CallToolResult, StrategiesOut]:
        """Your strategies, most recently changed first, with their graphs and how each rule reads."""
        async with caller.call(ctx) as call:
            rows = await strategies.list_for(call.session, call.user)
        listed = [_strategy_out(row) for row in rows]
        lines = [f"{s.id} {s.name!r} ({len(s.graph.get('nodes', []))} nodes)" for s in listed]
        return answer(f"{len(listed)} strategies: " + "; ".join(lines), StrategiesOut(strategies=listed))


def _strategy_answer(verb: str, row: Strategy) -> CallToolResult:
    out = _strategy_out(row)
    unread = [r for r in out.rules if r.error is not None]
    readings = "; ".join(
        f"[{r.node_id}] {r.rule!r} -> {r.understood}"
        if r.error is None
        else f"[{r.node_id}] {r.rule!r}: NOT understood ({r.error.get('detail')})"
        for r in out.rules
    )
    summary = (
        f"{verb} strategy {out.id} {out.name!r}. Rules: {readings or 'none (structured conditions only)'}."
    )
    if unread:
        summary += f" {len(unread)} rule(s) cannot be read: fix them (validate_rule) before run_backtest."
    return answer(summary, out)


def _strategy_out(row: Strategy) -> StrategyOut:
    return StrategyOut(
        id=row.id,
        name=row.name,
        graph=row.graph,
        created_at=row.created_at,
        updated_at=row.updated_at,
        rules=rule_readings(row.graph),
    )


def rule_readings(graph: dict[str, Any]) -> list[RuleReading]:
    """Each plain-language rule of a (valid) graph, read by the grammar a run uses."""
    readings = []
    for node in parse_graph(graph).nodes:
        for rule in getattr(getattr(node, "meta", None), "rules", None) or []:
            try:
                readings.append(
                    RuleReading(node_id=node.id, rule=rule, understood=describe(parse_rule(rule, node.id)))
                )
            except DomainError as exc:
                readings.append(RuleReading(node_id=node.id, rule=rule, error=exc.body()))
    return readings
