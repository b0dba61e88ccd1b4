"""Run untrusted strategy code: an AST policy for clear errors, bubblewrap for the wall, a warm zygote pool
for speed. See docs/security.md for what this promises and what it does not."""

from app.core.config_sandbox import SandboxSettings
from app.services.sandbox.errors import (
    CodePolicyViolation,
    CodeRaised,
    InvalidSandboxResult,
    SandboxBusy,
    SandboxCancelled,
    SandboxLimitExceeded,
    SandboxUnavailable,
)
from app.services.sandbox.policy import Violation, validate_code
from app.services.sandbox.pool import SandboxPool
from app.services.sandbox.result import SandboxResult, SignalCounts, TradeRecord

__all__ = [
    "CodePolicyViolation",
    "CodeRaised",
    "InvalidSandboxResult",
    "SandboxBusy",
    "SandboxCancelled",
    "SandboxLimitExceeded",
    "SandboxPool",
    "SandboxResult",
    "SandboxSettings",
    "SandboxUnavailable",
    "SignalCounts",
    "TradeRecord",
    "Violation",
    "validate_code",
]
