"""Trend systems: sar, supertrend, ichimoku, linearreg_slope."""

from __future__ import annotations

from typing import Generic, NamedTuple

import numba as nb

from ._core import JIT, JIT_FMA, FloatArray, U, Values, check_float, check_period, indicator, run
from ._kernels import MODE_MIDPOINT, fill_nan, scan_extremes, true_range


class Supertrend(NamedTuple, Generic[Values]):
    """Supertrend line and direction (+1 up-trend, -1 down-trend)."""

    supertrend: Values
    direction: Values


class Ichimoku(NamedTuple, Generic[Values]):
    """Ichimoku lines, each aligned at the bar whose data computed it (no look-ahead)."""

    tenkan: Values
    kijun: Values
    senkou_a: Values
    senkou_b: Values
    chikou: Values


@nb.njit(**JIT_FMA)
def _sar(
    high: FloatArray, low: FloatArray, acceleration: float, maximum: float, out: FloatArray
) -> None:
    size = high.shape[0]
    fill_nan(out, 1)
    if size < 2:
        return
    af = acceleration
    if af > maximum:
        acceleration = maximum
        af = maximum
    # Initial direction from the first bar's -DM: short when the low fell more than the high rose.
    diff_p = high[1] - high[0]
    diff_m = low[0] - low[1]
    is_long = not (diff_m > 0 and diff_p < diff_m)
    if is_long:
        ep = high[1]
        sar = low[0]
    else:
        ep = low[1]
        sar = high[0]
    new_low = low[1]
    new_high = high[1]
    for today in range(1, size):
        prev_low = new_low
        prev_high = new_high
        new_low = low[today]
        new_high = high[today]
        if is_long:
            if new_low <= sar:
                is_long = False
                sar = ep
                if sar < prev_high:
                    sar = prev_high
                if sar < new_high:
                    sar = new_high
                out[today] = sar
                af = acceleration
                ep = new_low
                sar = sar + af * (ep - sar)
                if sar < prev_high:
                    sar = prev_high
                if sar < new_high:
                    sar = new_high
            else:
                out[today] = sar
                if new_high > ep:
                    ep = new_high
                    af += acceleration
                    if af > maximum:
                        af = maximum
                sar = sar + af * (ep - sar)
                if sar > prev_low:
                    sar = prev_low
                if sar > new_low:
                    sar = new_low
        elif new_high >= sar:
            is_long = True
            sar = ep
            if sar > prev_low:
                sar = prev_low
            if sar > new_low:
                sar = new_low
            out[today] = sar
            af = acceleration
            ep = new_high
            sar = sar + af * (ep - sar)
            if sar > prev_low:
                sar = prev_low
            if sar > new_low:
                sar = new_low
        else:
            out[today] = sar
            if new_low < ep:
                ep = new_low
                af += acceleration
                if af > maximum:
                    af = maximum
            sar = sar + af * (ep - sar)
            if sar < prev_high:
                sar = prev_high
            if sar < new_high:
                sar = new_high


@indicator("high", "low")
def sar(high: Values, low: Values, acceleration: float = 0.02, maximum: float = 0.2) -> Values:
    """Parabolic SAR (TA-Lib ``SAR``).

    The first bar only seeds the stop: the initial trend is short when the
    second bar's low fell more than its high rose (TA-Lib's -DM test), and the
    first extreme point is that bar's high (long) or low (short). The stop then
    moves ``af * (ep - sar)`` per bar, ``af`` growing by ``acceleration`` at each
    new extreme up to ``maximum``, and never enters the last two bars' range.

    Parameters
    ----------
    high, low
        Price series.
    acceleration
        Acceleration-factor step (>= 0).
    maximum
        Acceleration-factor cap (>= 0).

    Returns
    -------
    SAR with one NaN warm-up bar.

    Examples
    --------
    >>> import numpy as np
    >>> h = np.array([2.0, 3.0, 4.0, 5.0]); lo = h - 1.0
    >>> sar(h, lo)
    array([   nan, 1.    , 1.04  , 1.1584])
    """
    acc = check_float("acceleration", acceleration)
    return run(_sar, high.shape[0], high, low, acc, check_float("maximum", maximum))


