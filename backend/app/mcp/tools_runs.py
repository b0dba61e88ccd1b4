"""Tools that start and steer runs: run_backtest (with progress and cancellation), get_execution,
cancel_execution. Executions are created and cancelled by the services REST's routes call
(`executions.submit`, `executions.cancel`), so the same ownership, params validation, code policy and
sandbox apply to a run started here."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.fastmcp import Context, FastMCP
from mcp.types import CallToolResult, ResourceLink, ToolAnnotations
from pydantic import AnyUrl, BaseModel, Field

from app.mcp.answers import answer
from app.mcp.backend import Caller
from app.mcp.waiting import raise_if_failed, wait_for_end
from app.models.code import CodeCheck, CodeCheckResult
from app.models.execution import (
    ExecuteRequest,
    ExecutionKind,
    ExecutionPublic,
    ExecutionStatus,
    StrategyExecution,
)
from app.models.params import ExecutionParams
from app.models.run_list import MAX_RUN_PAGE, RunPage
from app.services import code_check, executions, run_history

Ctx = Context[Any, Any, Any]
ExecutionId = Annotated[str, Field(description="An execution id (exec_...), from run_backtest.")]
Code = Annotated[str | None, ExecuteRequest.model_fields["code"]]

HEADLINE = (
    "total_return", "benchmark_return", "vs_benchmark", "cagr", "sharpe_ratio", "sortino_ratio",
    "max_drawdown", "win_rate", "trades", "profit_factor", "exposure", "start", "end",
)  # fmt: skip


class BacktestOut(BaseModel):
    execution_id: str
    strategy_id: str
    status: ExecutionStatus
    backtest_run_id: str | None = None
    metrics: dict[str, Any] = Field(description="Headline metrics; percents as numbers (25.5 = 25.5 %).")
    warnings: list[str] = Field(description="What makes the numbers less trustworthy (read them).")
    indicators_used: list[str] = []
    explanation: str | None = Field(
        default=None, description="The agents' summary, when an LLM is configured."
    )
    duration_s: float | None = None
    report_uri: str = Field(description="MCP resource: the run's HTML report.")
    bundle_uri: str = Field(description="MCP resource: what it takes to reproduce the run.")


def register(mcp: FastMCP, caller: Caller) -> None:
    @mcp.tool(annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=False, openWorldHint=False))
    async def run_backtest(
        strategy_id: Annotated[str, Field(description="The strategy to run (strat_...).")],
        ctx: Ctx,
        params: Annotated[
            ExecutionParams | None,
            Field(description="Symbols, dates, capital, costs, sizing; omitted: defaults."),
        ] = None,
        code: Code = None,
        wait: Annotated[
            bool,
            Field(
                description="true: answer when the run ends, with progress on the way; false: answer at once "
                "with the execution id (then get_execution / get_results)."
            ),
        ] = True,
    ) -> Annotated[CallToolResult, BacktestOut]:
        """Backtests a saved strategy (POST /executions/strategies/{id}/execute): its rules become a typed
        spec, then readable VectorBT code, run in a sandbox on the chosen symbols and dates. Reports
        progress as the stages pass (analyzing, generating_code, executing) and answers the headline
        metrics, warnings and the execution id. Cancelling this call cancels the run. A run that fails
        answers an error naming the node, rule or line at fault."""
        request = ExecuteRequest(code=code) if params is None else ExecuteRequest(params=params, code=code)
        async with caller.call(ctx) as call:
            execution = await executions.submit(
                call.session,
                call.user,
                strategy_id,
                request,
                call.backend.queue,
                daily_limit=call.backend.settings.max_executions_per_day,
            )
            user = call.user
        if not wait:
            return answer(
                f"Queued {execution.id}; poll get_execution or get_results.", _outcome(execution, None)
            )
        final = await wait_for_end(caller, user, execution.id, ctx)
        raise_if_failed(final)
        run = None
        if final.status == ExecutionStatus.completed:
            async with caller.get_backend().session_factory() as session:
                run = await executions.get_results(session, user, execution.id)
        return _final_answer(final, run)

    @mcp.tool(annotations=ToolAnnotations(readOnlyHint=True, openWorldHint=False))
    async def get_execution(
        execution_id: ExecutionId, ctx: Ctx
    ) -> Annotated[CallToolResult, ExecutionPublic]:
        """An execution's status, log lines, error (naming the node, rule or line at fault) and insights
        (GET /executions/{id})."""
        async with caller.call(ctx) as call:
            row = await executions.get_owned(call.session, call.user, execution_id)
            public = await executions.view(call.session, row)
        detail = f": {row.error_message}" if row.error_message else ""
        return answer(f"Execution {row.id} is {row.status}{detail}", public)

    @mcp.tool(annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=True, openWorldHint=False))
    async def cancel_execution(
        execution_id: ExecutionId, ctx: Ctx
    ) -> Annotated[CallToolResult, ExecutionPublic]:
        """Stops a queued or running execution (POST /executions/{id}/cancel); it ends `cancelled` within
        about a second. One that already ended answers a Conflict error."""
        async with caller.call(ctx) as call:
            row = await executions.cancel(
                call.session, call.user, execution_id, call.backend.bus, call.backend.queue
            )
            public = await executions.view(call.session, row)
        return answer(f"Cancelling {row.id} (was {row.status}).", public)


def register_history(mcp: FastMCP, caller: Caller) -> None:
    read_only = ToolAnnotations(readOnlyHint=True, idempotentHint=True, openWorldHint=False)

    @mcp.tool(annotations=read_only)
    async def list_runs(
        ctx: Ctx,
        strategy_id: Annotated[str | None, Field(description="Only this strategy's runs.")] = None,
        status: Annotated[
            list[ExecutionStatus] | None, Field(description="Only runs in these statuses.")
        ] = None,
        kind: Annotated[ExecutionKind | None, Field(description="backtest or sweep.")] = None,
        limit: Annotated[int, Field(ge=1, le=MAX_RUN_PAGE, description="Runs per page.")] = 20,
        offset: Annotated[int, Field(ge=0, description="First run of the page.")] = 0,
    ) -> Annotated[CallToolResult, RunPage]:
        """Your runs across strategies, newest first (GET /executions): strategy name, symbols and dates,
        status, an edited-code mark and the headline metrics of completed runs."""
        query = run_history.RunQuery(
            strategy_id=strategy_id, statuses=tuple(status or ()), kind=kind, limit=limit, offset=offset
        )
        async with caller.call(ctx) as call:
            page = await run_history.list_runs(call.session, call.user, query)
        lines = [
            f"{r.id} {r.strategy_name!r} {r.status}"
            + (f" total return {r.metrics.total_return}%" if r.metrics is not None else "")
            for r in page.items
        ]
        shown = (
            f"{offset + 1}..{offset + len(page.items)} of {page.total}"
            if page.items
            else f"0 of {page.total}"
        )
        return answer(f"Runs {shown}: " + "; ".join(lines), page)

    @mcp.tool(annotations=read_only)
    async def validate_code(
        code: Annotated[str, CodeCheck.model_fields["code"]], ctx: Ctx
    ) -> Annotated[CallToolResult, CodeCheckResult]:
        """Checks Python code against the policy every run goes through (POST /code/validate) before
        run_backtest's `code`: allowed imports (vectorbt, pandas, numpy, math, datetime, json), no file,
        network or interpreter internals; answers each violation with its line and column. Code that passes
        still runs in the OS sandbox with its limits."""
        async with caller.call(ctx):
            result = code_check.check(code)
        found = "; ".join(f"line {v.line}: {v.message}" for v in result.violations)
        return answer("The code passes the policy." if result.ok else f"Refused: {found}", result)


def _outcome(execution: StrategyExecution, metrics: dict[str, Any] | None) -> BacktestOut:
    insights = execution.agent_insights or {}
    metrics = metrics or {}
    return BacktestOut(
        execution_id=execution.id,
        strategy_id=execution.strategy_id,
        status=ExecutionStatus(execution.status),
        backtest_run_id=execution.backtest_run_id,
        metrics={key: metrics[key] for key in HEADLINE if key in metrics},
        warnings=list(metrics.get("warnings") or []),
        indicators_used=list(insights.get("indicators_used") or []),
        explanation=insights.get("summary"),
        duration_s=insights.get("execution_time"),
        report_uri=report_uri(execution.id),
        bundle_uri=bundle_uri(execution.id),
    )


def _final_answer(execution: StrategyExecution, run: Any) -> CallToolResult:
    status = ExecutionStatus(execution.status)
    out = _outcome(execution, run.metrics if run is not None else None)
    if not status.is_final:
        return answer(f"{execution.id} is still {status.value}; poll get_execution or get_results.", out)
    links = [
        ResourceLink(type="resource_link", uri=AnyUrl(out.report_uri), name="report", mimeType="text/html"),
        ResourceLink(
            type="resource_link", uri=AnyUrl(out.bundle_uri), name="bundle", mimeType="application/json"
        ),
    ]
    return answer(_completed_summary(out), out, extra=links)


def _completed_summary(out: BacktestOut) -> str:
    m = out.metrics
    parts = [
        f"Backtest {out.execution_id} completed ({m.get('start')}..{m.get('end')}):",
        f"total return {m.get('total_return')}% vs benchmark {m.get('benchmark_return')}% "
        f"({m.get('vs_benchmark')} pp), CAGR {m.get('cagr')}%, Sharpe {m.get('sharpe_ratio')}, "
        f"max drawdown {m.get('max_drawdown')}%, win rate {m.get('win_rate')}%, {m.get('trades')} trades.",
    ]
    parts.append("Warnings: " + " | ".join(out.warnings) if out.warnings else "No warnings.")
    parts.append(f"More: get_results {out.execution_id}; report {out.report_uri}.")
    return " ".join(parts)


def report_uri(execution_id: str) -> str:
    return f"stratcrew://executions/{execution_id}/report"


def bundle_uri(execution_id: str) -> str:
    return f"stratcrew://executions/{execution_id}/bundle"
