"""Checking code against the AST policy every run goes through, before running it (the OS sandbox still
applies to whatever passes)."""

from __future__ import annotations

from app.models.code import CodeCheckResult, ViolationOut
from app.services.sandbox import validate_code


def check(code: str) -> CodeCheckResult:
    violations = [ViolationOut.model_validate(v, from_attributes=True) for v in validate_code(code)]
    return CodeCheckResult(ok=not violations, violations=violations)
