"""Column types shared by the models: JSON that is JSONB on PostgreSQL, and UTC timestamps."""

from datetime import UTC, datetime
from typing import Any, overload

import sqlalchemy as sa
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
