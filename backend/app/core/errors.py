"""Domain errors: each carries its HTTP status and the fields that name the problem.

Services and agents raise these; the API maps them to responses in one place
(`app.api.errors.add_exception_handlers`), so no service imports FastAPI.

>>> err = NotFound("strategy strat_x not found", resource="strategy")
>>> err.body()
{'error': 'NotFound', 'detail': 'strategy strat_x not found', 'resource': 'strategy'}
"""

from __future__ import annotations

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
