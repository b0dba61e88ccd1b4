"""What crosses the zygote's control socket: JSON messages with fds, and the bars each run reads."""

from __future__ import annotations

import json
import os
import socket
from typing import Any

MAX_FDS_PER_MESSAGE = 250


def send(sock: socket.socket, message: dict[str, Any]) -> None:
    sock.send(json.dumps(message).encode())


def read_frames(symbols: list[str], fds: list[int]) -> dict[str, Any]:
    frames = {}
    for symbol, fd in zip(symbols, fds, strict=True):
        with os.fdopen(fd, "rb") as fh:
            frames[symbol] = decode_bars(fh.read())
    return frames


# The bars a run reads, as the host sends them: one JSON header line, zero padding to a multiple of 8, then
# the int64 index (ns since the epoch, UTC) and each column's values, raw little-endian arrays. Decoding is
# a few `np.frombuffer` calls: a Parquet read in a fresh child costs ~50 ms (reader set-up, thread pools).
BAR_COLUMNS = ("Open", "High", "Low", "Close", "Volume")


def encode_bars(frame: Any) -> bytes:
    """OHLCV bars (columns open/high/low/close/volume, any case; a DatetimeIndex) in the wire format."""
    import numpy as np
    import pandas as pd

    by_name = {str(c).capitalize(): c for c in frame.columns}
    missing = [c for c in BAR_COLUMNS if c not in by_name]
    if missing:
        raise ValueError(f"the bars have no {', '.join(missing)} column(s)")
    index = pd.DatetimeIndex(frame.index)
    arrays = [np.ascontiguousarray(frame[by_name[c]].to_numpy(dtype="float64")) for c in BAR_COLUMNS]
    stamps = index.as_unit("ns").asi8.astype("<i8")  # UTC for an aware index
    header = json.dumps(
        {
            "rows": len(index),
            "tz": None if index.tz is None else str(index.tz),
            "unit": index.unit,
            "name": index.name,
            "columns": list(BAR_COLUMNS),
        }
    ).encode()
    header += b"\n"
    header += b"\0" * (-len(header) % 8)
    return b"".join([header, stamps.tobytes(), *(a.astype("<f8").tobytes() for a in arrays)])


def decode_bars(buf: bytes) -> Any:
    import numpy as np
    import pandas as pd

    end = buf.index(b"\n")
    header = json.loads(buf[:end])
    rows, offset = int(header["rows"]), end + 1 + (-(end + 1) % 8)
    if len(buf) != offset + 8 * rows * (1 + len(header["columns"])):
        raise ValueError("truncated bars")
    stamps = np.frombuffer(buf, "<i8", rows, offset)
    index = pd.DatetimeIndex(stamps.astype("datetime64[ns]"), name=header["name"]).as_unit(header["unit"])
    if header["tz"] is not None:
        index = index.tz_localize("UTC").tz_convert(header["tz"])
    columns = {
        name: np.frombuffer(buf, "<f8", rows, offset + 8 * rows * (i + 1)).copy()
        for i, name in enumerate(header["columns"])
    }
    return pd.DataFrame(columns, index=index)
