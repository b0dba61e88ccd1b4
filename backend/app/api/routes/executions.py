from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import HTMLResponse, PlainTextResponse, StreamingResponse

from app.api.deps import CurrentUser, EventBusDep, MemoryDep, QueueDep, SessionDep, SettingsDep
from app.models.backtest import BacktestRunPublic
from app.models.execution import (
    CodePublic,
    ExecuteRequest,
    ExecutionKind,
    ExecutionPublic,
    ExecutionStatus,
)
from app.models.run_list import MAX_RUN_PAGE, ReportLink, RunPage
from app.models.sweep import SweepPublic, SweepRequest
from app.services import executions, report_links, result_views, run_history
from app.services.research import sweeps

router = APIRouter(prefix="/executions", tags=["executions"])


@router.post(
    "/strategies/{strategy_id}/execute", status_code=status.HTTP_201_CREATED, response_model=ExecutionPublic
)
async def execute(
    strategy_id: str,
    request: ExecuteRequest,
    user: CurrentUser,
    session: SessionDep,
    queue: QueueDep,
    settings: SettingsDep,
) -> ExecutionPublic:
    """Creates a `queued` execution (committed first), then enqueues it for the agents. A user who
    started MAX_EXECUTIONS_PER_DAY executions in the last 24 hours is answered 429 (with Retry-After)."""
    execution = await executions.submit(
        session, user, strategy_id, request, queue, daily_limit=settings.max_executions_per_day
    )
    return await executions.view(session, execution)


@router.post(
    "/strategies/{strategy_id}/sweep", status_code=status.HTTP_201_CREATED, response_model=ExecutionPublic
)
async def sweep(
    strategy_id: str,
    request: SweepRequest,
    user: CurrentUser,
    session: SessionDep,
    queue: QueueDep,
    settings: SettingsDep,
) -> ExecutionPublic:
    """Creates a `queued` execution of kind `sweep`: every combination of `grid` backtested in the sandbox,
    reduced to the top rows, a heatmap, a walk-forward and overfitting statistics (GET .../sweep). An
    unknown parameter, a value the strategy refuses or a grid over MAX_SWEEP_COMBINATIONS answers 422."""
    execution = await sweeps.submit(session, user, strategy_id, request, settings, queue)
    return await executions.view(session, execution)


@router.get("/strategies/{strategy_id}/executions", response_model=list[ExecutionPublic])
async def list_for_strategy(
    strategy_id: str, user: CurrentUser, session: SessionDep
) -> list[ExecutionPublic]:
    return await executions.views(session, await executions.list_for_strategy(session, user, strategy_id))


