"""Performance metrics, annualised from the bar timeframe (crypto trades 365 days a year).

Return-based metrics follow quantstats' definitions exactly (tested against the
package): Sharpe and volatility use the sample standard deviation, Sortino the
root-mean-square of negative returns over all periods, CAGR the number of bars
over bars-per-year, max drawdown the equity including the starting capital.
Trade-based metrics (win rate, profit factor, expectancy) take per-trade PnL or
returns, with quantstats' definitions applied to that series.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from aitrader_core.domain.market import TIMEFRAMES

_YEAR_MS = 365 * 24 * 3600 * 1000


def periods_per_year(timeframe: str) -> float:
    """Bars in a 365-day year for a ccxt timeframe (``1M``: 12).

    Examples
    --------
    >>> periods_per_year("1h"), periods_per_year("5m"), periods_per_year("1d")
    (8760.0, 105120.0, 365.0)
    """
    if timeframe not in TIMEFRAMES:
        raise ValueError(f"unknown timeframe {timeframe!r}")
    step = TIMEFRAMES[timeframe]
    return 12.0 if step is None else _YEAR_MS / step


def _arr(values: np.ndarray | pd.Series) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    return arr[~np.isnan(arr)]


def total_return(returns: np.ndarray | pd.Series) -> float:
    """Compounded return over the whole series."""
    return float(np.prod(1.0 + _arr(returns)) - 1.0)


def cagr(returns: np.ndarray | pd.Series, ppy: float) -> float:
    """Compound annual growth: ``(1 + total) ** (ppy / n) - 1`` (NaN if wealth < 0).

    Examples
    --------
    >>> round(cagr(np.full(365, 0.001), 365), 6)
    0.440251
    """
    r = _arr(returns)
    if len(r) == 0:
        return math.nan
    wealth = 1.0 + total_return(r)
    if wealth < 0:
        return math.nan
    try:
        return abs(wealth) ** (ppy / len(r)) - 1.0
    except OverflowError:  # a short, explosive run: growth beyond float range
        return math.inf


def annual_volatility(returns: np.ndarray | pd.Series, ppy: float) -> float:
    """Sample standard deviation of returns × √ppy."""
    r = _arr(returns)
    return float(np.std(r, ddof=1) * math.sqrt(ppy)) if len(r) > 1 else math.nan


def sharpe(returns: np.ndarray | pd.Series, ppy: float) -> float:
    """Mean over sample standard deviation × √ppy (risk-free rate 0).

    Examples
    --------
    >>> round(sharpe(np.array([0.01, -0.005, 0.02, 0.0]), 365), 4)
    10.7701
    """
    r = _arr(returns)
    if len(r) < 2:
        return math.nan
    sd = np.std(r, ddof=1)
    return float(np.mean(r) / sd * math.sqrt(ppy)) if sd > 0 else math.nan


def sortino(returns: np.ndarray | pd.Series, ppy: float) -> float:
    """Mean over downside deviation √(Σ r²[r<0] / n) × √ppy."""
    r = _arr(returns)
    if len(r) == 0:
        return math.nan
    downside = math.sqrt(float(np.sum(r[r < 0] ** 2)) / len(r))
    return float(np.mean(r) / downside * math.sqrt(ppy)) if downside > 0 else math.nan


def drawdown(returns: np.ndarray | pd.Series) -> np.ndarray:
    """Drawdown per bar (≤ 0) of the equity 1·Π(1+r), peak including the start."""
    equity = np.cumprod(1.0 + np.nan_to_num(np.asarray(returns, dtype=np.float64)))
    peak = np.maximum.accumulate(np.concatenate([[1.0], equity]))[1:]
    return np.asarray(equity / peak - 1.0)


def max_drawdown(returns: np.ndarray | pd.Series) -> float:
    """Deepest drawdown (a negative fraction, 0 if none)."""
    dd = drawdown(returns)
    return float(min(dd.min(), 0.0)) if len(dd) else 0.0


def max_drawdown_duration(returns: np.ndarray | pd.Series) -> int:
    """Longest run of bars spent below a previous equity peak."""
    under = drawdown(returns) < 0
    longest = run = 0
    for flag in under:
        run = run + 1 if flag else 0
        longest = max(longest, run)
    return longest


def calmar(returns: np.ndarray | pd.Series, ppy: float) -> float:
    """CAGR over the absolute max drawdown."""
    mdd = max_drawdown(returns)
    return cagr(returns, ppy) / abs(mdd) if mdd < 0 else math.nan


def win_rate(trade_results: np.ndarray | pd.Series) -> float:
    """Share of winning trades among trades that did not break even."""
    r = _arr(trade_results)
    decided = r[r != 0]
    return float(np.sum(r > 0) / len(decided)) if len(decided) else 0.0


def profit_factor(trade_results: np.ndarray | pd.Series) -> float:
    """Gross wins over gross losses (inf with no loss, 0 with neither)."""
    r = _arr(trade_results)
    wins, losses = float(r[r >= 0].sum()), abs(float(r[r < 0].sum()))
    if losses == 0:
        return 0.0 if wins == 0 else math.inf
    return wins / losses


def expectancy(trade_pnl: np.ndarray | pd.Series) -> float:
    """Average PnL per trade: win rate × average win − loss rate × average loss."""
    r = _arr(trade_pnl)
    return float(np.mean(r)) if len(r) else 0.0


@dataclass(frozen=True)
class Metrics:
    """The standard report of a return series (and its trades, when given)."""

    timeframe: str
    periods_per_year: float
    bars: int
    total_return: float
    cagr: float
    annual_volatility: float
    sharpe: float
    sortino: float
    calmar: float
    max_drawdown: float
    max_drawdown_bars: int
    exposure: float
    trades: int
    win_rate: float
    profit_factor: float
    expectancy: float
    trades_per_day: float

    def as_dict(self) -> dict[str, float | int | str]:
        """Plain values (NaN and inf kept as floats)."""
        return asdict(self)


def compute_metrics(
    returns: np.ndarray | pd.Series,
    timeframe: str,
    *,
    in_market: np.ndarray | pd.Series | None = None,
    trade_pnl: np.ndarray | pd.Series | None = None,
) -> Metrics:
    """All metrics of per-bar ``returns`` for bars of ``timeframe``.

    ``in_market`` marks bars with an open position (default: non-zero return);
    ``trade_pnl`` is one value per closed trade.

    Examples
    --------
    >>> m = compute_metrics(np.array([0.01, -0.02, 0.0, 0.03]), "1d", trade_pnl=[5.0, -2.0])
    >>> m.trades, m.win_rate, round(m.profit_factor, 2), m.exposure
    (2, 0.5, 2.5, 0.75)
    """
    r = np.nan_to_num(np.asarray(returns, dtype=np.float64))
    ppy = periods_per_year(timeframe)
    mask = (r != 0) if in_market is None else np.asarray(in_market, dtype=bool)
    pnl = np.asarray([] if trade_pnl is None else trade_pnl, dtype=np.float64)
    days = len(r) / ppy * 365 if len(r) else 0.0
    return Metrics(
        timeframe=timeframe,
        periods_per_year=ppy,
        bars=len(r),
        total_return=total_return(r),
        cagr=cagr(r, ppy),
        annual_volatility=annual_volatility(r, ppy),
        sharpe=sharpe(r, ppy),
        sortino=sortino(r, ppy),
        calmar=calmar(r, ppy),
        max_drawdown=max_drawdown(r),
        max_drawdown_bars=max_drawdown_duration(r),
        exposure=float(mask.mean()) if len(mask) else 0.0,
        trades=len(pnl),
        win_rate=win_rate(pnl),
        profit_factor=profit_factor(pnl),
        expectancy=expectancy(pnl),
        trades_per_day=len(pnl) / days if days else 0.0,
    )
