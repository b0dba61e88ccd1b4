from datetime import datetime

from pydantic import BaseModel
from pydantic import Field as PField
from sqlmodel import Field, SQLModel

from app.models._types import tz_datetime, utcnow


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: str = Field(primary_key=True, max_length=40)
    username: str = Field(index=True, unique=True, max_length=64)
    hashed_password: str
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_datetime(nullable=False))


class UserCreate(BaseModel):
    username: str = PField(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = PField(min_length=8, max_length=256)


class UserPublic(BaseModel):
    id: str
    username: str


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
