"""POST /paper/backtest: the same backtest as the CLI and notebooks, over HTTP."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel

from aitrader_core.research import BacktestRequest
from service.deps import Core
from service.errors import ERROR_RESPONSES

router = APIRouter(tags=["paper"])


class BacktestOut(BaseModel):
    """Metrics, trades and the equity curve of a backtest."""

    exchange: str
    symbol: str
    timeframe: str
    metrics: dict[str, Any]
    trades: list[dict[str, Any]]
    equity: list[dict[str, Any]]


@router.post(
    "/paper/backtest",
    response_model=BacktestOut,
    responses={
        200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with ?download="},
        **ERROR_RESPONSES,
    },
)
def paper_backtest(
    body: BacktestRequest,
    core: Core,
    download: Literal["trades.csv", "equity.csv", "orders.csv"] | None = Query(
        default=None, description="return one table as CSV instead of JSON"
    ),
) -> Any:
    """Backtest an ensemble or a strategy on stored candles (422 names each bad field)."""
    run = core.run_backtest(body)
    if download is not None:
        table = run.result.tables()[download.removesuffix(".csv")]
        return Response(
            table.to_csv(index=False),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{download}"'},
        )
    return BacktestOut(
        exchange=run.key.exchange,
        symbol=run.key.symbol,
        timeframe=run.key.timeframe,
        **run.payload(),
    )
