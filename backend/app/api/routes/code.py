from fastapi import APIRouter

from app.api.deps import CurrentUser
from app.models.code import CodeCheck, CodeCheckResult
from app.services import code_check

router = APIRouter(prefix="/code", tags=["code"])


@router.post("/validate", response_model=CodeCheckResult)
async def validate(body: CodeCheck, _user: CurrentUser) -> CodeCheckResult:
    """Checks code against the AST policy that every run goes through (the OS sandbox still applies)."""
    return code_check.check(body.code)
