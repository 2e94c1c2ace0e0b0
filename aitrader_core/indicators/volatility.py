"""Volatility: trange, atr, natr, stddev, bbands, keltner, donchian, historical_volatility."""

from __future__ import annotations

import math
from typing import Generic, NamedTuple

import numba as nb

from ._core import (
    JIT,
    JIT_FMA,
    FloatArray,
    U,
    Values,
    check_float,
    check_matype,
    check_period,
    indicator,
    run,
)
from ._kernels import (
    MODE_BANDS,
    atr_into,
    ema_into,
    fill_nan,
    scan_extremes,
    stddev_into,
    trange_into,
    true_range,
)


class Bands(NamedTuple, Generic[Values]):
    """Upper, middle and lower band (TA-Lib's ``BBANDS`` output order)."""

    upperband: Values
    middleband: Values
    lowerband: Values


@indicator("high", "low", "close")
def trange(high: Values, low: Values, close: Values) -> Values:
    """True range (TA-Lib ``TRANGE``): ``max(high, prev close) - min(low, prev close)``.

    Parameters
    ----------
    high, low, close
        Price series.

    Returns
    -------
    True range; the first bar (no previous close) is NaN.

    Examples
    --------
    >>> import numpy as np
    >>> trange(np.array([3.0, 4.0]), np.array([2.0, 3.5]), np.array([2.5, 3.8]))
    array([nan, 1.5])
    """
    return run(trange_into, close.shape[0], high, low, close)


@indicator("high", "low", "close")
def atr(high: Values, low: Values, close: Values, timeperiod: int = 14) -> Values:
    """Average true range (TA-Lib ``ATR``, Wilder smoothing).

    The first ATR (bar ``timeperiod``) is the mean of the first ``timeperiod``
    true ranges; then ``atr = (atr * (n - 1) + tr) / n``.

    Parameters
    ----------
    high, low, close
        Price series.
    timeperiod
        Smoothing period (>= 1).

    Returns
    -------
    ATR with ``timeperiod`` NaN warm-up bars.

    Examples
    --------
    >>> import numpy as np
    >>> h = np.array([3.0, 4.0, 5.0, 6.0]); lo = h - 1.0
    >>> atr(h, lo, h - 0.5, timeperiod=2)
    array([nan, nan, 1.5, 1.5])
    """
    n = check_period("timeperiod", timeperiod)
    return run(atr_into, close.shape[0], high, low, close, n, n)


@nb.njit(**JIT_FMA)
def _natr(high: FloatArray, low: FloatArray, close: FloatArray, n: int, out: FloatArray) -> None:
    # ATR and its normalisation in one pass (atr_into's arithmetic).
    size = close.shape[0]
    fill_nan(out, n)
    if size <= n:
        return
    beta = (n - 1) / n
    alpha = 1.0 - beta
    total = 0.0
    for i in range(1, n + 1):
        total += true_range(high[i], low[i], close[i - 1])
    atr = total / n
    if n == 1:
        # Period 1 is the raw true range, not normalised (as in TA-Lib).
        out[1] = atr
        for i in range(2, size):
            out[i] = true_range(high[i], low[i], close[i - 1])
        return
    c = close[n]
    out[n] = (atr / c) * 100.0 if c != 0.0 else 0.0
    for i in range(n + 1, size):
        u = U(i)  # unsigned indices: no wraparound code (see _core.U)
        atr = alpha * true_range(high[u], low[u], close[U(i - 1)]) + beta * atr
        c = close[u]
        out[u] = (atr / c) * 100.0 if c != 0.0 else 0.0


@indicator("high", "low", "close")
def natr(high: Values, low: Values, close: Values, timeperiod: int = 14) -> Values:
    """Normalised ATR in percent of the close (TA-Lib ``NATR``).

    Parameters
    ----------
    high, low, close
        Price series.
    timeperiod
        Smoothing period (>= 1).

    Returns
    -------
    ``100 * ATR / close`` with ``timeperiod`` NaN warm-up bars.

    Examples
    --------
    >>> import numpy as np
    >>> h = np.array([3.0, 4.0, 5.0, 6.0]); lo = h - 1.0
    >>> natr(h, lo, h - 0.5, timeperiod=2)
    array([        nan,         nan, 33.33333333, 27.27272727])
    """
    return run(_natr, close.shape[0], high, low, close, check_period("timeperiod", timeperiod))


