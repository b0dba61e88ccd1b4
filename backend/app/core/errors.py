"""Domain errors: each carries its HTTP status and the fields that name the problem.

Services and agents raise these; the API maps them to responses in one place
(`app.api.errors.add_exception_handlers`), so no service imports FastAPI.

>>> err = NotFound("strategy strat_x not found", resource="strategy")
>>> err.body()
{'error': 'NotFound', 'detail': 'strategy strat_x not found', 'resource': 'strategy'}
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar


class DomainError(Exception):
    status_code: ClassVar[int] = 400

    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields

    @property
    def error(self) -> str:
        return type(self).__name__

    def body(self) -> dict[str, Any]:
        return {"error": self.error, "detail": self.message, **self.fields}


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class Unauthorized(DomainError):
    status_code = 401


class InvalidInput(DomainError):
    status_code = 422


class ServiceUnavailable(DomainError):
    status_code = 503


class TooManyRequests(DomainError):
    """A limit per user, username or client address was reached; the answer carries `Retry-After`."""

    status_code = 429

    def __init__(self, message: str, retry_after_s: float, **fields: Any) -> None:
        super().__init__(message, retry_after_s=max(1, math.ceil(retry_after_s)), **fields)

    @property
    def retry_after_s(self) -> int:
        return int(self.fields["retry_after_s"])


def validation_error_body(errors: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The body of a refused input (REST's 422, an MCP tool error): each problem with its field path.

    >>> body = validation_error_body([{"loc": ("body", "params", "fees"), "msg": "Input should be <= 0.1"}])
    >>> body["detail"]
    'params.fees: Input should be <= 0.1'
    """
    listed = [
        {"loc": list(err.get("loc", ())), "field": _field_path(err.get("loc", ())), "msg": err.get("msg")}
        for err in errors
    ]
    detail = "; ".join(f"{e['field'] or 'body'}: {e['msg']}" for e in listed)
    return {"error": "ValidationError", "detail": detail, "errors": listed}


def _field_path(loc: Iterable[object]) -> str:
    return ".".join(str(part) for part in loc if part != "body")
