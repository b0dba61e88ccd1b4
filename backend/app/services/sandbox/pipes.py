"""Non-blocking readers for a run's stdout, stderr and result pipes, each with a byte cap."""

from __future__ import annotations

import asyncio
import os


class PipeReader:
    """Reads `fd` until EOF on the event loop.

    With `keep="tail"` only the last `tail_bytes` are kept (stdout/stderr); with `keep="all"` everything is
    kept (the result). Past `cap` bytes the reader sets `overflow` and stops keeping data, so a flood costs
    no memory.
    """

    def __init__(self, fd: int, *, cap: int, keep: str, tail_bytes: int = 4096) -> None:
        self.fd = fd
        self.cap = cap
        self.keep = keep
        self.tail_bytes = tail_bytes
        self.total = 0
        self.data = bytearray()
        self.overflow = asyncio.Event()
        self.eof = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        os.set_blocking(fd, False)
        self._loop.add_reader(fd, self._on_readable)

    def _on_readable(self) -> None:
        try:
            chunk = os.read(self.fd, 1 << 16)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            self.close()
            return
        self.total += len(chunk)
        if self.total > self.cap:
            self.overflow.set()
        if self.keep == "tail":
            self.data += chunk
            del self.data[: max(0, len(self.data) - self.tail_bytes)]
        elif not self.overflow.is_set():
            self.data += chunk

    def close(self) -> None:
        if not self.eof.is_set():
            self._loop.remove_reader(self.fd)
            os.close(self.fd)
            self.eof.set()

    def text(self, chars: int) -> str:
        return bytes(self.data).decode("utf-8", "replace")[-chars:]