@indicator("close")
def stddev(close: Values, timeperiod: int = 5, nbdev: float = 1.0) -> Values:
    """Rolling population standard deviation times ``nbdev`` (TA-Lib ``STDDEV``).

    Computed with TA-Lib's cancellation-free shifted-sum variance (a window
    whose spread is below the rounding noise of its mean gives exactly 0).

    Parameters
    ----------
    close
        Price series.
    timeperiod
        Window length (>= 2).
    nbdev
        Multiplier (>= 0).

    Returns
    -------
    Standard deviation with ``timeperiod - 1`` NaN warm-up bars.

    Examples
    --------
    >>> import numpy as np
    >>> stddev(np.array([1.0, 3.0, 5.0]), timeperiod=2)
    array([nan,  1.,  1.])
    """
    n = check_period("timeperiod", timeperiod, 2)
    return run(stddev_into, close.shape[0], close, n, check_float("nbdev", nbdev))


@nb.njit(**JIT)
def _bbands(
    x: FloatArray,
    n: int,
    up: float,
    dn: float,
    matype: int,
    upper: FloatArray,
    middle: FloatArray,
    lower: FloatArray,
) -> None:
    # One pass: the SMA running sum (or the EMA) and the shifted-sum variance of
    # var_k, as TA-Lib's fused BBANDS does.
    size = x.shape[0]
    fill_nan(upper, n - 1)
    fill_nan(middle, n - 1)
    fill_nan(lower, n - 1)
    if size < n:
        return
    inv = 1.0 / n
    if matype == 1:
        ema_into(x, n, n - 1, middle)
    shift = x[0]
    ma_total = 0.0
    t1 = 0.0
    t2 = 0.0
    for j in range(n - 1):
        ma_total += x[j]
        tmp = x[j] - shift
        t1 += tmp
        t2 += tmp * tmp
    countdown = 32 * n
    for i in range(n - 1, size):
        u = U(i)  # unsigned index: no wraparound code (see _core.U)
        v = x[u]
        ma_total += v
        tmp = v - shift
        t1 += tmp
        t2 += tmp * tmp
        mean1 = t1 * inv
        variance = t2 * inv - mean1 * mean1
        mid = middle[u] if matype == 1 else ma_total / n
        trail = x[U(i - n + 1)]
        ma_total -= trail
        tmp = trail - shift
        t1 -= tmp
        tmp *= tmp
        t2 -= tmp
        countdown -= 1
        if variance < 0.000001 * (t2 * inv) or tmp > 1000000.0 * t2 or countdown <= 0:
            countdown = 32 * n
            start = i - n + 1
            tmp = 0.0
            for j in range(start, i + 1):
                tmp += x[j]
            shift = tmp * inv
            t1 = 0.0
            t2 = 0.0
            for j in range(start, i + 1):
                tmp = x[j] - shift
                t1 += tmp
                t2 += tmp * tmp
            mean1 = t1 * inv
            variance = t2 * inv - mean1 * mean1
            if variance < 0.000000000001 * (t2 * inv):
                variance = 0.0
            tmp = x[start] - shift
            t1 -= tmp
            t2 -= tmp * tmp
        sd = math.sqrt(variance) if variance != 0.0 else 0.0
        middle[u] = mid
        if up == dn:
            tmp = sd * up
            upper[u] = mid + tmp
            lower[u] = mid - tmp
        else:
            upper[u] = mid + sd * up
            lower[u] = mid - sd * dn


