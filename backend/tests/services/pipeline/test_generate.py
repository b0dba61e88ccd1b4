"""`generate`: the compiled code (or the user's, kept apart from the compiled one) that passes the policy."""

from __future__ import annotations

from typing import Any

import pytest

from app.models.status import ExecutionStatus
from app.services.language import compile_spec
from app.services.pipeline import analyze, generate
from app.services.sandbox import validate_code
from app.services.sandbox.errors import CodePolicyViolation
from tests.services.pipeline.conftest import job

HOSTILE = "import os\nimport vectorbt as vbt\nos.system('touch /tmp/pwned')\n"


async def test_the_spec_compiles_to_code_that_passes_the_policy(make_ctx: Any) -> None:
    ctx = make_ctx()
    analysis = await analyze(job(), ctx)
    script = await generate(analysis, ctx)
    assert analysis.spec is not None and script.spec == analysis.spec
    assert script.code == script.compiled == compile_spec(analysis.spec)
    assert not script.edited and script.repairs == () and validate_code(script.code) == []
    stages = [status for status, _, _ in ctx.events.events if status != "log"]
    assert stages == [ExecutionStatus.analyzing, ExecutionStatus.generating_code]
    assert ctx.events.messages()[-1] == "Generator: code passed the sandbox policy"


async def test_edited_code_runs_and_the_compiled_code_is_kept_apart(make_ctx: Any) -> None:
    ctx = make_ctx()
    edited = compile_spec((await analyze(job(), ctx)).spec) + "\n# my tweak\n"  # type: ignore[arg-type]
    analysis = await analyze(job(edited_code=edited), ctx)
    script = await generate(analysis, ctx)
    assert script.edited and script.code == edited
    assert script.compiled is not None and script.compiled != edited


async def test_code_failing_the_policy_is_refused_with_every_finding_offline(make_ctx: Any) -> None:
    ctx = make_ctx()
    analysis = await analyze(job(edited_code=HOSTILE), ctx)
    with pytest.raises(CodePolicyViolation) as info:
        await generate(analysis, ctx)
    assert info.value.fields["violations"][0]["line"] == 1
    assert any(m.startswith("Generator: Sandbox policy violations: line 1:") for m in ctx.events.messages())
