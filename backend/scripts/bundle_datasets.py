"""Copy the real daily data sets that PyPI packages ship into `app/datasets/` (run once; output is committed).

Source: the `arch` package (NCSA licence, (c) Kevin Sheppard), `arch/data/sp500` and `arch/data/nasdaq`:
daily OHLCV of the S&P 500 and the NASDAQ Composite, 1999-01-04 to 2018-12-31.

The files are rewritten in our canonical shape (ISO dates, lowercase `open,high,low,close,volume`) and
gzipped with a fixed mtime, so running the script twice gives byte-identical output. `Adj Close` is
dropped: for these price indices it equals `Close` on every row (checked below).

Run from backend/:  ../.venv/bin/python scripts/bundle_datasets.py
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.metadata
import io
import json
from pathlib import Path
from typing import Any

import pandas as pd

OUT = Path(__file__).resolve().parents[1] / "app" / "datasets"

DATASETS: list[dict[str, Any]] = [
    {
        "symbol": "SPX",
        "name": "S&P 500 index",
        "aliases": ["^GSPC", "SP500"],
        "package": "arch",
        "path": "data/sp500/sp500.csv.gz",
    },
    {
        "symbol": "IXIC",
        "name": "NASDAQ Composite index",
        "aliases": ["^IXIC", "NASDAQ"],
        "package": "arch",
        "path": "data/nasdaq/nasdaq.csv.gz",
    },
]


README = """# Bundled market data

Real daily OHLCV used by the offline demo and the tests (`BundledProvider`). Written by
`backend/scripts/bundle_datasets.py`; `manifest.json` lists each file's symbol, aliases, range, row count
and sha256.

| symbol | aliases | what | range | source (PyPI `arch` 8.0.0) | licence |
|---|---|---|---|---|---|
| SPX | ^GSPC, SP500 | S&P 500 index | 1999-01-04..2018-12-31, 5,031 days | `arch/data/sp500` | NCSA |
| IXIC | ^IXIC, NASDAQ | NASDAQ Composite | 1999-01-04..2018-12-31, 5,031 days | `arch/data/nasdaq` | NCSA |

Copyright (c) 2017 Kevin Sheppard; the NCSA licence text is in `LICENSE-arch.md` (it requires the notice
to travel with the data). Index levels are not tradable prices: an index has no dividends in its level and
no ETF costs; `SPY` is deliberately not an alias.
Columns: `date` (exchange session date), `open, high, low, close, volume`. `Adj Close` was dropped: it
equals `Close` on every row of both files.
"""


def _package_file(package: str, rel: str) -> Path:
    dist = importlib.metadata.distribution(package)
    path = Path(str(dist.locate_file(f"{package}/{rel}")))
    if not path.exists():
        raise SystemExit(f"{path} not found: pip install arch==8.0.0 first")
    return path


def _canonical_csv(src: Path) -> tuple[bytes, pd.DataFrame]:
    raw = pd.read_csv(src)
    if not (raw["Adj Close"] == raw["Close"]).all():
        raise SystemExit(f"{src}: Adj Close differs from Close; keep it instead of dropping it")
    frame = pd.DataFrame(
        {
            "date": pd.to_datetime(raw["Date"], format="%m/%d/%Y").dt.strftime("%Y-%m-%d"),
            "open": raw["Open"].astype("float64"),
            "high": raw["High"].astype("float64"),
            "low": raw["Low"].astype("float64"),
            "close": raw["Close"].astype("float64"),
            "volume": raw["Volume"].astype("float64"),
        }
    )
    text = frame.to_csv(index=False, lineterminator="\n")
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, compresslevel=9) as gz:
        gz.write(text.encode())
    return buf.getvalue(), frame


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    manifest = []
    for spec in DATASETS:
        src = _package_file(spec["package"], spec["path"])
        payload, frame = _canonical_csv(src)
        filename = f"{spec['symbol']}.csv.gz"
        (OUT / filename).write_bytes(payload)
        version = importlib.metadata.version(spec["package"])
        manifest.append(
            {
                "symbol": spec["symbol"],
                "name": spec["name"],
                "aliases": spec["aliases"],
                "interval": "1d",
                "file": filename,
                "sha256": hashlib.sha256(payload).hexdigest(),
                "rows": len(frame),
                "start": frame["date"].iloc[0],
                "end": frame["date"].iloc[-1],
                "source": f"PyPI {spec['package']}=={version}, {spec['package']}/{spec['path']}",
                "licence": "NCSA (University of Illinois/NCSA Open Source License), (c) 2017 Kevin Sheppard",
            }
        )
        print(f"{filename}: {len(frame)} rows, {len(payload):,} bytes")
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    # NCSA: redistributions must retain the copyright notice and disclaimers.
    licence = _package_file(
        "arch", "../arch-" + importlib.metadata.version("arch") + ".dist-info/licenses/LICENSE.md"
    )
    (OUT / "LICENSE-arch.md").write_text(licence.read_text())
    (OUT / "README.md").write_text(README)


if __name__ == "__main__":
    main()
