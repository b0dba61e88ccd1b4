"""Serves the built React app (frontend/dist) at `/`, with the SPA fallback to index.html."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

API_PREFIXES = (
    "auth",
    "strategies",
    "executions",
    "data",
    "code",
    "memory",
    "reports",
    "health",
    "mcp",
    "docs",
    "docs-assets",
    "redoc",
    "openapi.json",
)


def mount_frontend(app: FastAPI, dist: Path) -> None:
    index = dist / "index.html"
    if not index.is_file():
        return
    if (dist / "assets").is_dir():
        app.mount("/assets", StaticFiles(directory=dist / "assets"), name="assets")

    @app.get("/{path:path}", include_in_schema=False)
    def spa(path: str) -> FileResponse:  # sync: it stats files, so it runs in the thread pool
        if path.split("/", 1)[0] in API_PREFIXES:
            raise HTTPException(status_code=404, detail=f"Not found: /{path}")
        candidate = (dist / path).resolve()
        if path and candidate.is_file() and candidate.is_relative_to(dist.resolve()):
            return FileResponse(candidate)
        return FileResponse(index)
