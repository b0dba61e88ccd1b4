"""The encoded-bars cache and the sealed memfd each run reads its data from."""

from __future__ import annotations

import errno
import os
from typing import Any

import pandas as pd
import pytest

from app.services.sandbox.bars import BarsCache, sealed_memfd
from app.services.sandbox.errors import SandboxUnavailable
from app.services.sandbox.harness.wire import decode_bars
from tests.services.sandbox.harness.test_wire import INDEXES, _bars


def test_a_runs_data_memfd_cannot_be_changed() -> None:
    fd = sealed_memfd("bars-test", b"0123456789")
    try:
        for attempt in (
            lambda: os.write(fd, b"x"),
            lambda: os.ftruncate(fd, 0),
            lambda: os.ftruncate(fd, 99),
        ):
            with pytest.raises(PermissionError) as info:
                attempt()
            assert info.value.errno == errno.EPERM
        assert os.pread(fd, 100, 0) == b"0123456789"
    finally:
        os.close(fd)


async def test_bars_cache_encodes_a_file_again_when_it_changes(tmp_path: Any) -> None:
    path = tmp_path / "spx.parquet"
    frame = _bars(INDEXES["utc-us"])
    frame.to_parquet(path)
    cache = BarsCache(max_bytes=10**7)
    first = await cache.encoded("SPX", path)
    assert await cache.encoded("SPX", path) is first  # unchanged file: the same bytes, not read again
    # The market-data cache replaces a file atomically (a new inode), as done here.
    (frame.drop(columns="extra") * 2.0).to_parquet(tmp_path / "next.parquet")
    os.replace(tmp_path / "next.parquet", path)
    changed = decode_bars(await cache.encoded("SPX", path))
    assert changed["Close"].tolist() == (frame["close"] * 2.0).tolist()
    with pytest.raises(SandboxUnavailable, match="data file missing"):
        await cache.encoded("SPX", tmp_path / "gone.parquet")
    (tmp_path / "junk.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(SandboxUnavailable, match="data file for JUNK cannot be read"):
        await cache.encoded("JUNK", tmp_path / "junk.parquet")
    pd.DataFrame({"close": [1.0, 2.0]}).to_parquet(tmp_path / "no_ohlc.parquet")
    with pytest.raises(SandboxUnavailable, match="no Open, High, Low, Volume column"):
        await cache.encoded("BARE", tmp_path / "no_ohlc.parquet")
