"""Market data endpoints: the symbols a user can run on, their bars, and the user's own uploads."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Form, Header, Query, Response, UploadFile, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from app.api.deps import CurrentUser, MarketDataDep
from app.models.market_data import SymbolInfo, UploadPreview, UploadPublic
from app.services.market_data import UploadTooLarge
from app.services.market_data.resample import INTERVALS

router = APIRouter(prefix="/data", tags=["data"])

MAX_BAR_ROWS = 200_000
_CHUNK = 1 << 20


class BarRow(BaseModel):
    timestamp: str
    open: float
    high: float
    low: float
    close: float
    volume: float


@router.get("/symbols", response_model=list[SymbolInfo])
async def symbols(user: CurrentUser, md: MarketDataDep) -> list[SymbolInfo]:
    """Symbols available to this user: their uploads, the bundled data sets, and cached yfinance data."""
    return await md.list_symbols(user.id)


@router.get(
    "/{symbol}/bars",
    response_model=list[BarRow],
    responses={200: {"content": {"text/csv": {}}, "description": "JSON rows, or CSV when Accept: text/csv"}},
)
async def bars(
    symbol: str,
    user: CurrentUser,
    md: MarketDataDep,
    interval: Annotated[str, Query(description=f"one of {', '.join(INTERVALS)}")] = "1d",
    start: date | None = None,
    end: date | None = None,
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    """Validated bars; without start/end, the whole bundled or uploaded span (else the last 365 days).

    Headers `X-Data-Source` and `X-Content-Hash` say where the bars came from.
    """
    if start is None or end is None:
        default_start, default_end = await md.default_range(symbol, user.id)
        start, end = start or default_start, end or default_end
    loaded = await md.load(symbol, interval, start, end, user.id)
    headers = {"X-Data-Source": loaded.source, "X-Content-Hash": loaded.content_hash}
    frame = loaded.frame.iloc[:MAX_BAR_ROWS].reset_index()
    frame["timestamp"] = frame["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    if accept and "text/csv" in accept:
        return Response(frame.to_csv(index=False), media_type="text/csv", headers=headers)
    return JSONResponse(frame.to_dict(orient="records"), headers=headers)


@router.post("/upload", status_code=status.HTTP_201_CREATED, response_model=UploadPublic)
async def upload(
    user: CurrentUser,
    md: MarketDataDep,
    symbol: Annotated[str, Form(max_length=40)],
    file: Annotated[
        UploadFile, File(description="CSV or Parquet with timestamp, open, high, low, close, volume")
    ],
) -> UploadPublic:
    """Keep a CSV or Parquet file of bars for this user only; the answer lists the repairs made."""
    data = await _read_capped(file, md.max_upload_bytes)
    row, notes = await md.upload(user.id, symbol, file.filename, data)
    return UploadPublic.of(row, notes)


async def _read_capped(file: UploadFile, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := await file.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise UploadTooLarge(f"file larger than {limit:,} bytes", limit=limit)
        chunks.append(chunk)
    return b"".join(chunks)


@router.post("/upload/preview", response_model=UploadPreview)
async def upload_preview(
    user: CurrentUser,
    md: MarketDataDep,
    symbol: Annotated[str, Form(max_length=40)],
    file: Annotated[UploadFile, File(description="CSV or Parquet, as for POST /data/upload")],
) -> UploadPreview:
    """Reads and checks a file as `POST /data/upload` would, keeping nothing: the columns it found, the
    first bars, and the repairs it would make."""
    return await md.preview_upload(symbol, file.filename, await _read_capped(file, md.max_upload_bytes))


@router.get("/uploads", response_model=list[UploadPublic])
async def uploads(user: CurrentUser, md: MarketDataDep) -> list[UploadPublic]:
    return [UploadPublic.of(row) for row in await md.list_uploads(user.id)]


@router.delete("/uploads/{upload_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_upload(upload_id: str, user: CurrentUser, md: MarketDataDep) -> Response:
    await md.delete_upload(user.id, upload_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
