"""The metrics card's numbers: the account's equity curve and its risk figures, from API JSON.

The equity curve is rebuilt by :mod:`aitrader_core.reports.equity` (the same
code as the daily report): the fills in the window are undone from today's
balances to get the balances at the window's start, then replayed over the
bars' closes. Sharpe and volatility come from :mod:`aitrader_core.backtest.metrics`,
annualised by the timeframe.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from aitrader_core.backtest.metrics import annual_volatility, periods_per_year, sharpe
from aitrader_core.domain.market import TIMEFRAMES
from aitrader_core.domain.money import to_decimal
from aitrader_core.domain.orders import Fill, Side
from aitrader_core.reports.equity import bar_close_marks, equity_frame, mark_to_market, roll_back

Grade = Literal["good", "weak", "poor", "n/a"]


class MetricThresholds(BaseModel):
    """Where good ends and poor begins (Sharpe: higher is better; volatility: lower).

    Examples
    --------
    >>> t = MetricThresholds()
    >>> t.sharpe_grade(1.5), t.sharpe_grade(0.3), t.sharpe_grade(-1.0), t.vol_grade(0.45)
    ('good', 'weak', 'poor', 'good')
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    sharpe_good: float = Field(1.0, description="Sharpe at or above: good")
    sharpe_weak: float = Field(0.0, description="Sharpe at or above (below good): weak")
    vol_good: float = Field(0.6, gt=0, description="annual volatility at or below: good")
    vol_weak: float = Field(1.0, gt=0, description="annual volatility at or below: weak")

    def sharpe_grade(self, value: float) -> Grade:
        """good / weak / poor for a Sharpe ratio (n/a when undefined)."""
        if not math.isfinite(value):
            return "n/a"
        if value >= self.sharpe_good:
            return "good"
        return "weak" if value >= self.sharpe_weak else "poor"

    def vol_grade(self, value: float) -> Grade:
        """good / weak / poor for an annualised volatility (n/a when undefined)."""
        if not math.isfinite(value):
            return "n/a"
        if value <= self.vol_good:
            return "good"
        return "weak" if value <= self.vol_weak else "poor"


@dataclass(frozen=True)
class SeriesStats:
    """Sharpe and annualised volatility of one value series over the window."""

    label: str
    returns: int
    ppy: float
    sharpe: float
    volatility: float
    start: str
    end: str


def stats(values: pd.Series, timeframe: str, label: str) -> SeriesStats:
    """Figures of a value series (equity or closes), bar returns annualised by ``timeframe``.

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=4, freq="1h", tz="UTC")
    >>> s = stats(pd.Series([100.0, 101, 100, 102], index=idx), "1h", "BTC/USDT")
    >>> s.returns, s.ppy, round(s.sharpe, 2)
    (3, 8760.0, 41.2)
    """
    returns = values.pct_change().dropna().to_numpy()
    ppy = periods_per_year(timeframe)
    stamp = "%Y-%m-%d %H:%M"
    return SeriesStats(
        label=label,
        returns=len(returns),
        ppy=ppy,
        sharpe=sharpe(returns, ppy),
        volatility=annual_volatility(returns, ppy),
        start=values.index[0].strftime(stamp) if len(values) else "—",
        end=values.index[-1].strftime(stamp) if len(values) else "—",
    )


def closes(rows: list[dict[str, Any]]) -> pd.Series:
    """Closes of ``GET /ohlcv`` rows, indexed by bar open time (epoch ms)."""
    return pd.Series(
        [float(r["close"]) for r in rows], index=[int(r["ts"]) for r in rows], dtype="float64"
    ).sort_index()


def market_closes(rows: list[dict[str, Any]], window: int) -> pd.Series:
    """The last ``window + 1`` closes, indexed by tz-aware UTC bar open time."""
    s = closes(rows).iloc[-(window + 1) :]
    s.index = pd.to_datetime(s.index, unit="ms", utc=True)
    return s


def fill_of(row: dict[str, Any]) -> Fill:
    """A domain Fill from one ``GET /live/trades`` row."""
    return Fill(
        client_id=str(row["client_id"]),
        trade_id=str(row["trade_id"]),
        symbol=str(row["symbol"]),
        side=Side(row["side"]),
        qty=to_decimal(row["qty"]),
        price=to_decimal(row["price"]),
        fee=to_decimal(row.get("fee") or "0"),
        fee_asset=str(row.get("fee_asset") or "USDT"),
        ts_ms=int(row["ts_ms"]),
    )


def account_equity(
    trades: list[dict[str, Any]],
    balance: dict[str, Any],
    bars: dict[str, list[dict[str, Any]]],
    timeframe: str,
    window: int,
    *,
    complete: bool = True,
) -> pd.DataFrame:
    """The account's equity and drawdown at each bar close of the window (float64 frame).

    ``trades``: ``GET /live/trades`` (newest first); ``balance``: ``GET
    /live/balance``; ``bars``: ``GET /ohlcv`` rows per traded symbol. When
    ``complete`` is false (the trades list hit its limit), the window starts
    no earlier than the oldest fill listed, so no missing fill is assumed away.
    """
    step = TIMEFRAMES.get(timeframe)
    if step is None or not bars:
        return equity_frame([])
    marks = bar_close_marks({sym: closes(rows) for sym, rows in bars.items() if rows}, step)
    marks = marks.iloc[-(window + 1) :]
    if marks.empty:
        return equity_frame([])
    fills = [fill_of(t) for t in trades]
    if not complete and fills:
        oldest = min(f.ts_ms for f in fills)
        marks = marks[marks.index > oldest]
        if marks.empty:
            return equity_frame([])
    first = int(marks.index[0])
    inside = [f for f in fills if f.ts_ms >= first]
    now = {str(a["asset"]): to_decimal(a["total"]) for a in balance.get("assets") or []}
    start = roll_back(now, inside)
    quote = str(balance.get("quote") or "USDT")
    points = mark_to_market(inside, marks, start, quote=quote)
    return equity_frame(points)
