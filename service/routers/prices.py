"""POST /prices/store: JSON candles into the store (all or nothing)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from service.deps import Core
from service.errors import ERROR_RESPONSES

router = APIRouter(tags=["prices"])


class CandleIn(BaseModel):
    """One candle; ``ts`` is the bar-open time as epoch s/ms or ISO-8601."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    ts: (
        Annotated[StrictInt, Field(ge=0, le=10**17)]
        | Annotated[StrictStr, Field(min_length=1, max_length=40)]
    )
    open: float = Field(gt=0)
    high: float = Field(gt=0)
    low: float = Field(gt=0)
    close: float = Field(gt=0)
    volume: float | None = Field(default=None, ge=0)


class StoreRequest(BaseModel):
    """A batch of candles of one series."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "exchange": "binance",
                    "symbol": "BTC/USDT",
                    "timeframe": "1h",
                    "candles": [
                        {
                            "ts": "2024-03-01T00:00:00Z",
                            "open": 61130.99,
                            "high": 61500.0,
                            "low": 61000.0,
                            "close": 61400.5,
                            "volume": 1234.5,
                        },
                    ],
                }
            ]
        },
    )

    exchange: str = Field(default="binance", min_length=1, max_length=32)
    symbol: str = Field(min_length=1, max_length=64, examples=["BTC/USDT"])
    timeframe: str = Field(min_length=1, max_length=4, examples=["1h"])
    candles: list[CandleIn] = Field(min_length=1, max_length=10_000)


class StoreResult(BaseModel):
    """Counts of what the batch did."""

    exchange: str
    symbol: str
    timeframe: str
    inserted: int
    updated: int
    unchanged: int
    rejected: int


@router.post("/prices/store", response_model=StoreResult, responses=ERROR_RESPONSES)
def store_prices(body: StoreRequest, core: Core) -> StoreResult:
    """Validate and upsert candles. Any invalid row rejects the whole batch (422)."""
    report = core.store_candles(
        body.exchange, body.symbol, body.timeframe, [c.model_dump() for c in body.candles]
    )
    return StoreResult(
        exchange=report.key.exchange,
        symbol=report.key.symbol,
        timeframe=report.key.timeframe,
        inserted=report.inserted,
        updated=report.updated,
        unchanged=report.unchanged,
        rejected=report.rejected,
    )
