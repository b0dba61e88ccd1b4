"""Parameter sweeps: run_sweep and get_sweep (REST's `POST /executions/strategies/{id}/sweep` and
`GET /executions/{id}/sweep`, through `research.sweeps`), and the full table as a resource."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.fastmcp import Context, FastMCP
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import BaseModel, Field

from app.mcp.answers import answer
from app.mcp.backend import Caller
from app.mcp.waiting import raise_if_failed, wait_for_end
from app.models.execution import ExecutionStatus, StrategyExecution
from app.models.params import ExecutionParams
from app.models.sweep import GridRange, SweepPublic, SweepRequest, WalkForwardValidation
from app.services.research import sweeps
from app.services.research.kernel.engine import OBJECTIVES

Ctx = Context[Any, Any, Any]
_FIELDS = SweepRequest.model_fields  # the REST request's own fields: the same limits, the same messages


class SweepOut(BaseModel):
    execution_id: str
    strategy_id: str
    status: ExecutionStatus
    result: SweepPublic | None = Field(
        description="Once completed: top rows, best, heatmap, walk-forward, overfitting (PBO, DSR), cost "
        "break-even and the optimization agent's robust pick (docs/research.md)."
    )
    table_uri: str = Field(description="MCP resource: every combination that ran, as CSV.")


def register(mcp: FastMCP, caller: Caller) -> None:
    @mcp.tool(annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=False, openWorldHint=False))
    async def run_sweep(
        strategy_id: Annotated[str, Field(description="The strategy to sweep (strat_...).")],
        grid: Annotated[dict[str, list[float] | GridRange], _FIELDS["grid"]],
        ctx: Ctx,
        params: Annotated[
            ExecutionParams | None, Field(description="Symbols, dates, capital, costs; omitted: defaults.")
        ] = None,
        objective: Annotated[
            str, Field(description=f"What 'best' means: one of {', '.join(OBJECTIVES)}.")
        ] = "sharpe_ratio",
        validation: Annotated[
            WalkForwardValidation | None,
            Field(description="Omitted: a walk-forward of 5 folds, 70 % in sample."),
        ] = None,
        heatmap: Annotated[list[str] | None, _FIELDS["heatmap"]] = None,
        wait: Annotated[
            bool, Field(description="true: answer when it ends, with progress; false: answer at once.")
        ] = True,
    ) -> Annotated[CallToolResult, SweepOut]:
        """Backtests every combination of `grid` in the sandbox and judges the best honestly: top rows, a
        heatmap, a walk-forward, the probability of backtest overfitting (PBO), the deflated Sharpe ratio and
        a robust pick. `grid` names what to vary: a rule's {name=default} (`fast`), a node's field
        (`sl.stop_pct`) or an execution parameter (`params.fees`), each with a list of values or
        {"start", "stop", "step"}; e.g. {"fast": [5, 10, 20], "sl.stop_pct": {"start": 2, "stop": 8,
        "step": 2}}. Progress follows the combinations done; cancelling this call cancels the sweep. An
        unknown name, a refused value or a grid too large answers an error naming it."""
        raw: dict[str, Any] = {"grid": grid, "objective": objective, "heatmap": heatmap}
        if params is not None:
            raw["params"] = params
        if validation is not None:
            raw["validation"] = validation
        request = SweepRequest.model_validate(raw)
        async with caller.call(ctx) as call:
            backend = call.backend
            execution = await sweeps.submit(
                call.session, call.user, strategy_id, request, backend.settings, backend.queue
            )
            user = call.user
        if wait:
            execution = await wait_for_end(caller, user, execution.id, ctx)
            raise_if_failed(execution)
        if execution.status != ExecutionStatus.completed:
            out = _out(execution, None)
            return answer(f"Sweep {execution.id} is {execution.status}; poll get_sweep.", out)
        async with caller.get_backend().session_factory() as session:
            done, row = await sweeps.get_sweep(session, user, execution.id)
        return _sweep_answer(_out(done, sweeps.public(done, row)))

    @mcp.tool(annotations=ToolAnnotations(readOnlyHint=True, idempotentHint=True, openWorldHint=False))
    async def get_sweep(
        execution_id: Annotated[str, Field(description="A sweep's execution id (exec_...).")], ctx: Ctx
    ) -> Annotated[CallToolResult, SweepOut]:
        """A completed sweep's result (GET /executions/{id}/sweep); a sweep still running answers a
        SweepNotReady error with its status."""
        async with caller.call(ctx) as call:
            execution, row = await sweeps.get_sweep(call.session, call.user, execution_id)
        return _sweep_answer(_out(execution, sweeps.public(execution, row)))

    @mcp.resource(
        "stratcrew://executions/{execution_id}/sweep.csv",
        name="sweep_table",
        title="Sweep table",
        mime_type="text/csv",
    )
    async def sweep_table(execution_id: str, ctx: Context) -> str:  # type: ignore[type-arg]  # see resources.py
        """Every combination a completed sweep ran (grid order): its values, then its metrics."""
        async with caller.call(ctx) as call:
            _execution, row = await sweeps.get_sweep(call.session, call.user, execution_id)
        return "".join(sweeps.csv_lines(row))


def table_uri(execution_id: str) -> str:
    return f"stratcrew://executions/{execution_id}/sweep.csv"


def _out(execution: StrategyExecution, result: SweepPublic | None) -> SweepOut:
    return SweepOut(
        execution_id=execution.id,
        strategy_id=execution.strategy_id,
        status=ExecutionStatus(execution.status),
        result=result,
        table_uri=table_uri(execution.id),
    )


def _sweep_answer(out: SweepOut) -> CallToolResult:
    result = out.result
    assert result is not None
    parts = [
        f"Sweep {out.execution_id} completed: {result.evaluated} of {result.combinations} combinations "
        f"evaluated ({result.skipped} skipped, {result.failed} failed) in {result.elapsed_s:.1f} s."
    ]
    if result.best:
        best = result.best
        value = best.get("metrics", {}).get(result.objective)
        parts.append(f"Best {result.objective}: {value} at {best.get('values')}.")
    pick = result.optimization or {}
    if pick.get("values"):
        reasons = " ".join(pick.get("reasons") or [])
        parts.append(f"Robust pick (the centre of the largest near-best region): {pick['values']}. {reasons}")
    if result.overfitting:
        overfit = result.overfitting
        pbo = (overfit.get("pbo") or {}).get("pbo")
        parts.append(f"Deflated Sharpe ratio {overfit.get('deflated_sharpe_ratio')}; PBO {pbo}.")
    if result.walk_forward:
        parts.append(f"Walk-forward efficiency {result.walk_forward.get('efficiency')}.")
    parts.append(f"Full table: {out.table_uri}.")
    return answer(" ".join(parts), out)
