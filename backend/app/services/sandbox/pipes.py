"""Non-blocking readers for a run's stdout, stderr and result pipes, each with a byte cap."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable

# A run reports progress on its stdout with lines `<MARKER> done total` (the sweep kernel's
# `progress.stdout_reporter`); the reader hands them to its `progress` callback and keeps them out of the
# output the user sees. They are the run's own claims: clamped, and only ever shown as its progress.
PROGRESS_MARKER = b"\x1estratcrew-progress "


class PipeReader:
    """Reads `fd` until EOF on the event loop.

    With `keep="tail"` only the last `tail_bytes` are kept (stdout/stderr); with `keep="all"` everything is
    kept (the result). Past `cap` bytes the reader sets `overflow` and stops keeping data, so a flood costs
    no memory.
    """

    def __init__(
        self,
        fd: int,
        *,
        cap: int,
        keep: str,
        tail_bytes: int = 4096,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        self.fd = fd
        self.progress = progress
        self._partial = b""
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
        if self.progress is not None:
            chunk = self._take_progress(chunk)
        if self.total > self.cap:
            self.overflow.set()
        if self.keep == "tail":
            self.data += chunk
            del self.data[: max(0, len(self.data) - self.tail_bytes)]
        elif not self.overflow.is_set():
            self.data += chunk

    def _take_progress(self, chunk: bytes) -> bytes:
        """``chunk`` without its progress lines, each handed to ``progress`` (a line split across reads is
        held back until its end arrives)."""
        data = self._partial + chunk
        self._partial = b""
        out = bytearray()
        while data:
            end = data.find(b"\n")
            if end < 0:
                could_be = PROGRESS_MARKER.startswith(data[: len(PROGRESS_MARKER)]) and len(data) < 64
                if could_be:
                    self._partial = data
                else:
                    out += data
                break
            line, data = data[: end + 1], data[end + 1 :]
            if line.startswith(PROGRESS_MARKER):
                self._report(line[len(PROGRESS_MARKER) :])
            else:
                out += line
        return bytes(out)

    def _report(self, rest: bytes) -> None:
        parts = rest.split()
        if self.progress is not None and len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit():
            total = int(parts[1])
            self.progress(min(int(parts[0]), total), total)

    def close(self) -> None:
        if not self.eof.is_set():
            self._loop.remove_reader(self.fd)
            os.close(self.fd)
            self.eof.set()

    def text(self, chars: int) -> str:
        return bytes(self.data).decode("utf-8", "replace")[-chars:]
