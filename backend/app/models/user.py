import re
from datetime import datetime

from pydantic import BaseModel, field_validator
from pydantic import Field as PField
from pydantic_core import PydanticCustomError
from sqlmodel import Field, SQLModel

from app.models._types import tz_datetime, utcnow


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: str = Field(primary_key=True, max_length=40)
    username: str = Field(index=True, unique=True, max_length=64)
    hashed_password: str
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_datetime(nullable=False))


MIN_PASSWORD = 8


class UserCreate(BaseModel):
    username: str = PField(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = PField(max_length=256, json_schema_extra={"minLength": MIN_PASSWORD})

    @field_validator("username", mode="before")
    @classmethod
    def _username_in_words(cls, value: object) -> object:
        if isinstance(value, str) and not re.fullmatch(r"[A-Za-z0-9_.@-]{3,64}", value):
            raise PydanticCustomError(
                "username",
                "Choose a username of 3 to 64 letters, digits or _ . @ - (no spaces)",
            )
        return value

    @field_validator("password")
    @classmethod
    def _long_enough(cls, value: str) -> str:
        if len(value) < MIN_PASSWORD:
            raise PydanticCustomError(
                "password_too_short",
                "Choose a password of at least {minimum} characters (this one has {length})",
                {"minimum": MIN_PASSWORD, "length": len(value)},
            )
        return value


class UserPublic(BaseModel):
    id: str
    username: str


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"


class SessionToken(Token):
    username: str
