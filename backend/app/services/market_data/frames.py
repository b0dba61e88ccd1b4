"""The canonical bar frame, its content hash, and immutable Parquet files named by that hash.

Canonical frame: columns `open, high, low, close, volume` (float64), a `DatetimeIndex` in UTC at nanosecond
resolution named `timestamp`, sorted and unique. Every provider's output is brought to this shape before it is
validated, cached or handed to a sandbox, so the hash of the same bars is the same whatever their origin.

The content hash is sha256 over the canonical bytes (the int64 nanosecond timestamps, then each column's
float64 values, little-endian), not over a Parquet file, whose bytes depend on the writer's version:

>>> import pandas as pd
>>> f = canonical(pd.DataFrame({"open": [1.0], "high": [2.0], "low": [0.5], "close": [1.5], "volume": [10]},
...               index=pd.DatetimeIndex(["2020-01-02"], tz="UTC")))
>>> content_hash(f) == content_hash(f.copy())
True
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

COLUMNS: tuple[str, ...] = ("open", "high", "low", "close", "volume")
PRICE_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close")
INDEX_NAME = "timestamp"
_DTYPE = "datetime64[ns, UTC]"


def empty_frame() -> pd.DataFrame:
    index = pd.DatetimeIndex([], dtype=_DTYPE, name=INDEX_NAME)
    return pd.DataFrame({c: pd.Series([], dtype="float64", index=index) for c in COLUMNS}, index=index)


def canonical(frame: pd.DataFrame) -> pd.DataFrame:
    """Cast to the canonical dtypes and names; the index must already be tz-aware (normalise first)."""
    index = pd.DatetimeIndex(frame.index)
    if index.tz is None:
        raise ValueError("bar index must be timezone-aware; normalise it to UTC first")
    index = index.tz_convert("UTC").as_unit("ns").rename(INDEX_NAME)
    data = {c: np.asarray(frame[c], dtype="float64") for c in COLUMNS}
    return pd.DataFrame(data, index=index)


def slice_dates(frame: pd.DataFrame, start: pd.Timestamp, end_exclusive: pd.Timestamp) -> pd.DataFrame:
    """Rows with start <= timestamp < end_exclusive; the index is sorted, so this is two binary searches."""
    index = frame.index
    lo = index.searchsorted(start, side="left")
    hi = index.searchsorted(end_exclusive, side="left")
    return frame.iloc[lo:hi]


def content_hash(frame: pd.DataFrame) -> str:
    digest = hashlib.sha256()
    digest.update(
        np.ascontiguousarray(pd.DatetimeIndex(frame.index).as_unit("ns").asi8, dtype="<i8").tobytes()
    )
    for column in COLUMNS:
        digest.update(column.encode())
        digest.update(np.ascontiguousarray(frame[column].to_numpy(), dtype="<f8").tobytes())
    return digest.hexdigest()


def write_parquet_atomic(frame: pd.DataFrame, path: Path) -> None:
    """Write, then rename into place: a reader never sees half a file. Leaves the file read-only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(frame, preserve_index=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".parquet")
    os.close(fd)
    try:
        pq.write_table(table, tmp, compression="zstd")
        os.chmod(tmp, 0o444)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def store_by_hash(frame: pd.DataFrame, directory: Path) -> tuple[Path, str]:
    """Keep `frame` once under `directory/<hash>.parquet`; the same bars are never written twice."""
    digest = content_hash(frame)
    path = directory / f"{digest}.parquet"
    if not path.exists():
        write_parquet_atomic(frame, path)
    return path, digest


def read_parquet(path: Path) -> pd.DataFrame:
    frame = pq.read_table(path).to_pandas()
    return canonical(frame)