@router.get("", response_model=RunPage)
async def list_runs(
    user: CurrentUser,
    session: SessionDep,
    strategy_id: str | None = None,
    status: Annotated[
        list[ExecutionStatus] | None, Query(description="Repeat for several: ?status=completed&status=failed")
    ] = None,
    kind: ExecutionKind | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_RUN_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> RunPage:
    """The user's runs across strategies, newest first, with the strategy's name, the symbols and dates,
    an `edited_code` mark and the headline metrics of completed runs."""
    query = run_history.RunQuery(
        strategy_id=strategy_id, statuses=tuple(status or ()), kind=kind, limit=limit, offset=offset
    )
    return await run_history.list_runs(session, user, query)


@router.get("/compare")
async def compare(
    user: CurrentUser, session: SessionDep, ids: str = Query(description="Comma-separated execution ids")
) -> dict[str, Any]:
    """Lines up several completed executions' metrics side by side."""
    wanted = [part.strip() for part in ids.split(",") if part.strip()]
    runs = await executions.get_many(session, user, wanted)
    return result_views.compare(wanted, runs)


@router.get("/{execution_id}", response_model=ExecutionPublic)
async def get(execution_id: str, user: CurrentUser, session: SessionDep) -> ExecutionPublic:
    return await executions.view(session, await executions.get_owned(session, user, execution_id))


@router.get("/{execution_id}/sweep", response_model=SweepPublic)
async def get_sweep(execution_id: str, user: CurrentUser, session: SessionDep) -> SweepPublic:
    """A completed sweep's result (409 while it runs; 404 for another user's or a backtest)."""
    execution, row = await sweeps.get_sweep(session, user, execution_id)
    return sweeps.public(execution, row)


@router.get("/{execution_id}/sweep.csv", response_class=StreamingResponse)
async def get_sweep_csv(execution_id: str, user: CurrentUser, session: SessionDep) -> StreamingResponse:
    """Every combination that ran: its values, then its metrics (percent convention as in the API)."""
    _execution, row = await sweeps.get_sweep(session, user, execution_id)
    return StreamingResponse(
        sweeps.csv_lines(row),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{execution_id}-sweep.csv"'},
    )


@router.delete("/{execution_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete(execution_id: str, user: CurrentUser, session: SessionDep, memory: MemoryDep) -> Response:
    """Deletes a finished run with its events, results and memories (409 while it is still going)."""
    await run_history.delete_run(session, user, execution_id, memory)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{execution_id}/code", response_model=CodePublic)
async def code(execution_id: str, user: CurrentUser, session: SessionDep) -> CodePublic:
    return await executions.get_code(session, user, execution_id)


@router.get("/{execution_id}/results", response_model=BacktestRunPublic)
async def results(execution_id: str, user: CurrentUser, session: SessionDep) -> BacktestRunPublic:
    run = await executions.get_results(session, user, execution_id)
    return BacktestRunPublic.model_validate(run, from_attributes=True)


@router.get("/{execution_id}/results/trades.csv", response_class=PlainTextResponse)
async def trades_csv(execution_id: str, user: CurrentUser, session: SessionDep) -> PlainTextResponse:
    run = await executions.get_results(session, user, execution_id)
    return _csv(result_views.trades_csv(run), f"{execution_id}-trades.csv")


@router.get("/{execution_id}/results/equity.csv", response_class=PlainTextResponse)
async def equity_csv(execution_id: str, user: CurrentUser, session: SessionDep) -> PlainTextResponse:
    run = await executions.get_results(session, user, execution_id)
    return _csv(result_views.equity_csv(run), f"{execution_id}-equity.csv")


@router.get("/{execution_id}/report", response_class=HTMLResponse)
async def report(execution_id: str, user: CurrentUser, session: SessionDep) -> HTMLResponse:
    """A self-contained HTML report with interactive charts; opens offline."""
    return HTMLResponse(await report_links.report_of(session, user, execution_id))


@router.post("/{execution_id}/report-link", response_model=ReportLink)
async def report_link(
    execution_id: str, user: CurrentUser, session: SessionDep, settings: SettingsDep, request: Request
) -> ReportLink:
    """A signed URL of the run's report that opens without signing in, until `expires_at`."""
    return await report_links.link(session, user, execution_id, settings, str(request.base_url))


@router.get("/{execution_id}/bundle")
async def bundle(execution_id: str, user: CurrentUser, session: SessionDep) -> dict[str, Any]:
    """What it takes to reproduce the run: hashes, data sources, library versions, code and params."""
    execution = await executions.get_owned(session, user, execution_id)
    run = await executions.get_results(session, user, execution_id)
    return result_views.bundle(execution, run)


@router.post("/{execution_id}/cancel", response_model=ExecutionPublic)
async def cancel(
    execution_id: str, user: CurrentUser, session: SessionDep, bus: EventBusDep, queue: QueueDep
) -> ExecutionPublic:
    """Stops a queued or running execution; it ends `cancelled` within about a second."""
    return await executions.view(session, await executions.cancel(session, user, execution_id, bus, queue))


def _csv(text: str, filename: str) -> PlainTextResponse:
    return PlainTextResponse(
        text, media_type="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
