"""Maps domain errors and validation errors to JSON bodies that name the problem, once for the whole app."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.errors import DomainError, TooManyRequests, validation_error_body

log = logging.getLogger(__name__)


class ErrorResponse(JSONResponse):
    """An error body that always renders: a message may quote the request's text, and a lone surrogate in
    it cannot be encoded as UTF-8, so such a body is written with ASCII escapes instead of failing (500)."""

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except UnicodeEncodeError:
            return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def add_exception_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(_request: Request, exc: DomainError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        if isinstance(exc, TooManyRequests):
            headers = {"Retry-After": str(exc.retry_after_s)}
        return ErrorResponse(exc.body(), status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return ErrorResponse(validation_error_body(exc.errors()), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return ErrorResponse(
            {"error": "HTTPError", "detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    @app.exception_handler(ConnectionRefusedError)
    async def database_unavailable(_request: Request, exc: Exception) -> JSONResponse:
        log.warning("database error: %s", exc)
        return ErrorResponse(
            {"error": "DatabaseUnavailable", "detail": "The database is unavailable; retry shortly."},
            status_code=503,
            headers={"Retry-After": "2"},
        )
