"""Cold vs cached load of 10 years of daily bars through `MarketData.load` (target: cached under 20 ms).

Cold: a new data directory and database, so the bundled file is parsed, validated, cached as a Parquet
segment and indexed. Cached: the same request again (index look-up, decoded segment, validation, hash).
Also timed: the first load in a new `MarketData` on the same directory (the segment read from disk).

Run from backend/:  ../.venv/bin/python -m bench.bench_market_data
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

import app.models.market_data  # noqa: F401  (registers the tables)
from app.services.market_data import MarketData

START, END = date(2009, 1, 1), date(2018, 12, 31)
REPEATS = 30
TARGET_MS = 20.0


async def run(folder: Path) -> None:
    engine = create_async_engine(f"sqlite+aiosqlite:///{folder / 'bench.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
    md = MarketData(folder / "data", async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False))

    t0 = time.perf_counter()
    bars = await md.load("SPX", "1d", START, END, None)
    cold_ms = (time.perf_counter() - t0) * 1000

    cached = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        again = await md.load("SPX", "1d", START, END, None)
        cached.append((time.perf_counter() - t0) * 1000)
    assert again.content_hash == bars.content_hash

    # A new process with the same data directory: the segment is on disk but not yet decoded in memory.
    fresh = MarketData(folder / "data", md.cache.session_factory)
    t0 = time.perf_counter()
    await fresh.load("SPX", "1d", START, END, None)
    disk_ms = (time.perf_counter() - t0) * 1000
    await engine.dispose()

    median = statistics.median(cached)
    print(f"10 years of daily bars (SPX {START}..{END}): {len(bars.frame)} bars")
    print(f"cold load:   {cold_ms:8.1f} ms")
    print(
        f"cached load: {median:8.1f} ms median, {min(cached):.1f} ms best, "
        f"{max(cached):.1f} ms worst ({REPEATS} runs)"
    )
    print(f"cached on disk, first load in a new MarketData: {disk_ms:.1f} ms")
    print(f"cold/cached: {cold_ms / median:8.1f}x")
    print(f"cache: {md.stats.hits} hits, {md.stats.misses} misses, {len(md.stats.fetches)} provider reads")
    print(f"target cached < {TARGET_MS:g} ms: {'met' if median < TARGET_MS else 'NOT met'}")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="stratcrew-bench-") as tmp:
        asyncio.run(run(Path(tmp)))


if __name__ == "__main__":
    main()
