"""Tools that read finished runs: get_results, get_code, compare_runs (REST's services and views)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from mcp.server.fastmcp import Context, FastMCP
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import BaseModel, Field

from app.mcp.answers import answer
from app.mcp.backend import Caller
from app.models.backtest import BacktestMetrics, SeriesPoint, TradeRow
from app.models.execution import CodePublic
from app.models.run_list import ReportLink
from app.services import executions, report_links, result_views
from app.services.results import MAX_POINTS, downsample

Ctx = Context[Any, Any, Any]
ExecutionId = Annotated[str, Field(description="An execution id (exec_...), from run_backtest.")]


class ResultsOut(BaseModel):
    execution_id: str
    backtest_run_id: str
    strategy_id: str
    # REST's own models (GET /executions/{id}/results), so the output schema names and describes each field
    metrics: BacktestMetrics = Field(description="Every metric, with `warnings`.")
    warnings: list[str]
    equity_series: list[SeriesPoint] = Field(description="[timestamp, portfolio value], downsampled.")
    benchmark_series: list[SeriesPoint] = Field(description="[timestamp, buy-and-hold of the benchmark].")
    drawdown_series: list[SeriesPoint] = Field(description="[timestamp, drawdown %].")
    bars: int = Field(description="Bars in the run; the series keep the extremes of every stretch.")
    trades: list[TradeRow] = Field(description="This page of trades, each with exit_reason and exit_rule.")
    trades_total: int
    trades_offset: int
    next_trades_offset: int | None = Field(description="Pass as trades_offset for the next page; null: last.")


class CompareOut(BaseModel):
    ids: list[str]
    metrics: dict[str, dict[str, Any]] = Field(description="{metric: {execution_id: value}}.")
    rows: list[dict[str, Any]] = Field(
        description="Each metric with its label, which way is better, the best ids."
    )
    warnings: dict[str, list[str]]


def register(mcp: FastMCP, caller: Caller) -> None:
    read_only = ToolAnnotations(readOnlyHint=True, idempotentHint=True, openWorldHint=False)

    @mcp.tool(annotations=read_only)
    async def get_results(
        execution_id: ExecutionId,
        ctx: Ctx,
        max_points: Annotated[int, Field(ge=4, le=MAX_POINTS, description="Most points per series.")] = 200,
        trades_offset: Annotated[int, Field(ge=0, description="First trade of the page.")] = 0,
        trades_limit: Annotated[int, Field(ge=1, le=500, description="Trades per page.")] = 50,
    ) -> Annotated[CallToolResult, ResultsOut]:
        """A completed run's results (GET /executions/{id}/results): every metric with its warnings, the
        equity, benchmark and drawdown series downsampled to `max_points` (extremes kept), and a page of
        trades with why each one closed. A run not completed answers a ResultsNotReady error (its status)."""
        async with caller.call(ctx) as call:
            run = await executions.get_results(call.session, call.user, execution_id)
        equity = result_views.full_series(run, "equity")
        trades = list(run.trades)
        page = trades[trades_offset : trades_offset + trades_limit]
        end = trades_offset + len(page)
        out = ResultsOut(
            execution_id=execution_id,
            backtest_run_id=run.id,
            strategy_id=run.strategy_id,
            metrics=BacktestMetrics.model_validate(run.metrics),
            warnings=list(run.metrics.get("warnings") or []),
            equity_series=_points(downsample(equity, max_points)),
            benchmark_series=_points(downsample(result_views.full_series(run, "benchmark"), max_points)),
            drawdown_series=_points(downsample(result_views.full_series(run, "drawdown"), max_points)),
            bars=len(equity),
            trades=[TradeRow.model_validate(trade) for trade in page],
            trades_total=len(trades),
            trades_offset=trades_offset,
            next_trades_offset=end if end < len(trades) else None,
        )
        m = run.metrics
        summary = (
            f"Results of {execution_id}: total return {m.get('total_return')}%, "
            f"Sharpe {m.get('sharpe_ratio')}, "
            f"max drawdown {m.get('max_drawdown')}%, {m.get('trades')} trades; trades {trades_offset}..{end} "
            f"of {len(trades)} shown; {len(out.warnings)} warning(s)."
        )
        return answer(summary, out)

    @mcp.tool(annotations=read_only)
    async def get_code(execution_id: ExecutionId, ctx: Ctx) -> Annotated[CallToolResult, CodePublic]:
        """The VectorBT code a run executed (GET /executions/{id}/code): generated from the spec, or the
        edited code it was given. Runs anywhere with vectorbt installed (load_data uses yfinance outside)."""
        async with caller.call(ctx) as call:
            out = await executions.get_code(call.session, call.user, execution_id)
        edited = " (the user's edit)" if out.submitted_code is not None else ""
        lines = len(out.code.splitlines())
        return answer(f"Code of {execution_id}{edited} ({lines} lines of Python):", out, text=out.code)

    @mcp.tool(annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=False, openWorldHint=False))
    async def get_report_link(execution_id: ExecutionId, ctx: Ctx) -> Annotated[CallToolResult, ReportLink]:
        """A signed URL of a completed run's HTML report that opens in any browser without signing in, until
        `expires_at` (POST /executions/{id}/report-link): give it to the person you work for. The report
        itself is also the resource stratcrew://executions/{id}/report."""
        request = ctx.request_context.request
        base_url = str(getattr(request, "base_url", ""))
        async with caller.call(ctx) as call:
            link = await report_links.link(
                call.session, call.user, execution_id, call.backend.settings, base_url
            )
        return answer(
            f"Report of {execution_id}: {link.url} (valid until {link.expires_at:%Y-%m-%d %H:%M} UTC)", link
        )

    @mcp.tool(annotations=read_only)
    async def compare_runs(
        execution_ids: Annotated[list[str], Field(description="Completed executions to line up (1 to 10).")],
        ctx: Ctx,
    ) -> Annotated[CallToolResult, CompareOut]:
        """Several completed runs' metrics side by side (GET /executions/compare), with the best run per
        metric where "best" means something, and each run's warnings."""
        async with caller.call(ctx) as call:
            runs = await executions.get_many(call.session, call.user, execution_ids)
        table = result_views.compare(execution_ids, runs)
        out = CompareOut(
            ids=table["ids"], metrics=table["metrics"], rows=table["rows"], warnings=table["warnings"]
        )
        best = [
            f"{row['metric']}: {', '.join(row['best'])}"
            for row in table["rows"]
            if row["best"] and row["metric"] in ("total_return", "sharpe_ratio", "max_drawdown", "cagr")
        ]
        return answer(f"Compared {len(execution_ids)} runs. Best " + "; ".join(best or ["(no ranking)"]), out)


def _points(points: Sequence[Sequence[Any]]) -> list[SeriesPoint]:
    return [(str(stamp), None if value is None else float(value)) for stamp, value in points]