@nb.njit(**JIT_FMA)
def _supertrend(
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    n: int,
    mult: float,
    line: FloatArray,
    direction: FloatArray,
) -> None:
    size = close.shape[0]
    fill_nan(line, n)
    fill_nan(direction, n)
    if size <= n:
        return
    total = 0.0
    for i in range(1, n + 1):
        total += true_range(high[i], low[i], close[i - 1])
    atr = total / n
    beta = (n - 1) / n
    alpha = 1.0 - beta
    mid = (high[n] + low[n]) / 2.0
    up = mid - mult * atr
    dn = mid + mult * atr
    trend = 1.0
    line[n] = up
    direction[n] = trend
    for i in range(n + 1, size):
        u = U(i)  # unsigned indices: no wraparound code (see _core.U)
        prev_close = close[U(i - 1)]
        atr = alpha * true_range(high[u], low[u], prev_close) + beta * atr
        mid = (high[u] + low[u]) / 2.0
        basic_up = mid - mult * atr
        basic_dn = mid + mult * atr
        prev_up = up
        prev_dn = dn
        # A band only tightens while price stays on its side of it.
        up = max(basic_up, prev_up) if prev_close > prev_up else basic_up
        dn = min(basic_dn, prev_dn) if prev_close < prev_dn else basic_dn
        c = close[u]
        flip_up = (trend < 0) & (c > prev_dn)
        flip_down = (trend > 0) & (c < prev_up)
        trend = 1.0 if flip_up else (-1.0 if flip_down else trend)
        line[u] = up if trend > 0 else dn
        direction[u] = trend


@indicator("high", "low", "close")
def supertrend(
    high: Values, low: Values, close: Values, timeperiod: int = 10, multiplier: float = 3.0
) -> Supertrend[Values]:
    """Supertrend (TradingView definition, on Wilder's ATR).

    Basic bands are ``(high + low) / 2 -/+ multiplier * ATR``. The lower band
    only rises while the previous close is above it, the upper band only falls
    while the previous close is below it. The trend starts up and flips down
    when the close drops below the previous lower band, up when it rises above
    the previous upper band; the line is the lower band in an up-trend, the
    upper band in a down-trend.

    Parameters
    ----------
    high, low, close
        Price series.
    timeperiod
        ATR period (>= 1).
    multiplier
        Band width in ATRs (>= 0).

    Returns
    -------
    Supertrend
        ``(supertrend, direction)``; ``direction`` is +1.0 or -1.0. Both NaN for
        ``timeperiod`` bars.

    Examples
    --------
    >>> import numpy as np
    >>> h = np.array([3.0, 4.0, 5.0, 6.0]); lo = h - 1.0
    >>> supertrend(h, lo, h - 0.5, timeperiod=2, multiplier=1.0).supertrend
    array([nan, nan,  3.,  4.])
    """
    n = check_period("timeperiod", timeperiod)
    mult = check_float("multiplier", multiplier)
    return Supertrend(*run(_supertrend, close.shape[0], high, low, close, n, mult, outputs=2))


@nb.njit(**JIT)
def _ichimoku(
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    t: int,
    k: int,
    b: int,
    tenkan: FloatArray,
    kijun: FloatArray,
    senkou_a: FloatArray,
    senkou_b: FloatArray,
    chikou: FloatArray,
) -> None:
    size = close.shape[0]
    fill_nan(tenkan, t - 1)
    fill_nan(kijun, k - 1)
    fill_nan(senkou_b, b - 1)
    scan_extremes(high, low, close, t, MODE_MIDPOINT, tenkan, tenkan)
    scan_extremes(high, low, close, k, MODE_MIDPOINT, kijun, kijun)
    scan_extremes(high, low, close, b, MODE_MIDPOINT, senkou_b, senkou_b)
    for i in range(size):
        senkou_a[i] = (tenkan[i] + kijun[i]) / 2.0
        chikou[i] = close[i]


