"""SQLModel tables, imported here so Alembic and create_all see every one."""

from app.models.backtest import BacktestRun
from app.models.event import ExecutionEvent
from app.models.execution import StrategyExecution
from app.models.indicator import SavedIndicatorRow
from app.models.market_data import MarketDataSegment, MarketDataUpload
from app.models.strategy import Strategy
from app.models.sweep import Sweep
from app.models.user import User

__all__ = [
    "BacktestRun",
    "ExecutionEvent",
    "MarketDataSegment",
    "MarketDataUpload",
    "SavedIndicatorRow",
    "Strategy",
    "StrategyExecution",
    "Sweep",
    "User",
]
