"""Position sizing: how many units an entry buys or sells.

The engine sizes every entry at its fill, from the reference price (before
slippage), current equity and the entry's stop, then caps the quantity by what
cash (or, for a short, free cash as margin) pays for after fees. The helpers
here turn a sizing model from :mod:`~aitrader_core.backtest.config` into the
engine's ``(mode, values)`` pair, and hold the numba pieces of the arithmetic.

Examples
--------
>>> round(kelly_fraction(0.55, 1.5), 12)  # p - (1 - p) / b
0.25
>>> kelly_fraction(0.55, 1.5, multiplier=0.5, cap=0.1)
0.1
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from numba import njit

from aitrader_core.backtest.config import (
    FixedNotional,
    FixedQuantity,
    Kelly,
    PercentCash,
    PercentEquity,
    RiskPerTrade,
    Sizing,
    VolTarget,
)

FloatArray = npt.NDArray[np.float64]

# Engine sizing modes.
SIZE_AMOUNT = 0
SIZE_VALUE = 1
SIZE_PCT_CASH = 2
SIZE_PCT_EQUITY = 3
SIZE_RISK = 4
SIZE_KELLY = 5


@njit(cache=True, nogil=True)
def entry_quantity(
    mode: int, value: float, ref_px: float, equity: float, stop_level: float, kelly_f: float
) -> float:
    """Units wanted by an entry before the cash cap (NaN: cannot size; ``inf``: all in).

    Examples
    --------
    >>> entry_quantity(SIZE_RISK, 0.01, 100.0, 10_000.0, 98.0, 0.0)  # 100 risked / 2
    50.0
    >>> entry_quantity(SIZE_PCT_EQUITY, 0.5, 100.0, 10_000.0, np.nan, 0.0)
    50.0
    """
    if mode == SIZE_AMOUNT:
        return value
    if mode == SIZE_VALUE:
        return value / ref_px
    if mode == SIZE_PCT_CASH:
        return np.inf
    if mode == SIZE_PCT_EQUITY:
        return value * equity / ref_px
    if mode == SIZE_RISK:
        dist = abs(ref_px - stop_level)
        if not dist > 0.0:
            return np.nan
        return value * equity / dist
    if mode == SIZE_KELLY:
        return kelly_f * equity / ref_px
    return np.nan


@njit(cache=True, nogil=True)
def kelly_estimate(
    n_trades: float,
    n_wins: float,
    sum_win: float,
    sum_loss: float,
    multiplier: float,
    cap: float,
    min_trades: float,
    fallback: float,
) -> float:
    """Kelly fraction from closed-trade statistics (``fallback`` until enough trades).

    ``sum_win`` and ``sum_loss`` are sums of winning returns and of the
    absolute losing returns.

    Examples
    --------
    >>> round(kelly_estimate(10, 6, 0.6, 0.2, 1.0, 1.0, 5, 0.1), 6)  # p=.6, b=.1/.05=2
    0.4
    """
    n_loss = n_trades - n_wins
    if n_trades < min_trades or n_wins == 0 or n_loss == 0 or sum_loss <= 0.0:
        return fallback
    p = n_wins / n_trades
    b = (sum_win / n_wins) / (sum_loss / n_loss)
    f = multiplier * (p - (1.0 - p) / b)
    return min(max(f, 0.0), cap)


@njit(cache=True, nogil=True)
def wilder_atr(high: FloatArray, low: FloatArray, close: FloatArray, period: int) -> FloatArray:
    """Average true range with Wilder smoothing, as TA-Lib's ``ATR`` (NaN warm-up).

    The first value (bar ``period``) is the mean of the first ``period`` true
    ranges (from bar 1, which has a previous close); then
    ``atr = (atr * (period - 1) + tr) / period``.

    Examples
    --------
    >>> h = np.array([3.0, 4.0, 5.0, 6.0]); lo = h - 1.0
    >>> wilder_atr(h, lo, h - 0.5, 2)
    array([nan, nan, 1.5, 1.5])
    """
    n = close.shape[0]
    out = np.full(n, np.nan)
    if n <= period:
        return out
    acc = 0.0
    for i in range(1, period + 1):
        acc += max(high[i], close[i - 1]) - min(low[i], close[i - 1])
    value = acc / period
    out[period] = value
    for i in range(period + 1, n):
        tr = max(high[i], close[i - 1]) - min(low[i], close[i - 1])
        value = (value * (period - 1) + tr) / period
        out[i] = value
    return out


def kelly_fraction(
    win_rate: float, payoff: float, *, multiplier: float = 1.0, cap: float = 1.0
) -> float:
    """Capped Kelly fraction ``multiplier * (p - (1 - p) / b)`` clipped to ``[0, cap]``."""
    f = multiplier * (win_rate - (1.0 - win_rate) / payoff)
    return float(min(max(f, 0.0), cap))


def realised_vol(
    close: FloatArray,
    high: FloatArray,
    low: FloatArray,
    *,
    source: str,
    lookback: int,
    periods_per_year: float,
) -> FloatArray:
    """Annualised realised volatility per bar, known at that bar's close (NaN in warm-up).

    ``returns``: sample standard deviation of log returns over ``lookback``
    bars; ``atr``: Wilder ATR over ``lookback`` bars divided by the close.

    Examples
    --------
    >>> c = np.array([100.0, 101.0, 100.0, 101.0, 100.0])
    >>> v = realised_vol(c, c, c, source="returns", lookback=3, periods_per_year=365)
    >>> bool(np.isnan(v[:3]).all()), round(float(v[-1]), 4)
    (True, 0.2195)
    """
    close = np.asarray(close, dtype=np.float64)
    if source == "atr":
        per_bar = wilder_atr(np.asarray(high, np.float64), np.asarray(low, np.float64), close,
                             lookback) / close  # fmt: skip
    else:
        logret = np.full(close.shape, np.nan)
        logret[1:] = np.diff(np.log(close))
        per_bar = np.full(close.shape, np.nan)
        if len(close) > lookback:
            windows = np.lib.stride_tricks.sliding_window_view(logret[1:], lookback)
            per_bar[lookback:] = windows.std(axis=1, ddof=1)
    return np.asarray(per_bar * math.sqrt(periods_per_year))


def size_plan(
    sizing: Sizing,
    close: FloatArray,
    high: FloatArray,
    low: FloatArray,
    periods_per_year: float | None,
) -> tuple[int, FloatArray]:
    """The engine's sizing mode and per-bar values (length 1 when constant).

    Values are read at the signal bar, so a volatility target uses only data
    known at the decision.
    """
    one = np.ones(1)
    if isinstance(sizing, FixedQuantity):
        return SIZE_AMOUNT, one * sizing.qty
    if isinstance(sizing, FixedNotional):
        return SIZE_VALUE, one * sizing.notional
    if isinstance(sizing, PercentEquity):
        return SIZE_PCT_EQUITY, one * sizing.fraction
    if isinstance(sizing, PercentCash):
        return SIZE_PCT_CASH, one * sizing.fraction
    if isinstance(sizing, RiskPerTrade):
        return SIZE_RISK, one * sizing.risk
    if isinstance(sizing, Kelly):
        if sizing.win_rate is not None and sizing.payoff is not None:
            f = kelly_fraction(
                sizing.win_rate, sizing.payoff, multiplier=sizing.multiplier, cap=sizing.cap
            )
            return SIZE_PCT_EQUITY, one * f
        return SIZE_KELLY, one * 0.0
    if isinstance(sizing, VolTarget):
        ppy = sizing.periods_per_year or periods_per_year
        if ppy is None:
            raise ValueError("VolTarget needs periods_per_year (bars' timeframe is unknown)")
        vol = realised_vol(
            close, high, low, source=sizing.source, lookback=sizing.lookback, periods_per_year=ppy
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = np.minimum(sizing.target_vol / vol, sizing.max_fraction)
        # Warm-up (unknown volatility): no position rather than a guess.
        return SIZE_PCT_EQUITY, np.where(np.isfinite(frac), frac, 0.0)
    raise TypeError(f"unknown sizing model {sizing!r}")
