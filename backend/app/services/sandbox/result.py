"""The schema a sandbox run must satisfy; the parent validates the child's JSON against it.

Everything here crosses a trust boundary: the child process ran untrusted code and could have written
anything on its result channel, so the models forbid extra keys, require finite numbers and cap list sizes.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# Checked by pydantic's core, not a Python validator per number: a result's numbers cost no Python calls.
Finite = Annotated[float, Field(allow_inf_nan=False)]
ShortStr = Annotated[str, Field(max_length=200)]

# Hard ceilings of the schema; the settings' bounds (`max_result_points`, `max_result_trades`), which the
# sandbox applies, are checked after parsing (`outcome.interpret`). What bounds the parsing itself is the
# result's size in bytes (`result_limit_bytes`).
MAX_POINTS = 2_000_000
MAX_TRADES = 500_000


class TradeRecord(BaseModel):
    """One round trip. `return_pct` is a percent (7.0 means +7 %); `fees` are entry plus exit fees."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    symbol: ShortStr
    entry_time: ShortStr
    exit_time: ShortStr | None
    entry_price: Finite
    exit_price: Finite | None
    size: Finite
    pnl: Finite
    return_pct: Finite
    fees: Finite
    status: Literal["closed", "open"]
    direction: Literal["long", "short"]


class SignalCounts(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entries: int = Field(ge=0, default=0)
    exits: int = Field(ge=0, default=0)


class ChildPayload(BaseModel):
    """What the in-sandbox child writes on its result channel (the parent adds the rest)."""

    model_config = ConfigDict(extra="forbid")

    equity: list[tuple[ShortStr, Finite]] = Field(max_length=MAX_POINTS)
    trades: list[TradeRecord] = Field(max_length=MAX_TRADES)
    signals: SignalCounts
    # How many there were before the sandbox bounded them (the run's own claim: only ever shown as counts).
    points_total: int | None = Field(default=None, ge=0)
    trades_total: int | None = Field(default=None, ge=0)
    # A sweep's reduced result (`stratcrew_research.export`); validated by the research service's own
    # schema (app/services/research/runner.py), which knows its shape and bounds.
    sweep: dict[str, Any] | None = None
    # The look-ahead check of the signals (`harness/lookahead.py`): checked, passed, first_changed_bar...
    bias_check: dict[str, Any] | None = None


class ChildError(BaseModel):
    """What the child writes when the script raised."""

    model_config = ConfigDict(extra="forbid")

    type: ShortStr
    message: Annotated[str, Field(max_length=4000)]
    line: int | None
    traceback_tail: Annotated[str, Field(max_length=8000)]
    errno: int | None = None


class ChildReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ok: ChildPayload | None = None
    error: ChildError | None = None


class SandboxResult(BaseModel):
    equity: list[tuple[str, float]]
    trades: list[TradeRecord]
    signals: SignalCounts
    points_total: int | None = None
    trades_total: int | None = None
    stdout_tail: str
    stderr_tail: str
    duration_s: float
    library_versions: dict[str, str]
    sweep: dict[str, Any] | None = None
    bias_check: dict[str, Any] | None = None
