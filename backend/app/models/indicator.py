"""A user's library of custom indicators: named formulas usable by name in every strategy of that user."""

from datetime import datetime

import sqlalchemy as sa
from pydantic import BaseModel, Field, field_serializer
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel

from app.models._types import Published, as_utc, tz_datetime, utcnow
from app.models.params import Timeframe
from app.models.rules import CustomIndicatorIn


class SavedIndicatorRow(SQLModel, table=True):
    __tablename__ = "custom_indicators"
    # Names are case-insensitive in rules ("Spread" and "spread" are one word), so uniqueness is on the
    # lower-cased name.
    __table_args__ = (sa.UniqueConstraint("user_id", "name_key", name="uq_custom_indicators_user_name"),)

    id: str = SQLField(primary_key=True, max_length=40)
    user_id: str = SQLField(foreign_key="users.id", index=True, max_length=40)
    name: str = SQLField(max_length=40)
    name_key: str = SQLField(max_length=40)
    formula: str = SQLField(max_length=500)
    created_at: datetime = SQLField(default_factory=utcnow, sa_column=tz_datetime(nullable=False))
    updated_at: datetime = SQLField(default_factory=utcnow, sa_column=tz_datetime(nullable=False))


class IndicatorCreate(BaseModel):
    name: str = Field(
        min_length=1,
        max_length=40,
        description="A letter then letters, digits or '_'; rules name it in any case.",
    )
    formula: str = Field(
        min_length=1,
        max_length=500,
        description="Arithmetic in the rule language over prices, volume, indicators, lags and other "
        "custom indicators, e.g. 'close - SMA(50)'.",
    )


class IndicatorPublic(Published):
    id: str
    name: str
    formula: str
    understood: str = Field(description="The formula as the language reads it, e.g. 'close - SMA(50)'.")
    created_at: datetime
    updated_at: datetime

    @field_serializer("created_at", "updated_at")
    def _utc(self, value: datetime) -> datetime:
        return as_utc(value)


class IndicatorCheck(IndicatorCreate):
    """One custom indicator checked as it is typed (a builder node), without saving it."""

    node_id: str = Field(default="", max_length=100, description="The node that draws it, named in errors.")
    custom_indicators: list[CustomIndicatorIn] = Field(
        default=[], max_length=50, description="The strategy's other custom indicator nodes it may use."
    )
    timeframe: Timeframe = "1d"


class IndicatorCheckResult(BaseModel):
    name: str
    understood: str = Field(description="The formula as the language reads it, e.g. 'close - SMA(50)'.")
