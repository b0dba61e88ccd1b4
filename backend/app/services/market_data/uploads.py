"""Parse a user's CSV or Parquet upload into canonical bars, or reject it with a reason.

Hostile input is the normal case here, so limits are checked before work that could blow up:
- bytes: the route stops reading past `max_upload_bytes`; this module checks again;
- rows: CSV reading stops at `max_rows + 1`; Parquet row counts and decoded sizes are read from the footer
  before any data page is decoded (a small file can claim gigabytes: a "zip bomb"), then checked again per
  row group while reading;
- cells: numbers must parse as numbers (text in numbers is refused, naming the lines), and any cell that
  a spreadsheet would run as a formula (`=cmd|' /C calc'!A0`, `@SUM(...)`, `+1+2` that is not a number) is
  refused, in every column, including ones we ignore.

Columns are matched case-insensitively with aliases (`Date`, `Datetime`, `Adj Close`, ...):

>>> _pick_columns(["Date", "Open", "High", "Low", "Close", "Adj Close", "Volume"])
({'timestamp': 'Date', 'open': 'Open', 'high': 'High', 'low': 'Low', 'close': 'Close', 'volume': 'Volume'}, \
['both Close and Adj Close given: used Close (open/high/low are unadjusted)'])
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from app.services.market_data.errors import UploadRejected, UploadTooLarge
from app.services.market_data.frames import COLUMNS, canonical
from app.services.market_data.resample import classify_spacing, is_daily_or_coarser, normalise_index

ALIASES: dict[str, tuple[str, ...]] = {
    "timestamp": ("timestamp", "date", "datetime", "time", "date_time", "__index_level_0__", "index"),
    "open": ("open", "o", "open_price"),
    "high": ("high", "h", "high_price"),
    "low": ("low", "l", "low_price"),
    "close": ("close", "c", "close_price", "price", "last"),
    "volume": ("volume", "vol", "v"),
}
ADJ_CLOSE = ("adj close", "adj_close", "adjclose", "adjusted close", "adjusted_close")
MAX_COLUMNS = 64
# A decoded Parquet column of max_rows float64 values is 8 bytes a row; allow generous slack for
# strings, but refuse a file whose footer promises far more than any real OHLCV table decodes to.
DECODED_BYTES_PER_ROW = 256
_FORMULA_START = re.compile(r"^\s*[=+\-@\t\r]")
# "2024-01-02 09:30:00-05:00" -> local wall time "2024-01-02 09:30:00" and zone "-05:00".
_TZ_SUFFIX = re.compile(r"^(.*\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(Z|UTC|[+-]\d{2}:?\d{2})$", re.IGNORECASE)


@dataclass
class ParsedUpload:
    frame: pd.DataFrame  # canonical shape; not yet validated
    interval: str | None  # the bars' spacing; None when finer than an hour
    notes: list[str]
    columns: dict[str, str] = field(default_factory=dict)  # canonical name -> the file's column
    source_columns: list[str] = field(default_factory=list)  # every column of the file, in order


def _key(name: str) -> str:
    return re.sub(r"\s+", " ", str(name).strip().lower())


def _pick_columns(names: list[str]) -> tuple[dict[str, str], list[str]]:
    notes: list[str] = []
    by_key: dict[str, str] = {}
    for name in names:
        by_key.setdefault(_key(name), name)
        by_key.setdefault(_key(name).replace(" ", "_"), name)
    picked: dict[str, str] = {}
    for target, aliases in ALIASES.items():
        found = next((by_key[a] for a in aliases if a in by_key), None)
        if found is not None:
            picked[target] = found
    adj = next((by_key[a] for a in ADJ_CLOSE if a in by_key), None)
    if adj is not None:
        if "close" in picked:
            notes.append(
                f"both {picked['close']} and {adj} given: used {picked['close']} "
                "(open/high/low are unadjusted)"
            )
        else:
            picked["close"] = adj
            notes.append(f"used {adj} as close")
    required = ["timestamp", "open", "high", "low", "close"]
    missing = [c for c in required if c not in picked]
    if missing:
        raise UploadRejected(
            f"missing column(s) {', '.join(missing)}; found {', '.join(map(str, names[:20])) or 'none'}. "
            "Expected timestamp (or date), open, high, low, close and optionally volume (names are "
            "matched case-insensitively; Adj Close is accepted for close)",
            missing=missing,
        )
    picked = {k: picked[k] for k in ["timestamp", *COLUMNS] if k in picked}
    return picked, notes


def _lines(mask: np.ndarray, offset: int) -> list[str]:
    return [f"line {i + offset}" for i in np.nonzero(mask)[0]]


def _reject_rows(reason: str, mask: np.ndarray, offset: int) -> UploadRejected:
    lines = _lines(mask, offset)
    shown = ", ".join(lines[:10]) + (f" and {len(lines) - 10} more" if len(lines) > 10 else "")
    return UploadRejected(f"{reason} ({shown})", rows=lines[:10], row_count=len(lines))


def _check_formulas(frame: pd.DataFrame, offset: int) -> None:
    for name in frame.columns:
        col = frame[name]
        if col.dtype != object and not pd.api.types.is_string_dtype(col):
            continue
        text = col.astype("string")
        starts = text.str.match(_FORMULA_START).fillna(False).to_numpy(dtype=bool)
        if not starts.any():
            continue
        numeric = pd.to_numeric(text.str.strip(), errors="coerce").notna().to_numpy()
        formula = starts & ~numeric
        if formula.any():
            raise _reject_rows(f"formula-like cells in column '{name}'", formula, offset)


def _numbers(col: pd.Series, name: str, offset: int) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        return np.asarray(col, dtype="float64")
    text = col.astype("string").str.strip()
    values = pd.to_numeric(text, errors="coerce")
    bad = (values.isna() & text.notna() & (text != "")).to_numpy(dtype=bool)
    if bad.any():
        raise _reject_rows(f"text in numeric column '{name}'", bad, offset)
    return np.asarray(values, dtype="float64")


def _timestamps(col: pd.Series, name: str, offset: int) -> tuple[pd.DatetimeIndex, list[str]]:
    """UTC instants and local wall times: daily bars keep their local date (see resample.normalise_index)."""
    if isinstance(col.dtype, pd.DatetimeTZDtype):
        return pd.DatetimeIndex(col), []
    if pd.api.types.is_datetime64_dtype(col):
        return pd.DatetimeIndex(col).tz_localize("UTC"), ["timestamps had no time zone; read as UTC"]
    if pd.api.types.is_numeric_dtype(col):
        seconds = np.asarray(col, dtype="float64")
        unit = "ms" if np.nanmedian(np.abs(seconds)) > 1e11 else "s"
        return pd.DatetimeIndex(pd.to_datetime(seconds, unit=unit, utc=True, errors="coerce")), [
            f"numeric timestamps read as Unix epoch {'milliseconds' if unit == 'ms' else 'seconds'}"
        ]
    text = col.astype("string").str.strip()
    parts = text.str.extract(_TZ_SUFFIX)
    has_zone = parts[1].notna()
    local_text = parts[0].where(has_zone, text)
    local = pd.to_datetime(local_text, errors="coerce", format="mixed")
    bad = (local.isna() & text.notna()).to_numpy(dtype=bool) | text.isna().to_numpy(dtype=bool)
    if bad.any():
        raise _reject_rows(f"unreadable timestamps in column '{name}'", bad, offset)
    if not has_zone.any():
        return pd.DatetimeIndex(local).tz_localize("UTC"), ["timestamps had no time zone; read as UTC"]
    instants = pd.to_datetime(text, errors="coerce", utc=True, format="mixed")
    local_index = pd.DatetimeIndex(local)
    spacing = classify_spacing(local_index.sort_values())
    if spacing is not None and is_daily_or_coarser(spacing):
        return local_index.tz_localize("UTC"), ["daily timestamps with a time zone: kept their local dates"]
    return pd.DatetimeIndex(instants), []


def _to_frame(raw: pd.DataFrame, offset: int) -> ParsedUpload:
    if len(raw.columns) > MAX_COLUMNS:
        raise UploadRejected(f"{len(raw.columns)} columns; at most {MAX_COLUMNS} are accepted")
    if raw.empty:
        raise UploadRejected("the file has no rows")
    picked, notes = _pick_columns([str(c) for c in raw.columns])
    raw.columns = [str(c) for c in raw.columns]
    _check_formulas(raw, offset)
    index, ts_notes = _timestamps(raw[picked["timestamp"]], picked["timestamp"], offset)
    notes += ts_notes
    data = {c: _numbers(raw[picked[c]], picked[c], offset) for c in COLUMNS if c in picked}
    if "volume" not in data:
        data["volume"] = np.zeros(len(raw))
        notes.append("no volume column: volume set to 0")
    frame = pd.DataFrame(data, index=index)
    interval = classify_spacing(frame.index.sort_values().unique())
    frame = canonical(normalise_index(frame, interval or "1h"))
    return ParsedUpload(
        frame=frame, interval=interval, notes=notes, columns=picked, source_columns=list(raw.columns)
    )


def parse_csv(data: bytes, *, max_rows: int) -> ParsedUpload:
    try:
        raw = pd.read_csv(
            io.BytesIO(data), dtype=str, nrows=max_rows + 1, skipinitialspace=True, keep_default_na=True
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        raise UploadRejected(f"not a readable CSV file: {str(exc)[:200]}") from exc
    if len(raw) > max_rows:
        raise UploadTooLarge(f"more than {max_rows:,} rows", limit=max_rows)
    # Line numbers as a spreadsheet shows them: the header is line 1.
    return _to_frame(raw, offset=2)


def parse_parquet(data: bytes, *, max_rows: int) -> ParsedUpload:
    try:
        pf = pq.ParquetFile(pa.BufferReader(data))
        meta = pf.metadata
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise UploadRejected(f"not a readable Parquet file: {str(exc)[:200]}") from exc
    if meta.num_rows > max_rows:
        raise UploadTooLarge(f"{meta.num_rows:,} rows; at most {max_rows:,} are accepted", limit=max_rows)
    if meta.num_columns > MAX_COLUMNS:
        raise UploadRejected(f"{meta.num_columns} columns; at most {MAX_COLUMNS} are accepted")
    budget = max(max_rows, 1_000) * DECODED_BYTES_PER_ROW
    declared = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    if declared > budget:
        raise UploadTooLarge(
            f"decodes to {declared:,} bytes (limit {budget:,}): refused before decoding", limit=budget
        )
    tables = []
    decoded = 0
    try:
        for i in range(meta.num_row_groups):
            table = pf.read_row_group(i)
            # The footer could lie; count what was actually decoded too.
            decoded += table.nbytes
            if decoded > budget or table.num_rows > max_rows:
                raise UploadTooLarge(f"decodes to more than {budget:,} bytes", limit=budget)
            tables.append(table)
        raw = pa.concat_tables(tables).to_pandas(ignore_metadata=True) if tables else pd.DataFrame()
    except UploadTooLarge:
        raise
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise UploadRejected(f"not a readable Parquet file: {str(exc)[:200]}") from exc
    if len(raw) > max_rows:
        raise UploadTooLarge(f"more than {max_rows:,} rows", limit=max_rows)
    # Parquet has no lines; name rows from 1.
    return _to_frame(raw, offset=1)


def parse_upload(data: bytes, filename: str, *, max_bytes: int, max_rows: int) -> ParsedUpload:
    if len(data) > max_bytes:
        raise UploadTooLarge(f"file larger than {max_bytes:,} bytes", limit=max_bytes)
    if not data:
        raise UploadRejected("the file is empty")
    if data[:4] == b"PAR1" or filename.lower().endswith((".parquet", ".pq")):
        return parse_parquet(data, max_rows=max_rows)
    if filename.lower().endswith((".csv", ".txt")) or not filename:
        return parse_csv(data, max_rows=max_rows)
    raise UploadRejected(f"unsupported file type '{filename[-20:]}': send a .csv or .parquet file")


def safe_filename(name: str | None) -> str:
    """The base name, with only harmless characters and no leading formula character."""
    base = re.split(r"[\\/]", name or "upload")[-1]
    base = re.sub(r"[^\w.\- ()]", "_", base).lstrip("=+-@ ")[:200]
    return base or "upload"
