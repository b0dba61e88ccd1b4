"""Parquet segments under `data_dir/market/segments/`, indexed in the database by provider, symbol, interval
and date range, so a range is fetched once and an overlapping range fetches only what is missing.

Request SPX 2010..2014 with 2012..2016 cached: the cache fetches 2010-01-01..2011-12-31 only, stores it as a
new segment, and reads both segments back. Segments never overlap, so a symbol's bar count is their sum.

Rules that keep "fetched once" honest:
- a range the provider answered with no bars is recorded as covered (rows 0), but only when the symbol has
  bars elsewhere: an unknown symbol is never cached as empty;
- for live providers, dates from today (UTC) on are not cached (today's bar is still forming);
- providers with a known span (bundled files) are fetched whole on first use.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.ids import new_id
from app.models.market_data import MarketDataSegment
from app.services.market_data.errors import DataUnavailable
from app.services.market_data.frames import canonical, empty_frame, read_parquet, slice_dates, store_by_hash
from app.services.market_data.providers import NoBars, Provider, day_start

Range = tuple[date, date]
# About 200 kB each for 5,000 daily bars.
DECODED_SEGMENTS = 64


@dataclass(frozen=True)
class Fetch:
    provider: str
    symbol: str
    interval: str
    start: date
    end: date


@dataclass
class CacheStats:
    """Counters for tests and the benchmark: a hit is a request answered without asking the provider."""

    hits: int = 0
    misses: int = 0
    fetches: list[Fetch] = field(default_factory=list)


def missing_ranges(start: date, end: date, covered: Sequence[Range]) -> list[Range]:
    """The parts of start..end (inclusive) not in any covered range.

    >>> d = date.fromisoformat
    >>> gaps = missing_ranges(d("2020-01-01"), d("2020-12-31"), [(d("2020-03-01"), d("2020-06-30"))])
    >>> [(str(a), str(b)) for a, b in gaps]
    [('2020-01-01', '2020-02-29'), ('2020-07-01', '2020-12-31')]
    """
    gaps: list[Range] = []
    cursor = start
    for lo, hi in sorted(covered):
        if hi < cursor:
            continue
        if lo > end:
            break
        if lo > cursor:
            gaps.append((cursor, lo - timedelta(days=1)))
        cursor = max(cursor, hi + timedelta(days=1))
        if cursor > end:
            break
    if cursor <= end:
        gaps.append((cursor, end))
    return gaps


class SegmentCache:
    def __init__(self, data_dir: Path, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self.data_dir = data_dir
        self.root = data_dir / "market" / "segments"
        self.session_factory = session_factory
        self.stats = CacheStats()
        self._locks: dict[tuple[str, str, str], asyncio.Lock] = {}
        # Decoded segments by path. Files are named by content and never change, so an entry cannot go
        # stale; pandas' copy-on-write keeps callers from changing a cached frame through a slice.
        self._decoded: OrderedDict[str, pd.DataFrame] = OrderedDict()

    async def segments(self, provider: str, symbol: str | None = None) -> list[MarketDataSegment]:
        async with self.session_factory() as session:
            query = select(MarketDataSegment).where(MarketDataSegment.provider == provider)
            if symbol is not None:
                query = query.where(MarketDataSegment.symbol == symbol)
            return list((await session.exec(query)).all())

    async def get(
        self, provider: Provider, symbol: str, interval: str, start: date, end: date, *, allow_fetch: bool
    ) -> pd.DataFrame:
        """Bars of start..end (inclusive) at the provider's native `interval`; fetches only the missing."""
        key = (provider.name, symbol, interval)
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            version = provider.version(symbol)
            rows = [
                s
                for s in await self.segments(provider.name, symbol)
                if s.interval == interval and s.provider_version == version
            ]
            gaps = missing_ranges(start, end, [(s.range_start, s.range_end) for s in rows])
            if provider.remote:
                today = datetime.now(UTC).date()
                gaps = [(lo, min(hi, today - timedelta(days=1))) for lo, hi in gaps if lo < today]
            if not gaps:
                self.stats.hits += 1
            else:
                self.stats.misses += 1
                if not allow_fetch:
                    covered = ", ".join(
                        f"{s.range_start}..{s.range_end}" for s in sorted(rows, key=lambda r: r.range_start)
                    )
                    raise DataUnavailable(
                        provider.name,
                        f"offline, and the cache lacks {', '.join(f'{a}..{b}' for a, b in gaps)} "
                        f"(cached: {covered or 'nothing'}); set OFFLINE=false once to fetch it",
                        symbol=symbol,
                    )
                rows += await self._fill(provider, symbol, interval, gaps, version, known=rows)
        return self._read(rows, start, end)

    async def _fill(
        self,
        provider: Provider,
        symbol: str,
        interval: str,
        gaps: list[Range],
        version: str,
        *,
        known: list[MarketDataSegment],
    ) -> list[MarketDataSegment]:
        span = provider.span(symbol)
        has_bars = any(s.rows for s in known)
        if span is not None and not known:
            # A known, fixed series: take it whole, and call everything around it covered too.
            gaps = [(min(gaps[0][0], span[0]), max(gaps[-1][1], span[1]))]
        fetched: list[tuple[Range, pd.DataFrame]] = []
        no_bars: list[tuple[Range, NoBars]] = []
        for lo, hi in gaps:
            self.stats.fetches.append(Fetch(provider.name, symbol, interval, lo, hi))
            try:
                frame = await provider.fetch(symbol, interval, lo, hi)
            except NoBars as exc:
                no_bars.append(((lo, hi), exc))
                continue
            fetched.append(((lo, hi), frame))
        if no_bars and not has_bars and not any(len(f) for _, f in fetched):
            # The symbol has no bars anywhere we looked: say so, and remember nothing.
            raise no_bars[0][1]
        new = [(r, f) for r, f in fetched] + [(r, canonical(empty_frame())) for r, _ in no_bars]
        segments = [
            await asyncio.to_thread(self._store, provider.name, version, symbol, interval, r, f)
            for r, f in new
        ]
        async with self.session_factory() as session:
            session.add_all(segments)
            await session.commit()
            for s in segments:
                await session.refresh(s)
        return segments

    def _store(
        self, provider: str, version: str, symbol: str, interval: str, rng: Range, frame: pd.DataFrame
    ) -> MarketDataSegment:
        path: str | None = None
        digest = ""
        if len(frame):
            directory = self.root / provider / symbol.replace("^", "_") / interval
            file, digest = store_by_hash(frame, directory)
            path = str(file.relative_to(self.data_dir))
        return MarketDataSegment(
            id=new_id("mds"),
            provider=provider,
            provider_version=version,
            symbol=symbol,
            interval=interval,
            range_start=rng[0],
            range_end=rng[1],
            parquet_path=path,
            content_hash=digest,
            rows=len(frame),
        )

    def _segment_frame(self, rel_path: str) -> pd.DataFrame:
        frame = self._decoded.get(rel_path)
        if frame is None:
            frame = read_parquet(self.data_dir / rel_path)
            self._decoded[rel_path] = frame
            while len(self._decoded) > DECODED_SEGMENTS:
                self._decoded.popitem(last=False)
        else:
            self._decoded.move_to_end(rel_path)
        return frame

    def _read(self, rows: list[MarketDataSegment], start: date, end: date) -> pd.DataFrame:
        lo, hi = day_start(start), day_start(end + timedelta(days=1))
        parts = [
            slice_dates(self._segment_frame(s.parquet_path), lo, hi)
            for s in sorted(rows, key=lambda r: r.range_start)
            if s.parquet_path and s.range_end >= start and s.range_start <= end
        ]
        parts = [p for p in parts if len(p)]
        if not parts:
            return canonical(empty_frame())
        if len(parts) == 1:
            return parts[0]
        frame = pd.concat(parts)
        # Segments cover disjoint dates, but a provider may label a bar a day off near a boundary.
        frame = frame[~frame.index.duplicated(keep="last")].sort_index()
        return frame