@indicator("close")
def bbands(
    close: Values,
    timeperiod: int = 5,
    nbdevup: float = 2.0,
    nbdevdn: float = 2.0,
    matype: int = 0,
) -> Bands[Values]:
    """Bollinger bands (TA-Lib ``BBANDS``).

    ``middle = MA(close)``; ``upper/lower = middle +/- nbdev * stddev(close)``
    with the population standard deviation over the same window.

    Parameters
    ----------
    close
        Price series.
    timeperiod
        Window length (>= 2). Default 5 is classic TA-Lib's (TA-Lib 0.8 uses 20).
    nbdevup, nbdevdn
        Band widths in standard deviations (>= 0).
    matype
        Middle-band average: 0 = SMA (default), 1 = EMA.

    Returns
    -------
    Bands
        ``(upperband, middleband, lowerband)`` with ``timeperiod - 1`` NaN bars.

    Examples
    --------
    >>> import numpy as np
    >>> bbands(np.array([1.0, 3.0, 5.0]), timeperiod=2, nbdevup=1.0, nbdevdn=1.0).upperband
    array([nan,  3.,  5.])
    """
    return Bands(
        *run(
            _bbands,
            close.shape[0],
            close,
            check_period("timeperiod", timeperiod, 2),
            check_float("nbdevup", nbdevup),
            check_float("nbdevdn", nbdevdn),
            check_matype("matype", matype),
            outputs=3,
        )
    )


@nb.njit(**JIT_FMA)
def _keltner(
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    n: int,
    atr_n: int,
    mult: float,
    upper: FloatArray,
    middle: FloatArray,
    lower: FloatArray,
) -> None:
    # EMA of the typical price and Wilder's ATR, both seeded on the channel's first
    # bar (as TA-Lib's KC does), advanced together in one pass.
    size = close.shape[0]
    first = max(n - 1, atr_n)
    fill_nan(upper, first)
    fill_nan(middle, first)
    fill_nan(lower, first)
    if size <= first:
        return
    total = 0.0
    for i in range(first - n + 1, first + 1):
        total += (high[i] + low[i] + close[i]) / 3.0
    ema = total / n
    total = 0.0
    for i in range(first - atr_n + 1, first + 1):
        total += true_range(high[i], low[i], close[i - 1])
    atr = total / atr_n
    k = 2.0 / (n + 1)
    beta = (atr_n - 1) / atr_n
    alpha = 1.0 - beta
    for i in range(first, size):
        if i > first:
            typical = (high[i] + low[i] + close[i]) / 3.0
            ema = typical if n == 1 else ((typical - ema) * k) + ema
            atr = alpha * true_range(high[i], low[i], close[i - 1]) + beta * atr
        width = mult * atr
        middle[i] = ema
        upper[i] = ema + width
        lower[i] = ema - width


@indicator("high", "low", "close")
def keltner(
    high: Values,
    low: Values,
    close: Values,
    timeperiod: int = 20,
    atrperiod: int = 10,
    nbdev: float = 2.0,
) -> Bands[Values]:
    """Keltner channel (TA-Lib 0.8 ``KC``): ``EMA(typical price) +/- nbdev * ATR``.

    The middle line is the EMA of ``(high + low + close) / 3``; the band is
    Wilder's ATR. Both are seeded on the channel's first bar, bar
    ``max(timeperiod - 1, atrperiod)`` (SMA / mean-true-range seeds of the
    bars ending there), exactly as TA-Lib does.

    Parameters
    ----------
    high, low, close
        Price series.
    timeperiod
        EMA period of the middle line (>= 1).
    atrperiod
        ATR period (>= 1).
    nbdev
        Channel half-width in ATRs (>= 0).

    Returns
    -------
    Bands
        ``(upperband, middleband, lowerband)``, NaN for ``max(timeperiod - 1, atrperiod)`` bars.

    Examples
    --------
    >>> import numpy as np
    >>> h = np.array([3.0, 4.0, 5.0, 6.0]); lo = h - 1.0
    >>> keltner(h, lo, h - 0.5, timeperiod=2, atrperiod=2, nbdev=1.0).upperband
    array([nan, nan, 5.5, 6.5])
    """
    return Bands(
        *run(
            _keltner,
            close.shape[0],
            high,
            low,
            close,
            check_period("timeperiod", timeperiod),
            check_period("atrperiod", atrperiod),
            check_float("nbdev", nbdev),
            outputs=3,
        )
    )


