"""The upload dialog's preview (`POST /data/upload/preview`): the columns found, the first bars and the
validation report, with nothing kept; and the timeframes each symbol can be run at."""

from __future__ import annotations

import io

import httpx
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from tests.utils.uploads import yahoo_style_csv


async def _preview(data_client: httpx.AsyncClient, name: str, data: bytes) -> httpx.Response:
    files = {"file": (name, data)}
    return await data_client.post("/data/upload/preview", data={"symbol": "myco"}, files=files)


async def test_a_csv_preview_shows_columns_first_bars_and_notes(data_client: httpx.AsyncClient) -> None:
    data, table = yahoo_style_csv(60)
    response = await _preview(data_client, "prices.csv", data)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["symbol"] == "MYCO" and body["filename"] == "prices.csv"
    assert body["source_columns"] == list(table.columns)
    expected = {"timestamp": "Date", "open": "Open", "high": "High", "low": "Low", "close": "Close"}
    assert body["columns"] == {**expected, "volume": "Volume"}
    assert body["interval"] == "1d" and body["rows"] == 60
    assert len(body["head"]) == 10
    assert [row["close"] for row in body["head"]] == table["Close"].head(10).tolist()
    assert body["head"][0]["timestamp"] == "2023-01-02T00:00:00Z"  # the session date, in UTC
    assert body["first_bar"].startswith("2023-01-02") and body["last_bar"].startswith(
        table["Date"].iloc[-1][:10]
    )
    assert any("Adj Close" in note for note in body["notes"])
    # nothing was kept
    assert (await data_client.get("/data/uploads")).json() == []
    assert "MYCO" not in {s["symbol"] for s in (await data_client.get("/data/symbols")).json()}


async def test_a_parquet_preview(data_client: httpx.AsyncClient) -> None:
    _, table = yahoo_style_csv(30)
    frame = table.drop(columns=["Adj Close"]).assign(Date=pd.to_datetime(table["Date"].str[:10], utc=True))
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), buffer)
    response = await _preview(data_client, "prices.parquet", buffer.getvalue())
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["rows"] == 30 and body["columns"]["close"] == "Close"
    assert [row["open"] for row in body["head"][:3]] == frame["Open"].head(3).tolist()


async def test_a_file_it_cannot_use_is_refused_with_the_reason(data_client: httpx.AsyncClient) -> None:
    response = await _preview(data_client, "bad.csv", b"Date,Open,High\n2024-01-02,1,2\n")
    assert response.status_code == 422
    assert "missing column(s) low, close" in response.json()["detail"]


async def test_symbols_say_which_timeframes_their_data_can_give(data_client: httpx.AsyncClient) -> None:
    symbols = {s["symbol"]: s for s in (await data_client.get("/data/symbols")).json()}
    spx = symbols["SPX"]
    assert spx["interval"] == "1d" and spx["timeframes"] == ["1d", "1wk", "1mo"]
    assert spx["start"] <= "1999-01-05" and spx["end"] >= "2018-12-28"
