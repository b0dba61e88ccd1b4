"""Errors of a sweep request, each naming the parameter (and value) at fault."""

from __future__ import annotations

from typing import Any

from app.core.errors import DomainError


class InvalidSweep(DomainError):
    """A sweep that cannot run as asked: an unknown parameter, a bad value, a grid too large, a strategy
    feature a sweep cannot vary."""

    status_code = 422

    def __init__(self, message: str, *, param: str | None = None, **fields: Any) -> None:
        super().__init__(message, param=param, **fields)
