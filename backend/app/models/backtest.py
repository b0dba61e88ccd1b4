"""A completed backtest: the stored row, and the typed shapes of its metrics, trades and series."""

from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import Field as PField
from pydantic import field_serializer
from sqlmodel import Field, SQLModel

from app.models._types import JSONType, Published, as_utc, tz_datetime, utcnow


class BacktestRun(SQLModel, table=True):
    __tablename__ = "backtest_runs"

    id: str = Field(primary_key=True, max_length=40)
    execution_id: str = Field(foreign_key="strategy_executions.id", index=True, unique=True, max_length=40)
    strategy_id: str = Field(foreign_key="strategies.id", index=True, max_length=40)
    user_id: str = Field(foreign_key="users.id", index=True, max_length=40)
    metrics: dict[str, Any] = Field(sa_column=sa.Column(JSONType, nullable=False))
    equity_series: list[Any] = Field(sa_column=sa.Column(JSONType, nullable=False))
    benchmark_series: list[Any] = Field(sa_column=sa.Column(JSONType, nullable=False))
    drawdown_series: list[Any] = Field(sa_column=sa.Column(JSONType, nullable=False))
    trades: list[Any] = Field(sa_column=sa.Column(JSONType, nullable=False))
    full_series: dict[str, Any] = Field(
        default_factory=dict, sa_column=sa.Column(JSONType, nullable=False)
    )  # full-resolution equity/benchmark for CSV export
    bundle: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(JSONType, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=tz_datetime(nullable=False))


# [ISO timestamp, value]; null where the value has no JSON form (a benchmark gap).
SeriesPoint = tuple[str, float | None]
ExitReason = Literal["signal", "stop_loss", "take_profit", "trailing_stop", "time", "end_of_data"]
PERCENT = "Percent: 25.5 means 25.5 %."


class BacktestMetrics(Published):
    """Every figure of one backtest; formulas and conventions in `app.services.results.metrics`.
    A figure that is undefined for this run (no trades, no benchmark, no variation) is null, and a line of
    `warnings` says why."""

    total_return: float = PField(description=PERCENT)
    cagr: float | None = PField(description=PERCENT)
    volatility: float | None = PField(description="Annualised, percent.")
    sharpe_ratio: float | None
    sortino_ratio: float | None
    calmar_ratio: float | None
    max_drawdown: float = PField(description="Percent, negative or 0: -8.5 means 8.5 % below a peak.")
    max_drawdown_start: str | None = PField(description="ISO timestamp of the peak before the trough.")
    max_drawdown_trough: str | None
    max_drawdown_recovery: str | None = PField(description="null: never recovered.")
    longest_drawdown_days: float
    win_rate: float | None = PField(description=PERCENT)
    trades: int
    long_trades: int | None = PField(
        default=None, description="Long round trips (null: a run stored earlier)."
    )
    short_trades: int | None = PField(
        default=None, description="Short round trips (null: a run stored earlier)."
    )
    profit_factor: float | None
    expectancy: float | None = PField(description="Mean PnL per trade, in the account currency.")
    avg_win: float | None = PField(description=PERCENT)
    avg_loss: float | None = PField(description=PERCENT)
    best_trade: float | None = PField(description=PERCENT)
    worst_trade: float | None = PField(description=PERCENT)
    avg_holding_days: float | None
    exposure: float = PField(description="Percent of bars with a position open.")
    benchmark_return: float | None = PField(description=PERCENT)
    vs_benchmark: float | None = PField(description="total_return - benchmark_return, percentage points.")
    alpha: float | None = PField(description="Annualised, percent.")
    beta: float | None
    correlation: float | None
    information_ratio: float | None
    final_equity: float
    start: str = PField(description="ISO timestamp of the first bar.")
    end: str = PField(description="ISO timestamp of the last bar.")
    bars: int
    warnings: list[str] = PField(default_factory=list, description="What a careful reader should know.")


class TradeRow(Published):
    """One round trip. A trade still open at the last bar has no exit and is marked to market."""

    symbol: str
    direction: Literal["long", "short"]
    status: Literal["open", "closed"]
    entry_time: str
    entry_price: float
    exit_time: str | None
    exit_price: float | None
    size: float
    pnl: float
    return_pct: float = PField(description=PERCENT)
    fees: float = PField(description="Entry plus exit fees.")
    exit_reason: ExitReason
    exit_rule: str = PField(description="How the exit was filled, in words.")


class BacktestRunPublic(Published):
    id: str
    strategy_id: str
    execution_id: str
    metrics: BacktestMetrics
    equity_series: list[SeriesPoint] = PField(description="Portfolio value per bar (at most 5,000 points).")
    benchmark_series: list[SeriesPoint] = PField(description="Buy and hold of the benchmark, same capital.")
    drawdown_series: list[SeriesPoint] = PField(description="Percent below the running peak.")
    trades: list[TradeRow]
    created_at: datetime

    @field_serializer("created_at")
    def _utc(self, value: datetime) -> datetime:
        return as_utc(value)
