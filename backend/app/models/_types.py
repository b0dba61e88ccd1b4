"""Shared by the models: JSON columns (JSONB on PostgreSQL), UTC timestamps, the base of published shapes."""

from datetime import UTC, datetime
from typing import Any, overload

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from sqlalchemy.dialects.postgresql import JSONB

JSONType: Any = sa.JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


@overload
def as_utc(value: datetime) -> datetime: ...
@overload
def as_utc(value: None) -> None: ...


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; every stored timestamp is UTC, so label it."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def tz_datetime(**kwargs: Any) -> Any:
    return sa.Column(sa.DateTime(timezone=True), **kwargs)


class Published(BaseModel):
    """A shape the API answers with: in the OpenAPI document, a field with a default is still always sent
    (required in the response schema), so generated client types need no `?` where a value is always there.
    """

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)
