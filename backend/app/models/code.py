"""Shapes of a code check against the sandbox's AST policy (`POST /code/validate`, MCP `validate_code`)."""

from pydantic import BaseModel, Field


class CodeCheck(BaseModel):
    code: str = Field(max_length=200_000, description="Python source to check against the sandbox policy.")


class ViolationOut(BaseModel):
    line: int
    col: int
    rule: str
    message: str


class CodeCheckResult(BaseModel):
    ok: bool
    violations: list[ViolationOut]
