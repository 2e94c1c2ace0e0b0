"""GET /ohlcv (keyset pages), /ohlcv.csv (streamed), /ohlcv/coverage, /ohlcv/series."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from aitrader_core.domain.market import ms_to_iso
from aitrader_core.store import SeriesKey
from service.deps import Core
from service.errors import ERROR_RESPONSES

router = APIRouter(tags=["ohlcv"])

Exchange = Annotated[str, Query(min_length=1, max_length=32, examples=["binance"])]
Symbol = Annotated[str, Query(min_length=1, max_length=64, examples=["BTC/USDT"])]
Timeframe = Annotated[str, Query(min_length=1, max_length=4, examples=["1h"])]
TimeBound = Annotated[
    str | None,
    Query(
        max_length=40,
        description="epoch ms/s or ISO-8601; start inclusive, end exclusive",
        examples=["2023-06-01T00:00:00Z"],
    ),
]


class Candle(BaseModel):
    """One bar; ``ts`` is its open time in epoch ms UTC, ``time`` the same in ISO-8601."""

    ts: int
    time: str
    open: float
    high: float
    low: float
    close: float
    volume: float | None


class CandlePage(BaseModel):
    """A page of bars and the cursor that continues it (``null`` on the last page)."""

    exchange: str
    symbol: str
    timeframe: str
    order: Literal["asc", "desc"]
    rows: list[Candle]
    next_cursor: str | None


class Gap(BaseModel):
    """A run of missing bars, first and last missing open time (epoch ms)."""

    first_missing: int
    last_missing: int


class CoverageOut(BaseModel):
    """Extent and completeness of one series."""

    exchange: str
    symbol: str
    timeframe: str
    count: int
    first_ts: int | None
    last_ts: int | None
    first: str | None
    last: str | None
    expected: int
    missing: int
    gap_count: int
    gaps: list[Gap]


class SeriesOut(BaseModel):
    """A stored series."""

    exchange: str
    symbol: str
    timeframe: str
    count: int
    first_ts: int | None
    last_ts: int | None


@router.get("/ohlcv", response_model=CandlePage, responses=ERROR_RESPONSES)
def get_ohlcv(
    core: Core,
    symbol: Symbol,
    timeframe: Timeframe,
    exchange: Exchange = "binance",
    start: TimeBound = None,
    end: TimeBound = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    order: Literal["asc", "desc"] = "asc",
    cursor: Annotated[str | None, Query(max_length=40)] = None,
) -> CandlePage:
    """Bars of one series; ``order=desc`` gives the latest first. Follow ``next_cursor``."""
    page = core.candles(
        exchange, symbol, timeframe, start=start, end=end, limit=limit, order=order, cursor=cursor
    )
    key = core_key(exchange, symbol, timeframe)
    rows = [
        Candle(
            ts=int(ts),
            time=ms_to_iso(int(ts)),
            open=o,
            high=h,
            low=lo,
            close=c,
            volume=None if v != v else v,
        )
        for ts, o, h, lo, c, v in page.rows.itertuples(index=False, name=None)
    ]
    return CandlePage(
        exchange=key[0],
        symbol=key[1],
        timeframe=key[2],
        order=order,
        rows=rows,
        next_cursor=page.next_cursor,
    )


@router.get(
    "/ohlcv.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "Uniform CSV"}, **ERROR_RESPONSES},
)
def get_ohlcv_csv(
    core: Core,
    symbol: Symbol,
    timeframe: Timeframe,
    exchange: Exchange = "binance",
    start: TimeBound = None,
    end: TimeBound = None,
) -> StreamingResponse:
    """The series as uniform CSV, streamed in constant memory."""
    stream = core.export_csv(exchange, symbol, timeframe, start, end)
    name = "_".join(core_key(exchange, symbol, timeframe)).replace("/", "")
    return StreamingResponse(
        stream,
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


@router.get("/ohlcv/coverage", response_model=CoverageOut, responses=ERROR_RESPONSES)
def get_coverage(
    core: Core, symbol: Symbol, timeframe: Timeframe, exchange: Exchange = "binance"
) -> CoverageOut:
    """First and last bar, count, expected count, and the missing ranges (first 1000)."""
    cov = core.coverage(exchange, symbol, timeframe)
    return CoverageOut(
        exchange=cov.key.exchange,
        symbol=cov.key.symbol,
        timeframe=cov.key.timeframe,
        count=cov.count,
        first_ts=cov.first_ts,
        last_ts=cov.last_ts,
        first=None if cov.first_ts is None else ms_to_iso(cov.first_ts),
        last=None if cov.last_ts is None else ms_to_iso(cov.last_ts),
        expected=cov.expected,
        missing=cov.expected - cov.count,
        gap_count=cov.gap_count,
        gaps=[Gap(first_missing=a, last_missing=b) for a, b in cov.gaps],
    )


@router.get("/ohlcv/series", response_model=list[SeriesOut], responses=ERROR_RESPONSES)
def list_series(core: Core) -> list[SeriesOut]:
    """Every stored series with its bar count and extent."""
    return [SeriesOut(**row) for row in core.series()]


def core_key(exchange: str, symbol: str, timeframe: str) -> tuple[str, str, str]:
    """The normalised (exchange, symbol, timeframe) as stored."""
    key = SeriesKey.of(exchange, symbol, timeframe)
    return key.exchange, key.symbol, key.timeframe
