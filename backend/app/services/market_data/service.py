"""`MarketData`: the one door to bars for the executor, the benchmark and the API.

Symbol resolution, first match wins:
1. the user's own upload of that symbol;
2. a bundled data set (`SPX`, `^GSPC`, `SP500`, `IXIC`, `^IXIC`, `NASDAQ`);
3. yfinance (`BTC` -> `BTC-USD`): fetched when online; offline, served only from what the cache already
   holds, so a run whose data was fetched once reproduces with no network;
otherwise `UnknownSymbol`, listing what is available and how to upload.

Every `Bars` is validated (see `validation.py`) on its native bars before aggregation, and written once as
an immutable Parquet file named by its content hash, which a sandbox can bind read-only.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.config import Settings
from app.core.errors import InvalidInput
from app.models.market_data import MarketDataUpload, SymbolInfo, UploadPreview
from app.services.market_data.cache import CacheStats, SegmentCache
from app.services.market_data.errors import DataUnavailable, NotEnoughBars, UnknownSymbol, UnsupportedInterval
from app.services.market_data.frames import slice_dates, store_by_hash
from app.services.market_data.providers import (
    BundledProvider,
    Provider,
    UploadProvider,
    YFinanceProvider,
    day_start,
    normalise_symbol,
    yahoo_symbol,
)
from app.services.market_data.resample import (
    aggregate,
    can_make,
    check_interval,
    reachable_intervals,
    resample,
)
from app.services.market_data.uploads import parse_upload, safe_filename
from app.services.market_data.validation import validate

PREVIEW_ROWS = 10


@dataclass
class _PreparedUpload:
    symbol: str
    filename: str
    frame: pd.DataFrame
    interval: str
    notes: list[str]
    columns: dict[str, str]
    source_columns: list[str]


@dataclass(frozen=True)
class Bars:
    """Validated bars of one symbol over start..end (inclusive), ready for a backtest.

    `frame`: columns open, high, low, close, volume (float64), UTC `DatetimeIndex` named `timestamp`,
    sorted and unique. `parquet_path`: that exact frame, immutable. `notes`: repairs and gaps to log.
    """

    symbol: str
    interval: str
    start: date
    end: date
    frame: pd.DataFrame
    parquet_path: Path
    source: str
    content_hash: str
    notes: list[str] = field(default_factory=list)

    @property
    def provider(self) -> str:
        return self.source.split(":", 1)[0]

    def __len__(self) -> int:
        return len(self.frame)

    def check_enough(self, window: int) -> None:
        """Refuse bars too short for an indicator window: `window + 1` bars give the first signal change."""
        if len(self.frame) <= window:
            raise NotEnoughBars(window, len(self.frame), symbol=self.symbol)


class MarketData:
    def __init__(
        self,
        data_dir: Path,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        offline: bool = True,
        yfinance_timeout_s: float = 10,
        max_upload_bytes: int = 20_000_000,
        max_upload_rows: int = 2_000_000,
        yfinance_session: Any = None,
        bundled: BundledProvider | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.offline = offline
        self.max_upload_bytes = max_upload_bytes
        self.max_upload_rows = max_upload_rows
        self.frames_dir = data_dir / "market" / "frames"
        self.bundled = bundled or BundledProvider()
        self.yfinance = YFinanceProvider(
            timeout_s=yfinance_timeout_s, session=yfinance_session, cache_dir=data_dir / "market" / "yfinance"
        )
        self.uploads = UploadProvider(data_dir, session_factory)
        self.cache = SegmentCache(data_dir, session_factory)

    @classmethod
    def from_settings(
        cls, settings: Settings, session_factory: async_sessionmaker[AsyncSession]
    ) -> MarketData:
        return cls(
            settings.data_dir,
            session_factory,
            offline=settings.offline,
            yfinance_timeout_s=settings.yfinance_timeout_s,
            max_upload_bytes=settings.max_upload_bytes,
            max_upload_rows=settings.max_upload_rows,
        )

    @property
    def stats(self) -> CacheStats:
        return self.cache.stats

    async def load(self, symbol: str, interval: str, start: date, end: date, user_id: str | None) -> Bars:
        """Validated bars of `symbol` at `interval` over start..end inclusive (see the module docstring)."""
        check_interval(interval)
        if start > end:
            raise InvalidInput(f"start {start} is after end {end}", start=str(start), end=str(end))
        sym = normalise_symbol(symbol)
        notes: list[str] = []
        upload = await self.uploads.find(user_id, sym) if user_id else None
        if upload is not None:
            native = upload.interval
            self._check_can_make(interval, native, f"upload {upload.id}")
            full = await self.uploads.read(upload)
            frame = slice_dates(full, day_start(start), day_start(end + timedelta(days=1)))
            source = f"upload:{upload.id}"
        else:
            provider, name = await self._resolve(sym, user_id)
            native = provider.native_interval(interval)
            self._check_can_make(interval, native, provider.name)
            frame = await self.cache.get(
                provider, name, native, start, end, allow_fetch=not (provider.remote and self.offline)
            )
            source = f"{provider.name}:{name}"
            if name != sym:
                notes.append(f"{sym} read as {name}")
        if frame.empty:
            raise DataUnavailable(source.split(":")[0], f"no bars between {start} and {end}", symbol=sym)
        return await asyncio.to_thread(self._finish, sym, interval, native, start, end, frame, source, notes)

    def _finish(
        self,
        symbol: str,
        interval: str,
        native: str,
        start: date,
        end: date,
        frame: pd.DataFrame,
        source: str,
        notes: list[str],
    ) -> Bars:
        frame, repairs = validate(frame, native, symbol=symbol)
        frame = resample(frame, interval, source_interval=native)
        path, digest = store_by_hash(frame, self.frames_dir)
        if native != interval:
            notes.append(f"{interval} bars aggregated from {native} bars")
        return Bars(symbol, interval, start, end, frame, path, source, digest, [*notes, *repairs])

    @staticmethod
    def _check_can_make(interval: str, native: str, where: str) -> None:
        if not can_make(interval, native):
            raise UnsupportedInterval(
                interval, f"{where} has {native} bars, which cannot make finer {interval} bars"
            )

    async def _resolve(self, symbol: str, user_id: str | None) -> tuple[Provider, str]:
        bundled = self.bundled.resolve(symbol)
        if bundled is not None:
            return self.bundled, bundled
        name = yahoo_symbol(symbol)
        if not self.offline:
            return self.yfinance, name
        if await self.cache.segments(self.yfinance.name, name):
            return self.yfinance, name
        raise UnknownSymbol(symbol, offline=True, available=await self._available(user_id))

    async def _available(self, user_id: str | None) -> list[str]:
        return [f"{i.symbol} ({i.provider}, {i.start}..{i.end})" for i in await self.list_symbols(user_id)]

    async def list_symbols(self, user_id: str | None) -> list[SymbolInfo]:
        infos: list[SymbolInfo] = []
        if user_id:
            infos += [self._upload_info(u) for u in await self.uploads.list(user_id)]
        infos += [
            SymbolInfo(
                symbol=s.symbol,
                provider=self.bundled.name,
                interval=s.interval,
                start=s.start,
                end=s.end,
                bars=s.rows,
                name=s.name,
                aliases=list(s.aliases),
            )
            for s in self.bundled.sets.values()
        ]
        cached: dict[tuple[str, str], list[Any]] = {}
        for seg in await self.cache.segments(self.yfinance.name):
            cached.setdefault((seg.symbol, seg.interval), []).append(seg)
        for (sym, interval), segs in sorted(cached.items()):
            with_bars = [s for s in segs if s.rows] or segs
            infos.append(
                SymbolInfo(
                    symbol=sym,
                    provider=f"{self.yfinance.name} (cached)",
                    interval=interval,
                    start=min(s.range_start for s in with_bars),
                    end=max(s.range_end for s in with_bars),
                    bars=sum(s.rows for s in segs),
                )
            )
        for info in infos:
            info.timeframes = reachable_intervals(info.interval)
        return infos

    @staticmethod
    def _upload_info(u: MarketDataUpload) -> SymbolInfo:
        return SymbolInfo(
            symbol=u.symbol,
            provider="upload",
            interval=u.interval,
            start=u.first_bar.date(),
            end=u.last_bar.date(),
            bars=u.rows,
            upload_id=u.id,
        )

    async def upload(
        self, user_id: str, symbol: str, filename: str | None, data: bytes
    ) -> tuple[MarketDataUpload, list[str]]:
        """Parse, validate and keep a user's file; returns the stored row and the notes on repairs made."""
        ready = await self._prepare_upload(symbol, filename, data)
        row = await self.uploads.save(
            user_id, ready.symbol, ready.filename, ready.frame, ready.interval, len(data)
        )
        return row, ready.notes

    async def _prepare_upload(self, symbol: str, filename: str | None, data: bytes) -> _PreparedUpload:
        sym = normalise_symbol(symbol)
        name = safe_filename(filename)
        parsed = await asyncio.to_thread(
            parse_upload, data, name, max_bytes=self.max_upload_bytes, max_rows=self.max_upload_rows
        )
        frame, repairs = await asyncio.to_thread(validate, parsed.frame, parsed.interval or "1h", symbol=sym)
        notes = parsed.notes + repairs
        interval = parsed.interval
        if interval is None:
            frame = await asyncio.to_thread(aggregate, frame, "1h")
            interval = "1h"
            notes.append("bars finer than an hour were aggregated to 1h")
        return _PreparedUpload(sym, name, frame, interval, notes, parsed.columns, parsed.source_columns)

    async def preview_upload(self, symbol: str, filename: str | None, data: bytes) -> UploadPreview:
        """What `upload` would keep, without keeping it: the same parsing, checks and repairs."""
        ready = await self._prepare_upload(symbol, filename, data)
        head = ready.frame.iloc[:PREVIEW_ROWS].reset_index()
        head["timestamp"] = head["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        return UploadPreview(
            symbol=ready.symbol,
            filename=ready.filename,
            source_columns=ready.source_columns,
            columns=ready.columns,
            interval=ready.interval,
            rows=len(ready.frame),
            first_bar=ready.frame.index[0].to_pydatetime(),
            last_bar=ready.frame.index[-1].to_pydatetime(),
            head=head.to_dict(orient="records"),
            notes=ready.notes,
        )

    async def list_uploads(self, user_id: str) -> list[MarketDataUpload]:
        return await self.uploads.list(user_id)

    async def delete_upload(self, user_id: str, upload_id: str) -> None:
        await self.uploads.delete(user_id, upload_id)

    async def default_range(self, symbol: str, user_id: str | None) -> tuple[date, date]:
        """The whole span for bundled data and uploads; the last 365 days otherwise."""
        sym = normalise_symbol(symbol)
        upload = await self.uploads.find(user_id, sym) if user_id else None
        if upload is not None:
            return upload.first_bar.date(), upload.last_bar.date()
        bundled = self.bundled.resolve(sym)
        if bundled is not None:
            span = self.bundled.span(bundled)
            assert span is not None
            return span
        end = date.today()
        return end - timedelta(days=365), end
