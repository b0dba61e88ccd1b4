"""Where bars come from: the bundled real data sets, yfinance, and users' uploads.

A provider answers `fetch(symbol, interval, start, end)` with a canonical frame (see `frames.py`) covering the
dates start..end inclusive, or an empty frame when it has no bars there. It never returns an empty frame for
a failure: failures raise `DataUnavailable` naming the provider (`NoBars` when the provider answered, with
nothing). The cache (`cache.py`) decides what to ask for; the facade (`service.py`) decides which provider.
"""

from __future__ import annotations

import asyncio
import gzip
import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Protocol

import pandas as pd
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.errors import InvalidInput
from app.core.ids import new_id
from app.models.market_data import MarketDataUpload
from app.models.params import SYMBOL, SYMBOL_HINT
from app.services.market_data.errors import DataUnavailable, UploadNotFound
from app.services.market_data.frames import (
    COLUMNS,
    canonical,
    content_hash,
    read_parquet,
    slice_dates,
    write_parquet_atomic,
)
from app.services.market_data.resample import normalise_index

DATASETS_DIR = Path(__file__).resolve().parents[2] / "datasets"
# Bare crypto tickers in the original examples mean the USD pair on Yahoo.
CRYPTO_PAIRS = {c: f"{c}-USD" for c in ("BTC", "ETH", "SOL", "LTC", "DOGE")}


def normalise_symbol(symbol: str) -> str:
    """Upper-case and check a user's symbol; it ends up in paths and URLs, so the alphabet is closed."""
    clean = symbol.strip().upper()
    if not SYMBOL.match(clean):
        raise InvalidInput(
            f"Invalid symbol '{symbol[:40]}': {SYMBOL_HINT}",
            symbol=symbol[:40],
        )
    return clean


def yahoo_symbol(symbol: str) -> str:
    return CRYPTO_PAIRS.get(symbol, symbol)


def day_start(day: date) -> pd.Timestamp:
    return pd.Timestamp(day, tz="UTC")


class NoBars(DataUnavailable):
    """The provider answered, but had no bars for the range (or does not know the symbol)."""


class Provider(Protocol):
    name: str
    remote: bool  # True: needs the network, so offline mode only reads what the cache already has

    def version(self, symbol: str) -> str: ...

    def span(self, symbol: str) -> tuple[date, date] | None:
        """The dates the provider has for `symbol`, when it knows them (bundled files); None otherwise."""
        ...

    def native_interval(self, interval: str) -> str:
        """The interval fetched and cached to serve `interval` (coarser ones are aggregated from it)."""
        ...

    async def fetch(self, symbol: str, interval: str, start: date, end: date) -> pd.DataFrame: ...


@dataclass(frozen=True)
class BundledSet:
    symbol: str
    name: str
    aliases: tuple[str, ...]
    interval: str
    path: Path
    sha256: str
    rows: int
    start: date
    end: date
    source: str
    licence: str


class BundledProvider:
    """The real daily data sets shipped in `app/datasets` (see its README for sources and licences)."""

    name = "bundled"
    remote = False

    def __init__(self, datasets_dir: Path = DATASETS_DIR) -> None:
        manifest: list[dict[str, Any]] = json.loads((datasets_dir / "manifest.json").read_text())
        self.sets = {
            m["symbol"]: BundledSet(
                symbol=m["symbol"],
                name=m["name"],
                aliases=tuple(m["aliases"]),
                interval=m["interval"],
                path=datasets_dir / m["file"],
                sha256=m["sha256"],
                rows=m["rows"],
                start=date.fromisoformat(m["start"]),
                end=date.fromisoformat(m["end"]),
                source=m["source"],
                licence=m["licence"],
            )
            for m in manifest
        }
        self._aliases = {a.upper(): s.symbol for s in self.sets.values() for a in (s.symbol, *s.aliases)}

    def resolve(self, symbol: str) -> str | None:
        return self._aliases.get(symbol.upper())

    def version(self, symbol: str) -> str:
        return self.sets[symbol].sha256[:16]

    def span(self, symbol: str) -> tuple[date, date] | None:
        s = self.sets[symbol]
        return s.start, s.end

    def native_interval(self, interval: str) -> str:
        return "1d"

    async def fetch(self, symbol: str, interval: str, start: date, end: date) -> pd.DataFrame:
        frame = await asyncio.to_thread(self._read, symbol)
        return slice_dates(frame, day_start(start), day_start(end + timedelta(days=1)))

    def _read(self, symbol: str) -> pd.DataFrame:
        with gzip.open(self.sets[symbol].path, "rt") as fh:
            raw = pd.read_csv(fh, index_col="date", parse_dates=["date"])
        return canonical(normalise_index(raw, "1d"))


