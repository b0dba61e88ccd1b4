"""`generate(analysis, ctx) -> Script`: the generator's step. The spec compiles to readable VectorBT code
(deterministic), or the user's edited code is taken as is; either must pass the sandbox policy. In LLM mode
the generator agent may repair code that fails it (`ctx.repair_attempts` tries, shared with `execute`).

A kind of execution decides what the code is (`COMPILERS`): a backtest compiles the spec into one
portfolio; a parameter sweep would compile it into a script that runs the grid inside the sandbox.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from app.core.errors import DomainError
from app.models.execution import ExecutionKind
from app.models.insights import CodeRepair
from app.models.status import ExecutionStatus
from app.services.language import StrategySpec, compile_spec
from app.services.pipeline.tools import format_violations
from app.services.pipeline.types import Analysis, RunContext, Script
from app.services.sandbox import validate_code
from app.services.sandbox.errors import CodePolicyViolation

COMPILERS: dict[ExecutionKind, Callable[[StrategySpec], str]] = {ExecutionKind.backtest: compile_spec}


async def generate(analysis: Analysis, ctx: RunContext) -> Script:
    events = ctx.events
    await events.stage(ExecutionStatus.generating_code, "Generator: writing the VectorBT code")
    job, spec = analysis.job, analysis.spec
    # The generated code is recorded even when edited code runs, so the run keeps both apart.
    compiled = COMPILERS[job.kind](spec) if spec is not None else None
    if job.edited_code is not None:
        script = Script(code=job.edited_code, spec=spec, compiled=compiled, edited=True)
        await events.log(f"Generator: using your edited code ({_lines(script.code)} lines)")
    else:
        if compiled is None:  # only edited code runs without a spec
            raise AssertionError("generate needs a spec or edited code")
        script = Script(code=compiled, spec=spec, compiled=compiled)
        await events.log(f"Generator: compiled {_lines(script.code)} lines from the spec")
    violations = validate_code(script.code)
    while violations:
        problem = f"Sandbox policy violations: {format_violations(violations)}"
        await events.log(f"Generator: {problem}")
        repaired = await repair(script, problem, ctx)
        if repaired is None:
            raise CodePolicyViolation([v.model_dump() for v in violations])
        script = repaired
        violations = validate_code(script.code)
    await events.log("Generator: code passed the sandbox policy")
    return script


async def repair(script: Script, problem: str, ctx: RunContext) -> Script | None:
    """One LLM repair attempt if any are left: the script with the attempt recorded (and its code replaced
    when the new code passes the policy); None when no attempt is left (or offline)."""
    limit = ctx.repair_attempts
    if ctx.assistant is None or len(script.repairs) >= limit:
        return None
    attempt = len(script.repairs) + 1
    await ctx.events.log(f"Generator: repair attempt {attempt}/{limit}")
    try:
        code, violations = await ctx.assistant.repair_code(script.code, problem, script.compiled)
    except DomainError as exc:
        record = CodeRepair(attempt=attempt, problem=problem, accepted=False, error=exc.message)
        await ctx.events.log(f"Generator: repair attempt {attempt} failed: {exc.message}")
        return _with(script, record)
    accepted = not violations
    record = CodeRepair(
        attempt=attempt, problem=problem[:500], accepted=accepted, violations=format_violations(violations)
    )
    if accepted:
        await ctx.events.log(f"Generator: repair attempt {attempt} passed the policy")
        return _with(script, record, code)
    await ctx.events.log(f"Generator: repair attempt {attempt} rejected: {format_violations(violations)}")
    return _with(script, record)


def _with(script: Script, record: CodeRepair, code: str | None = None) -> Script:
    return replace(script, code=code or script.code, repairs=(*script.repairs, record))


def _lines(code: str) -> int:
    return code.count("\n") + 1
