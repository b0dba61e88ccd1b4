from fastapi import APIRouter

from app.api.routes import (
    auth,
    code,
    data,
    executions,
    health,
    indicators,
    live,
    memory,
    reports,
    strategies,
)

api_router = APIRouter()
for module in (health, auth, strategies, indicators, executions, live, code, data, memory, reports):
    api_router.include_router(module.router)