class YFinanceProvider:
    """Yahoo Finance through yfinance, with a hard timeout; empty answers become `NoBars`, never a frame.

    `yf.download` returns an empty frame when the network is down; `Ticker.history` with exceptions enabled
    raises instead, so a failure is told apart from "no bars". yfinance 1.7 deprecates `raise_errors=True`
    (it warns) in favour of `yf.config.debug.hide_exceptions = False`, which is what is set here.
    `session` is for tests (a `requests.Session` whose transport replays recorded answers); note that
    yfinance keeps one session per process.
    """

    name = "yfinance"
    remote = True

    def __init__(
        self, *, timeout_s: float = 10.0, session: Any = None, cache_dir: Path | None = None
    ) -> None:
        self.timeout_s = timeout_s
        self._session = session
        self._cache_dir = cache_dir
        self._configured = False

    def _yf(self) -> Any:
        # Imported on first use: yfinance takes about a second to import and offline runs never need it.
        import yfinance as yf

        if not self._configured:
            yf.config.debug.hide_exceptions = False
            if self._cache_dir is not None:
                # yfinance keeps cookies and exchange time zones in SQLite files; keep them in our data dir.
                self._cache_dir.mkdir(parents=True, exist_ok=True)
                yf.set_tz_cache_location(str(self._cache_dir))
            self._configured = True
        return yf

    def version(self, symbol: str) -> str:
        return ""

    def span(self, symbol: str) -> tuple[date, date] | None:
        return None

    def native_interval(self, interval: str) -> str:
        return "1h" if interval == "1h" else "1d"

    async def fetch(self, symbol: str, interval: str, start: date, end: date) -> pd.DataFrame:
        try:
            # The thread cannot be killed; wait_for stops waiting, and yfinance's own timeout ends it.
            raw = await asyncio.wait_for(
                asyncio.to_thread(self._history, symbol, interval, start, end), timeout=self.timeout_s * 3 + 5
            )
        except TimeoutError as exc:
            raise DataUnavailable(self.name, f"timed out after {self.timeout_s:g} s", symbol=symbol) from exc
        if raw.empty:
            raise NoBars(self.name, f"returned no bars for {start}..{end} ({interval})", symbol=symbol)
        missing = [c for c in ("Open", "High", "Low", "Close", "Volume") if c not in raw.columns]
        if missing:
            raise DataUnavailable(self.name, f"answer lacks columns {missing}", symbol=symbol)
        frame = raw.rename(columns=str.lower)[list(COLUMNS)]
        frame = canonical(normalise_index(frame, interval))
        return slice_dates(frame, day_start(start), day_start(end + timedelta(days=1)))

    def _history(self, symbol: str, interval: str, start: date, end: date) -> pd.DataFrame:
        yf = self._yf()
        from yfinance.exceptions import YFPricesMissingError, YFTzMissingError

        try:
            ticker = yf.Ticker(symbol, session=self._session)
            # Yahoo's end is exclusive; ours is inclusive.
            history: pd.DataFrame = ticker.history(
                start=start.isoformat(),
                end=(end + timedelta(days=1)).isoformat(),
                interval=interval,
                auto_adjust=True,
                actions=False,
                timeout=self.timeout_s,
            )
            return history
        except (YFPricesMissingError, YFTzMissingError) as exc:
            raise NoBars(self.name, str(exc), symbol=symbol) from exc
        except Exception as exc:
            kind = type(exc).__name__
            if isinstance(exc, TimeoutError) or "Timeout" in kind:
                reason = f"timed out after {self.timeout_s:g} s ({kind})"
            else:
                reason = f"{kind}: {str(exc)[:300]}"
            raise DataUnavailable(self.name, reason, symbol=symbol) from exc


class UploadProvider:
    """Users' uploads: one Parquet file per upload under `data_dir/market/uploads/`, seen by its owner only.

    A new upload of a symbol replaces the owner's previous upload of it, so a symbol means one series.
    """

    name = "upload"
    remote = False

    def __init__(self, data_dir: Path, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self.data_dir = data_dir
        self.root = data_dir / "market" / "uploads"
        self.session_factory = session_factory

    async def list(self, user_id: str) -> list[MarketDataUpload]:
        async with self.session_factory() as session:
            query = (
                select(MarketDataUpload)
                .where(MarketDataUpload.user_id == user_id)
                .order_by(col(MarketDataUpload.symbol))
            )
            return list((await session.exec(query)).all())

    async def find(self, user_id: str, symbol: str) -> MarketDataUpload | None:
        async with self.session_factory() as session:
            query = (
                select(MarketDataUpload)
                .where(MarketDataUpload.user_id == user_id, MarketDataUpload.symbol == symbol)
                .order_by(col(MarketDataUpload.created_at).desc())
            )
            return (await session.exec(query)).first()

    async def read(self, upload: MarketDataUpload) -> pd.DataFrame:
        return await asyncio.to_thread(read_parquet, self.data_dir / upload.parquet_path)

    async def save(
        self, user_id: str, symbol: str, filename: str, frame: pd.DataFrame, interval: str, size_bytes: int
    ) -> MarketDataUpload:
        upload_id = new_id("upl")
        path = self.root / f"{upload_id}.parquet"
        await asyncio.to_thread(write_parquet_atomic, frame, path)
        row = MarketDataUpload(
            id=upload_id,
            user_id=user_id,
            symbol=symbol,
            filename=filename,
            interval=interval,
            rows=len(frame),
            first_bar=frame.index[0].to_pydatetime(),
            last_bar=frame.index[-1].to_pydatetime(),
            parquet_path=str(path.relative_to(self.data_dir)),
            content_hash=content_hash(frame),
            size_bytes=size_bytes,
        )
        async with self.session_factory() as session:
            previous = (
                await session.exec(
                    select(MarketDataUpload).where(
                        MarketDataUpload.user_id == user_id, MarketDataUpload.symbol == symbol
                    )
                )
            ).all()
            for old in previous:
                await session.delete(old)
            session.add(row)
            await session.commit()
            await session.refresh(row)
        for old in previous:
            (self.data_dir / old.parquet_path).unlink(missing_ok=True)
        return row

    async def delete(self, user_id: str, upload_id: str) -> None:
        async with self.session_factory() as session:
            row = await session.get(MarketDataUpload, upload_id)
            # Another user's upload answers exactly like a missing one.
            if row is None or row.user_id != user_id:
                raise UploadNotFound(upload_id)
            await session.delete(row)
            await session.commit()
        (self.data_dir / row.parquet_path).unlink(missing_ok=True)
