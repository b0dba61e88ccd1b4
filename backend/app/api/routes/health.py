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
    return {
        "status": "ok",
        "database": "ok",
        "sandbox": getattr(pool, "status", "absent") if pool is not None else "absent",
        "pipeline": getattr(state, "pipeline_status", "absent"),
    }