@indicator("high", "low", "close")
def ichimoku(
    high: Values,
    low: Values,
    close: Values,
    tenkan_period: int = 9,
    kijun_period: int = 26,
    senkou_b_period: int = 52,
) -> Ichimoku[Values]:
    """Ichimoku kinko hyo, every line aligned at the bar that computed it.

    * ``tenkan`` / ``kijun`` / ``senkou_b``: mid-point of the highest high and
      lowest low over ``tenkan_period`` / ``kijun_period`` / ``senkou_b_period``
      bars ending at ``t``.
    * ``senkou_a = (tenkan + kijun) / 2`` at ``t``.
    * ``chikou`` is the close at ``t``.

    No line looks ahead: the value at ``t`` uses bars ``<= t`` only. Charts
    *plot* the senkou spans ``kijun_period`` bars forward (shift the arrays
    right by 26 for the cloud in force at a bar) and the chikou span 26 bars
    back (``close[t]`` drawn at ``t - 26``); that plotted chikou form reads the
    future and is deliberately not returned.

    Parameters
    ----------
    high, low, close
        Price series.
    tenkan_period, kijun_period, senkou_b_period
        Windows (>= 1).

    Returns
    -------
    Ichimoku
        ``(tenkan, kijun, senkou_a, senkou_b, chikou)``.

    Examples
    --------
    >>> import numpy as np
    >>> h = np.array([2.0, 4.0, 6.0]); lo = h - 2.0
    >>> ichimoku(h, lo, h - 1.0, tenkan_period=1, kijun_period=2, senkou_b_period=3).senkou_a
    array([nan, 2.5, 4.5])
    """
    return Ichimoku(
        *run(
            _ichimoku,
            close.shape[0],
            high,
            low,
            close,
            check_period("tenkan_period", tenkan_period),
            check_period("kijun_period", kijun_period),
            check_period("senkou_b_period", senkou_b_period),
            outputs=5,
        )
    )


@nb.njit(**JIT)
def _linreg_slope(x: FloatArray, n: int, out: FloatArray) -> None:
    # O(1) sliding sums (TA-Lib's recurrence), rebuilt from the window every 8 * n
    # bars so rounding residue stays bounded on long series.
    size = x.shape[0]
    fill_nan(out, n - 1)
    if size < n:
        return
    sum_x = n * (n - 1) * 0.5
    sum_x_sqr = float(n * (n - 1) * (2 * n - 1) // 6)
    divisor = sum_x * sum_x - n * sum_x_sqr
    sum_xy = 0.0
    sum_y = 0.0
    countdown = 0
    for today in range(n - 1, size):
        if countdown <= 0:
            countdown = 8 * n
            sum_xy = 0.0
            sum_y = 0.0
            for i in range(n - 1, -1, -1):
                v = x[today - i]
                sum_y += v
                sum_xy += i * v
        else:
            trailing = x[today - n]
            sum_xy = sum_xy + sum_y - n * trailing
            sum_y = sum_y - trailing + x[today]
        countdown -= 1
        out[today] = (n * sum_xy - sum_x * sum_y) / divisor


@indicator("close")
def linearreg_slope(close: Values, timeperiod: int = 14) -> Values:
    """Slope of the least-squares line through the last ``timeperiod`` values (TA-Lib
    ``LINEARREG_SLOPE``), in price units per bar.

    Parameters
    ----------
    close
        Price series.
    timeperiod
        Window length (>= 2).

    Returns
    -------
    Slope with ``timeperiod - 1`` NaN warm-up bars.

    Examples
    --------
    >>> import numpy as np
    >>> linearreg_slope(np.array([1.0, 3.0, 5.0, 6.0]), timeperiod=3)
    array([nan, nan, 2. , 1.5])
    """
    return run(_linreg_slope, close.shape[0], close, check_period("timeperiod", timeperiod, 2))
