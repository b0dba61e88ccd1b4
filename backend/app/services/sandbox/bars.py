"""The host side of a run's market data: Parquet files encoded once into the harness's wire format and sent
to each run as a sealed, read-only memfd.

Encoded bars are kept in a small LRU keyed by the file's identity (path, inode, size, mtime), so a file
rewritten by the market-data cache is encoded again and a repeated backtest pays nothing.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import threading
from collections import OrderedDict
from pathlib import Path

from app.services.sandbox.errors import SandboxUnavailable
from app.services.sandbox.harness.wire import encode_bars

_SEALS = fcntl.F_SEAL_SEAL | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_WRITE


class BarsCache:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple[str, int, int, int], bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    async def encoded(self, symbol: str, path: Path) -> bytes:
        try:
            stat = os.stat(path)
        except OSError as exc:
            raise SandboxUnavailable(f"data file missing ({symbol}: {path})") from exc
        key = (str(path), stat.st_ino, stat.st_size, stat.st_mtime_ns)
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found
        data = await asyncio.to_thread(_encode_file, symbol, path)
        with self._lock:
            if key not in self._entries:
                self._entries[key] = data
                self._size += len(data)
            while self._size > self.max_bytes and len(self._entries) > 1:
                _, dropped = self._entries.popitem(last=False)
                self._size -= len(dropped)
        return data


def _encode_file(symbol: str, path: Path) -> bytes:
    import pandas as pd

    try:
        return encode_bars(pd.read_parquet(path))
    except (OSError, ValueError, TypeError) as exc:  # unreadable, no OHLCV columns, or no datetime index
        raise SandboxUnavailable(f"data file for {symbol} cannot be read ({path}): {exc}") from exc


def sealed_memfd(name: str, data: bytes) -> int:
    """A memfd holding `data` that nobody, the receiving run included, can change or resize."""
    fd = os.memfd_create(name, os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS, _SEALS)
        os.lseek(fd, 0, os.SEEK_SET)
    except BaseException:
        os.close(fd)
        raise
    return fd
