"""Execution parameters: every field of the original example, with defaults that run offline."""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# Letters, digits and Yahoo's punctuation (^GSPC, BRK-B, BRK.B, EURUSD=X, ES=F), starting with a letter,
# digit or `^`: a symbol ends up in paths and URLs, so `..` or `.x` is refused here, before anything runs.
SYMBOL = re.compile(r"^[A-Z0-9^][A-Z0-9.^=_-]{0,19}$")
SYMBOL_HINT = "use 1-20 letters, digits or . - = ^ _, starting with a letter, digit or ^ (e.g. SPX, BTC-USD)"

Timeframe = Literal["1d", "1h", "1wk", "1mo"]
PositionSizing = Literal["equal", "fixed_fraction", "fixed_amount"]


class ExecutionParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    symbols: list[str] = Field(
        default_factory=lambda: ["SPX"],
        min_length=1,
        max_length=20,
        description="Symbols to trade; several share one cash pool with equal weight. "
        "Offline: the bundled data sets (GET /data/symbols) and your uploads.",
    )
    timeframe: Timeframe = Field(default="1d", description="Bar interval.")
    start_date: date = Field(default=date(2010, 1, 1), description="First day of the backtest (inclusive).")
    end_date: date = Field(default=date(2018, 12, 31), description="Last day of the backtest (inclusive).")
    initial_capital: float = Field(default=10_000.0, gt=0, le=1e12, description="Starting cash.")
    benchmark: str | None = Field(default=None, description="Benchmark symbol; default: the first symbol.")
    fees: float = Field(
        default=0.001, ge=0, le=0.1, description="Fee per trade as a fraction (0.001 = 0.1%)."
    )
    slippage: float = Field(default=0.001, ge=0, le=0.1, description="Slippage as a fraction of price.")
    position_sizing: PositionSizing = Field(
        default="equal",
        description="equal: all available cash x exposure; fixed_fraction: position_size of equity; "
        "fixed_amount: position_size in cash.",
    )
    position_size: float | None = Field(default=None, gt=0, description="Fraction or cash amount, by sizing.")
    exposure: float = Field(default=1.0, gt=0, le=1, description="Largest fraction of capital in the market.")
    risk_free_rate: float = Field(
        default=0.0, ge=-0.1, le=0.5, description="Annual risk-free rate (decimal)."
    )
    stop_slippage: bool = Field(
        default=False,
        description="Apply `slippage` to stop-loss, trailing-stop and take-profit fills too (false: they "
        "fill exactly at the stop level, or at the open when the bar gaps through it).",
    )
    reenter_on_exit_bar: bool = Field(
        default=False,
        description="Take an entry signal on the bar where a stop or take-profit filled, at that bar's close "
        "(false: that bar's signals are ignored, a new position opens at the next signal).",
    )

    @field_validator("symbols")
    @classmethod
    def _clean_symbols(cls, symbols: list[str]) -> list[str]:
        cleaned = [s.strip().upper() for s in symbols]
        for s in cleaned:
            if not SYMBOL.match(s):
                raise ValueError(f"invalid symbol {s[:40]!r}: {SYMBOL_HINT}")
        if len(set(cleaned)) != len(cleaned):
            raise ValueError("symbols must not repeat")
        return cleaned

    @field_validator("benchmark")
    @classmethod
    def _clean_benchmark(cls, benchmark: str | None) -> str | None:
        if not benchmark or not benchmark.strip():
            return None
        clean = benchmark.strip().upper()
        if not SYMBOL.match(clean):
            raise ValueError(f"invalid benchmark {clean[:40]!r}: {SYMBOL_HINT}")
        return clean

    @model_validator(mode="after")
    def _check(self) -> ExecutionParams:
        if self.end_date <= self.start_date:
            raise ValueError(f"end_date {self.end_date} must be after start_date {self.start_date}")
        if self.position_sizing != "equal" and self.position_size is None:
            raise ValueError(f"position_size is required when position_sizing is {self.position_sizing!r}")
        if (
            self.position_sizing == "fixed_fraction"
            and self.position_size is not None
            and self.position_size > 1
        ):
            raise ValueError("position_size for fixed_fraction must be at most 1 (a fraction of equity)")
        return self

    @property
    def benchmark_symbol(self) -> str:
        return self.benchmark or self.symbols[0]
