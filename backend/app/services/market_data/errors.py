"""Market data errors. Each names what failed (symbol, provider, rows, window) so the execution log says it.

>>> NotEnoughBars(50, 20, symbol="SPX").body()["detail"].split(";")[0]
'SPX has 20 bars, fewer than the 51 the longest indicator window (50) needs'
"""

from __future__ import annotations

from collections.abc import Sequence

from app.core.errors import DomainError

UPLOAD_HINT = (
    "To use other data, upload a CSV or Parquet file with columns timestamp, open, high, low, close, volume: "
    "POST /data/upload (multipart fields: symbol, file)."
)
# Name at most this many rows in a message; the count says how many there were in all.
MAX_NAMED_ROWS = 10


class MarketDataError(DomainError):
    status_code = 422


class UnknownSymbol(MarketDataError):
    status_code = 404

    def __init__(self, symbol: str, *, offline: bool, available: Sequence[str]) -> None:
        where = "offline mode, no network" if offline else "no provider has it"
        listed = ", ".join(available) if available else "none"
        super().__init__(
            f"Unknown symbol '{symbol}' ({where}). Symbols available: {listed}. {UPLOAD_HINT}",
            symbol=symbol,
            offline=offline,
            available=list(available),
        )


class UnsupportedInterval(MarketDataError):
    def __init__(self, interval: str, reason: str) -> None:
        super().__init__(f"Interval '{interval}': {reason}", interval=interval)


class DataUnavailable(MarketDataError):
    """The provider returned nothing, timed out or is unreachable: never an empty backtest."""

    status_code = 503

    def __init__(self, provider: str, reason: str, *, symbol: str | None = None) -> None:
        subject = f" for {symbol}" if symbol else ""
        super().__init__(
            f"Market data unavailable from {provider}{subject}: {reason}",
            provider=provider,
            symbol=symbol,
            reason=reason,
        )
        self.provider = provider
        self.reason = reason


class BadMarketData(MarketDataError):
    """Rows that cannot be repaired safely; `rows` names them (timestamps or upload line numbers)."""

    def __init__(self, rows: Sequence[str], reason: str, *, symbol: str | None = None) -> None:
        shown = list(rows[:MAX_NAMED_ROWS])
        more = f" and {len(rows) - len(shown)} more" if len(rows) > len(shown) else ""
        subject = f"{symbol}: " if symbol else ""
        where = f" (rows: {', '.join(shown)}{more})" if shown else ""
        super().__init__(f"{subject}{reason}{where}", rows=shown, row_count=len(rows), reason=reason)
        self.rows = list(rows)
        self.reason = reason


class NotEnoughBars(MarketDataError):
    def __init__(self, window: int, bars: int, *, symbol: str | None = None) -> None:
        subject = symbol or "The data"
        super().__init__(
            f"{subject} has {bars} bars, fewer than the {window + 1} the longest indicator window ({window}) "
            "needs; widen the date range or use a shorter window",
            window=window,
            bars=bars,
            symbol=symbol,
        )
        self.window = window
        self.bars = bars


class UploadRejected(MarketDataError):
    def __init__(self, reason: str, **fields: object) -> None:
        super().__init__(f"Upload rejected: {reason}", reason=reason, **fields)


class UploadTooLarge(UploadRejected):
    status_code = 413


class UploadNotFound(MarketDataError):
    status_code = 404

    def __init__(self, upload_id: str) -> None:
        super().__init__(f"upload {upload_id} not found", resource="upload", upload_id=upload_id)
