from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.api.deps import CurrentUser
from app.services.sandbox import validate_code

router = APIRouter(prefix="/code", tags=["code"])


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


@router.post("/validate", response_model=CodeCheckResult)
async def validate(body: CodeCheck, _user: CurrentUser) -> CodeCheckResult:
    """Checks code against the AST policy that every run goes through (the OS sandbox still applies)."""
    violations = [ViolationOut.model_validate(v, from_attributes=True) for v in validate_code(body.code)]
    return CodeCheckResult(ok=not violations, violations=violations)
