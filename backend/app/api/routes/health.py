from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import text

router = APIRouter(tags=["health"])


@router.get("/health")
async def health(request: Request) -> dict[str, Any]:
    """Liveness plus what is warm: database, sandbox pool, agent pipeline."""
    state = request.app.state
    async with state.engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
    pool = getattr(state, "sandbox_pool", None)
    runtime = getattr(state, "runtime", None)
    return {
        "status": "ok",
        "database": "ok",
        "sandbox": pool.status if pool is not None else "not in this process",
        "pipeline": runtime.pipeline_status if runtime is not None else "not in this process",
    }
