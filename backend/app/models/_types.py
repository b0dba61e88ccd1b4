"""Shared by the models: JSON columns (JSONB on PostgreSQL), UTC timestamps, the base of published shapes."""

from datetime import UTC, datetime
from typing import Any, TypeVar, overload

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


_J = TypeVar("_J")


def storable_json(value: _J, path: str = "") -> _J:
    """Refuses text no database keeps the same: a lone UTF-16 surrogate (not Unicode; SQLite cannot encode
    it) or a NUL character (PostgreSQL refuses it in text and JSONB), naming where it is; returns `value`."""
    if isinstance(value, str):
        _check_text(value, path)
    elif isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            _check_text(str(key), where)
            storable_json(item, where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            storable_json(item, f"{path}[{index}]")
    return value


def _check_text(text: str, where: str) -> None:
    if "\x00" in text:
        raise ValueError(f"{_printable(where)}: text may not contain a NUL character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{_printable(where)}: text is not valid Unicode (a lone surrogate)") from None


def _printable(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")
