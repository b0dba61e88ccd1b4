"""Waiting on an execution inside a tool call: progress notifications as it goes, the client's cancellation
passed on to the run, a bounded wait, and the tool error of a run that ended failed or cancelled. Shared by
run_backtest and run_sweep (one execution lifecycle, two kinds)."""

from __future__ import annotations

import contextlib
from typing import Any

import anyio
from mcp.server.fastmcp import Context

from app.core.errors import DomainError
from app.mcp.answers import ToolFailed
from app.mcp.backend import Backend, Caller
from app.models.execution import ExecutionStatus, StrategyExecution
from app.models.user import User
from app.services import executions
from app.services.watch import follow

Ctx = Context[Any, Any, Any]
PROGRESS_STEP = (
    0.02  # within a stage, a notification when the run moved on this much (a sweep's combinations)
)


async def wait_for_end(caller: Caller, user: User, execution_id: str, ctx: Ctx) -> StrategyExecution:
    """Follows the execution until it ends or `MCP_RUN_WAIT_S` passes, then answers its row as it is then.

    A call the client cancels cancels the run, like `POST /executions/{id}/cancel`; a call cancelled because
    the server shuts down does not (the run finishes, or the next process re-runs it)."""
    backend = caller.get_backend()
    try:
        with anyio.move_on_after(backend.settings.mcp.run_wait_s):
            await report_progress(backend, execution_id, ctx)
    except anyio.get_cancelled_exc_class():
        if not caller.stopping:
            with anyio.CancelScope(shield=True):
                await _cancel(backend, user, execution_id)
        raise
    async with backend.session_factory() as session:
        return await executions.get_owned(session, user, execution_id)


async def report_progress(backend: Backend, execution_id: str, ctx: Ctx) -> None:
    """A progress notification (0 to 1, with the stage and the run's log line) each time the run enters a
    stage or moves on by `PROGRESS_STEP` within one, in order, until its final status."""
    stage, sent = "", -1.0
    async for event in follow(backend.session_factory, backend.bus, execution_id):
        if event.status == stage and event.progress < sent + PROGRESS_STEP:
            continue
        stage = event.status
        sent = max(event.progress, sent + 1e-6)  # progress must increase, even if a re-run restarts stages
        await ctx.report_progress(sent, 1.0, f"{event.status}: {event.message}")


def raise_if_failed(execution: StrategyExecution) -> None:
    """A run that ended failed or cancelled is a tool error: the stored error body (naming the node, rule,
    line or limit), with the execution id and status."""
    status = ExecutionStatus(execution.status)
    where = {"execution_id": execution.id, "execution_status": status.value}
    if status == ExecutionStatus.failed:
        body = dict(execution.agent_insights.get("error") or {"error": "ExecutionFailed"})
        body.setdefault("detail", execution.error_message)
        raise ToolFailed({**body, **where})
    if status == ExecutionStatus.cancelled:
        raise ToolFailed(
            {"error": "ExecutionCancelled", "detail": execution.error_message or "cancelled", **where}
        )


async def _cancel(backend: Backend, user: User, execution_id: str) -> None:
    async with backend.session_factory() as session:
        with contextlib.suppress(DomainError):  # it ended meanwhile: nothing to stop
            await executions.cancel(session, user, execution_id, backend.bus, backend.queue)
