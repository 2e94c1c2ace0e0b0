"""GET /analysis: sentiment-aware market analysis of a stored series, with its trace."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from service.deps import Core
from service.errors import ERROR_RESPONSES
from service.routers.ohlcv import Exchange, Symbol, TimeBound, Timeframe

router = APIRouter(tags=["analysis"])


@router.get("/analysis", responses=ERROR_RESPONSES)
def get_analysis(
    core: Core,
    symbol: Symbol,
    timeframe: Timeframe,
    slow_timeframe: Annotated[
        str, Query(min_length=1, max_length=4, examples=["4h"], description="trend timeframe")
    ] = "4h",
    exchange: Exchange = "binance",
    as_of: TimeBound = None,
) -> dict[str, Any]:
    """Score in [−1, 1], buy/sell/hold, confidence, regimes, levels and the trace.

    Bars come from the store (the slow timeframe is resampled from the fast
    one when it is not stored); news enters only if it was received by the
    last bar's close. ``as_of`` analyses the series as it stood then.
    """
    return core.news.analyze(
        exchange, symbol, timeframe, slow_timeframe=slow_timeframe, as_of=as_of
    ).to_dict()
