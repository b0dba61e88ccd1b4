from typing import Any

from fastapi import APIRouter, Query, status
from fastapi.responses import HTMLResponse, PlainTextResponse

from app.api.deps import CurrentUser, EventBusDep, QueueDep, SessionDep
from app.models.backtest import BacktestRunPublic
from app.models.execution import CodePublic, ExecuteRequest, ExecutionPublic, StrategyExecution
from app.services import executions, result_views

router = APIRouter(prefix="/executions", tags=["executions"])


def _public(row: StrategyExecution) -> ExecutionPublic:
    return ExecutionPublic.model_validate(row, from_attributes=True)


@router.post(
    "/strategies/{strategy_id}/execute", status_code=status.HTTP_201_CREATED, response_model=ExecutionPublic
)
async def execute(
    strategy_id: str, request: ExecuteRequest, user: CurrentUser, session: SessionDep, queue: QueueDep
) -> ExecutionPublic:
    """Creates a `queued` execution (committed first), then enqueues it for the agents."""
    return _public(await executions.submit(session, user, strategy_id, request, queue))


@router.get("/strategies/{strategy_id}/executions", response_model=list[ExecutionPublic])
async def list_for_strategy(
    strategy_id: str, user: CurrentUser, session: SessionDep
) -> list[ExecutionPublic]:
    return [_public(row) for row in await executions.list_for_strategy(session, user, strategy_id)]


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
    return _public(await executions.get_owned(session, user, execution_id))


@router.get("/{execution_id}/code", response_model=CodePublic)
async def code(execution_id: str, user: CurrentUser, session: SessionDep) -> CodePublic:
    return CodePublic(execution_id=execution_id, code=await executions.get_code(session, user, execution_id))


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
    execution = await executions.get_owned(session, user, execution_id)
    run = await executions.get_results(session, user, execution_id)
    return HTMLResponse(await result_views.report_html(execution, run))


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
    return _public(await executions.cancel(session, user, execution_id, bus, queue))


def _csv(text: str, filename: str) -> PlainTextResponse:
    return PlainTextResponse(
        text, media_type="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
