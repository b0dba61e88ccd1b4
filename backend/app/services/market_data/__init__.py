"""Market data: bundled real data sets, yfinance and uploads behind one Parquet cache (see service.py)."""

from app.services.market_data.cache import CacheStats, Fetch
from app.services.market_data.errors import (
    BadMarketData,
    DataUnavailable,
    MarketDataError,
    NotEnoughBars,
    UnknownSymbol,
    UnsupportedInterval,
    UploadNotFound,
    UploadRejected,
    UploadTooLarge,
)
from app.services.market_data.service import Bars, MarketData

__all__ = [
    "BadMarketData",
    "Bars",
    "CacheStats",
    "DataUnavailable",
    "Fetch",
    "MarketData",
    "MarketDataError",
    "NotEnoughBars",
    "UnknownSymbol",
    "UnsupportedInterval",
    "UploadNotFound",
    "UploadRejected",
    "UploadTooLarge",
]