@nb.njit(**JIT)
def _donchian(
    high: FloatArray,
    low: FloatArray,
    n: int,
    upper: FloatArray,
    middle: FloatArray,
    lower: FloatArray,
) -> None:
    size = high.shape[0]
    fill_nan(upper, n - 1)
    fill_nan(lower, n - 1)
    fill_nan(middle, n - 1)
    scan_extremes(high, low, high, n, MODE_BANDS, upper, lower)
    for i in range(n - 1, size):
        middle[i] = (upper[i] + lower[i]) / 2.0


@indicator("high", "low")
def donchian(high: Values, low: Values, timeperiod: int = 20) -> Bands[Values]:
    """Donchian channel: highest high, mid-point and lowest low of the last ``timeperiod`` bars.

    Parameters
    ----------
    high, low
        Price series.
    timeperiod
        Window length (>= 1), including the current bar.

    Returns
    -------
    Bands
        ``(upperband, middleband, lowerband)`` with ``timeperiod - 1`` NaN bars.

    Examples
    --------
    >>> import numpy as np
    >>> h = np.array([3.0, 5.0, 4.0]); lo = h - 2.0
    >>> donchian(h, lo, timeperiod=2).middleband
    array([nan, 3. , 3.5])
    """
    n = check_period("timeperiod", timeperiod)
    return Bands(*run(_donchian, high.shape[0], high, low, n, outputs=3))


@nb.njit(**JIT)
def _hv(x: FloatArray, n: int, periods_per_year: float, out: FloatArray, rets: FloatArray) -> None:
    size = x.shape[0]
    fill_nan(out, n)
    if size <= n:
        return
    rets[0] = 0.0
    for i in range(1, size):
        rets[i] = math.log(x[i] / x[i - 1])
    scale = math.sqrt(periods_per_year)
    s1 = 0.0
    s2 = 0.0
    countdown = 32 * n
    for i in range(1, size):
        r = rets[i]
        s1 += r
        s2 += r * r
        if i > n:
            old = rets[i - n]
            s1 -= old
            s2 -= old * old
        if i >= n:
            countdown -= 1
            if countdown <= 0:
                # Rebuild the sums now and then so rounding residue cannot accumulate.
                countdown = 32 * n
                s1 = 0.0
                s2 = 0.0
                for j in range(i - n + 1, i + 1):
                    s1 += rets[j]
                    s2 += rets[j] * rets[j]
            var = (s2 - s1 * s1 / n) / (n - 1)
            out[i] = math.sqrt(var) * scale if var > 0.0 else 0.0


@indicator("close")
def historical_volatility(
    close: Values, timeperiod: int = 20, periods_per_year: float = 365.0
) -> Values:
    """Annualised historical volatility: sample stdev of log returns, annualised.

    ``stdev(ln(close_t / close_{t-1}), ddof=1) * sqrt(periods_per_year)`` over
    the last ``timeperiod`` returns.

    Parameters
    ----------
    close
        Price series (positive).
    timeperiod
        Number of log returns in the window (>= 2).
    periods_per_year
        Bars per year of the series' timeframe: 365 for daily crypto bars,
        8760 for hourly, 105120 for 5-minute bars.

    Returns
    -------
    Annualised volatility (a fraction, 0.5 = 50 %) with ``timeperiod`` NaN bars.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.exp(np.array([0.0, 0.1, 0.0, 0.1]))
    >>> historical_volatility(x, timeperiod=2, periods_per_year=1.0)
    array([       nan,        nan, 0.14142136, 0.14142136])
    """
    n = check_period("timeperiod", timeperiod, 2)
    ppy = check_float("periods_per_year", periods_per_year, minimum=1e-12)
    return run(_hv, close.shape[0], close, n, ppy, outputs=2)[0]
