"""Uploads and bars through the real `/data` router (`data_client` in tests/api/routes/conftest.py: a
small app of its own; only the signed-in user is faked)."""

from __future__ import annotations

import io
from datetime import date

import httpx
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from app.services.market_data import MarketData
from tests.utils.uploads import ALICE, BOB, yahoo_style_csv


async def post(
    data_client: httpx.AsyncClient, symbol: str, name: str, data: bytes, user: str = ALICE
) -> httpx.Response:
    return await data_client.post(
        "/data/upload", data={"symbol": symbol}, files={"file": (name, data)}, headers={"X-Test-User": user}
    )


async def test_upload_then_read_back_owner_only(data_client: httpx.AsyncClient) -> None:
    data, table = yahoo_style_csv()
    r = await post(data_client, "myco", "prices.csv", data)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["id"].startswith("upl_") and body["symbol"] == "MYCO" and body["rows"] == 60
    assert body["interval"] == "1d"
    assert any("Adj Close" in n for n in body["notes"])

    r = await data_client.get("/data/MYCO/bars", params={"start": "2023-01-01", "end": "2023-12-31"})
    assert r.status_code == 200, r.text
    assert r.headers["X-Data-Source"] == f"upload:{body['id']}"
    rows = r.json()
    assert len(rows) == 60
    # Local session dates survive the New York offset: 2023-01-02 stays 2023-01-02.
    assert rows[0]["timestamp"] == "2023-01-02T00:00:00Z"
    assert rows[-1]["timestamp"] == pd.bdate_range("2023-01-02", periods=60)[-1].strftime(
        "%Y-%m-%dT00:00:00Z"
    )
    np.testing.assert_allclose([x["close"] for x in rows], table["Close"].to_numpy())
    np.testing.assert_allclose([x["volume"] for x in rows], table["Volume"].to_numpy())

    csv = await data_client.get("/data/MYCO/bars", headers={"Accept": "text/csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    back = pd.read_csv(io.StringIO(csv.text))
    assert list(back.columns) == ["timestamp", "open", "high", "low", "close", "volume"] and len(back) == 60

    mine = {s["symbol"]: s for s in (await data_client.get("/data/symbols")).json()}
    assert mine["MYCO"]["provider"] == "upload" and mine["MYCO"]["bars"] == 60
    assert mine["MYCO"]["start"] == "2023-01-02"
    listed = await data_client.get("/data/symbols", headers={"X-Test-User": BOB})
    theirs = {s["symbol"] for s in listed.json()}
    assert "MYCO" not in theirs and {"SPX", "IXIC"} <= theirs
    r = await data_client.get(
        "/data/MYCO/bars", params={"start": "2023-01-01", "end": "2023-12-31"}, headers={"X-Test-User": BOB}
    )
    assert r.status_code == 404 and r.json()["error"] == "UnknownSymbol"

    assert (
        await data_client.delete(f"/data/uploads/{body['id']}", headers={"X-Test-User": BOB})
    ).status_code == 404
    assert (await data_client.delete(f"/data/uploads/{body['id']}")).status_code == 204
    assert (await data_client.get("/data/uploads")).json() == []
    assert (await data_client.delete(f"/data/uploads/{body['id']}")).status_code == 404


async def test_upload_shadows_bundled_symbol_for_its_owner_only(
    data_client: httpx.AsyncClient, small_md: MarketData
) -> None:
    data, _ = yahoo_style_csv()
    assert (await post(data_client, "SPX", "spx.csv", data)).status_code == 201
    mine = await small_md.load("SPX", "1d", date(2023, 1, 1), date(2023, 6, 30), ALICE)
    assert mine.source.startswith("upload:upl_")
    theirs = await small_md.load("SPX", "1d", date(2018, 1, 1), date(2018, 6, 30), BOB)
    assert theirs.source == "bundled:SPX"
    # A second upload of the same symbol replaces the first.
    assert (await post(data_client, "SPX", "spx2.csv", data)).status_code == 201
    assert len((await data_client.get("/data/uploads")).json()) == 1


async def test_parquet_upload(data_client: httpx.AsyncClient) -> None:
    index = pd.date_range("2024-01-01 00:00", periods=48, freq="1h", tz="UTC", name="timestamp")
    f = pd.DataFrame({"open": 1.0, "high": 2.0, "low": 0.5, "close": 1.5, "volume": 3.0}, index=index)
    buf = io.BytesIO()
    f.to_parquet(buf)
    r = await post(data_client, "HOURLY", "h.parquet", buf.getvalue())
    assert r.status_code == 201, r.text
    assert r.json()["interval"] == "1h" and r.json()["rows"] == 48
    day = (
        await data_client.get(
            "/data/HOURLY/bars", params={"interval": "1d", "start": "2024-01-01", "end": "2024-01-02"}
        )
    ).json()
    assert [(d["timestamp"], d["volume"]) for d in day] == [
        ("2024-01-01T00:00:00Z", 72.0),
        ("2024-01-02T00:00:00Z", 72.0),
    ]


def csv_bytes(text: str) -> bytes:
    return text.strip().encode() + b"\n"


GOOD_HEAD = "timestamp,open,high,low,close,volume\n"


@pytest.mark.parametrize(
    ("name", "data", "status", "needle"),
    [
        (
            "a.csv",
            csv_bytes("when,price\n2020-01-01,1\n"),
            422,
            "missing column(s) timestamp, open, high, low",
        ),
        (
            "a.csv",
            csv_bytes(GOOD_HEAD + "2020-01-01,1,2,0.5,1.5,10\n2020-01-02,1,two,0.5,1.5,10"),
            422,
            "text in numeric column 'high' (line 3)",
        ),
        (
            "a.csv",
            csv_bytes(
                GOOD_HEAD + "2020-01-01,1,2,0.5,1.5,10\n2020-01-02,\"=cmd|' /C calc'!A0\",2,0.5,1.5,10"
            ),
            422,
            "formula-like cells in column 'open' (line 3)",
        ),
        (
            "a.csv",
            csv_bytes("timestamp,open,high,low,close,volume,comment\n2020-01-01,1,2,0.5,1.5,10,@SUM(A1:A9)"),
            422,
            "formula-like cells in column 'comment' (line 2)",
        ),
        ("a.csv", csv_bytes(GOOD_HEAD + "yesterday,1,2,0.5,1.5,10"), 422, "unreadable timestamps"),
        (
            "a.csv",
            csv_bytes(GOOD_HEAD + "2020-01-01,1,2,0.5,1.5,10\n2020-01-02,1,0.4,0.5,1.5,10"),
            422,
            "high below low (rows: 2020-01-02)",
        ),
        ("a.csv", b"", 422, "empty"),
        ("a.xlsx", b"PK\x03\x04junk", 422, "unsupported file type"),
        ("a.parquet", b"PAR1 not really", 422, "not a readable Parquet"),
    ],
)
async def test_hostile_uploads_are_rejected_with_a_reason(
    data_client: httpx.AsyncClient, name: str, data: bytes, status: int, needle: str
) -> None:
    r = await post(data_client, "BAD", name, data)
    assert r.status_code == status, r.text
    assert needle in r.json()["detail"]
    assert (await data_client.get("/data/uploads")).json() == []


async def test_negative_numbers_are_not_formulas(data_client: httpx.AsyncClient) -> None:
    r = await post(data_client, "NEG", "a.csv", csv_bytes(GOOD_HEAD + "2020-01-01,-1,2,0.5,1.5,10"))
    assert r.status_code == 422 and "non-positive prices" in r.json()["detail"]


async def test_limits_on_rows_and_bytes(data_client: httpx.AsyncClient, small_md: MarketData) -> None:
    days = pd.bdate_range("2000-01-03", periods=1_001)
    lines = "".join(f"{d:%Y-%m-%d},1,2,0.5,1.5,10\n" for d in days)
    r = await post(data_client, "ROWS", "a.csv", (GOOD_HEAD + lines).encode())
    assert r.status_code == 413 and "more than 1,000 rows" in r.json()["detail"]
    big = GOOD_HEAD.encode() + b"2020-01-01,1,2,0.5,1.5,10\n" * 10_000  # 260 kB > 200 kB
    r = await post(data_client, "BIG", "a.csv", big)
    assert r.status_code == 413 and "larger than 200,000 bytes" in r.json()["detail"]


def parquet_bytes(table: pa.Table, **kwargs: object) -> bytes:
    buf = io.BytesIO()
    pq.write_table(table, buf, **kwargs)
    return buf.getvalue()


async def test_parquet_bombs_are_refused_before_decoding(data_client: httpx.AsyncClient) -> None:
    # 5 million zeros compress to a few kB; the footer's row count gives it away.
    rows = parquet_bytes(
        pa.table(
            {
                "timestamp": pa.array(np.zeros(5_000_000, dtype="int64")),
                "close": pa.array(np.zeros(5_000_000)),
            }
        ),
        compression="zstd",
    )
    assert len(rows) < 200_000
    r = await post(data_client, "BOMB", "a.parquet", rows)
    assert r.status_code == 413 and "5,000,000 rows" in r.json()["detail"]
    # Few rows, each a 2 MB string: tiny on disk, 200 MB decoded.
    wide = parquet_bytes(
        pa.table({"timestamp": ["2020-01-01"] * 100, "open": ["1" * 2_000_000] * 100}), compression="zstd"
    )
    assert len(wide) < 200_000
    r = await post(data_client, "BOMB", "b.parquet", wide)
    assert r.status_code == 413 and "refused before decoding" in r.json()["detail"]


async def test_bars_endpoint_errors(data_client: httpx.AsyncClient) -> None:
    r = await data_client.get("/data/AAPL/bars", params={"start": "2015-01-01", "end": "2015-02-01"})
    assert r.status_code == 404 and "POST /data/upload" in r.json()["detail"]
    r = await data_client.get(
        "/data/SPX/bars", params={"interval": "2h", "start": "2015-01-01", "end": "2015-02-01"}
    )
    assert r.status_code == 422 and r.json()["error"] == "UnsupportedInterval"
    r = await data_client.get("/data/SPX/bars", params={"start": "2015-01-01", "end": "2015-01-31"})
    assert r.status_code == 200 and len(r.json()) == 20 and r.headers["X-Data-Source"] == "bundled:SPX"
