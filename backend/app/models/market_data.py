"""Market data tables: the index of cached Parquet segments and users' uploads, plus their API shapes.

Paths are stored relative to the data directory, so a data directory can be moved as a whole.
"""

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, field_serializer
from pydantic import Field as PField
from sqlmodel import Field, SQLModel

from app.models._types import as_utc, tz_datetime, utcnow


class MarketDataSegment(SQLModel, table=True):
    """One fetched piece of a provider's series: bars of [range_start, range_end] (dates, inclusive).

    `rows` may be 0 (the provider had no bars there, e.g. a holiday week): the range is still covered, so
    it is not asked for again. `provider_version` changes when a bundled file changes, which retires its
    old segments.
    """

    __tablename__ = "market_data_segments"
    __table_args__ = (sa.Index("ix_market_data_segments_key", "provider", "symbol", "interval"),)

    id: str = Field(primary_key=True, max_length=40)
    provider: str = Field(max_length=32)
    provider_version: str = Field(default="", max_length=64)
    symbol: str = Field(max_length=40)
    interval: str = Field(max_length=8)
    range_start: date
    range_end: date
    parquet_path: str | None = Field(default=None, max_length=400)
    content_hash: str = Field(max_length=64)
    rows: int
    fetched_at: datetime = Field(default_factory=utcnow, sa_column=tz_datetime(nullable=False))


class MarketDataUpload(SQLModel, table=True):
    __tablename__ = "market_data_uploads"

    id: str = Field(primary_key=True, max_length=40)
    user_id: str = Field(foreign_key="users.id", index=True, max_length=40)
    symbol: str = Field(max_length=40)
    filename: str = Field(max_length=200)
    interval: str = Field(max_length=8)
    rows: int
    first_bar: datetime = Field(sa_column=tz_datetime(nullable=False))
    last_bar: datetime = Field(sa_column=tz_datetime(nullable=False))
    parquet_path: str = Field(max_length=400)
    content_hash: str = Field(max_length=64)
    size_bytes: int
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_datetime(nullable=False))


class UploadPublic(BaseModel):
    id: str
    symbol: str
    filename: str
    interval: str
    rows: int
    first_bar: datetime
    last_bar: datetime
    content_hash: str
    size_bytes: int
    created_at: datetime
    notes: list[str] = []

    @field_serializer("first_bar", "last_bar", "created_at")
    def _utc(self, value: datetime) -> datetime:
        return as_utc(value)

    @classmethod
    def of(cls, row: MarketDataUpload, notes: list[str] | None = None) -> "UploadPublic":
        return cls.model_validate({**row.model_dump(), "notes": notes or []})


class SymbolInfo(BaseModel):
    """One row of `GET /data/symbols` (contract): where a symbol's bars come from and what they span."""

    symbol: str
    provider: str
    interval: str
    start: date | None
    end: date | None
    bars: int
    name: str | None = None
    aliases: list[str] = []
    upload_id: str | None = None
    timeframes: list[str] = PField(
        default=[], description="Bar intervals a run can ask for: the native one and those it resamples to."
    )


class UploadPreview(BaseModel):
    """What an upload would become, without keeping it: the columns found, the first bars, the report."""

    symbol: str
    filename: str
    source_columns: list[str] = PField(description="Every column of the file, in order.")
    columns: dict[str, str] = PField(description="timestamp/open/high/low/close/volume -> the file's column.")
    interval: str
    rows: int
    first_bar: datetime
    last_bar: datetime
    head: list[dict[str, Any]] = PField(description="The first bars as they would be stored.")
    notes: list[str] = PField(description="Repairs and observations (the validation report).")
