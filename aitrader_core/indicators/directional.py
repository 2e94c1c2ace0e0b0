"""Wilder's directional movement system: plus_di, minus_di, dx, adx, adxr."""

from __future__ import annotations

import numba as nb

from ._core import JIT, TA_EPSILON, FloatArray, Values, check_period, indicator, run
from ._kernels import fill_nan, true_range

_PLUS_DI = 0
_MINUS_DI = 1
_DX = 2
_ADX = 3


@nb.njit(**JIT)
def _directional(
    high: FloatArray, low: FloatArray, close: FloatArray, n: int, mode: int, out: FloatArray
) -> None:
    # One pass of TA-Lib's DM/TR bookkeeping: sums over the first n - 1 bars, then
    # Wilder smoothing x -= x / n; x += today. DI/DX/ADX differ only in the output.
    size = close.shape[0]
    first = 2 * n - 1 if mode == _ADX else n
    fill_nan(out, first)
    if size <= first:
        return
    if n == 1:
        # Unsmoothed one-bar directional indicator (TA-Lib's period-1 special case).
        for today in range(1, size):
            diff_p = high[today] - high[today - 1]
            diff_m = low[today - 1] - low[today]
            tr = true_range(high[today], low[today], close[today - 1])
            dm = 0.0
            if mode == _PLUS_DI and diff_p > 0 and diff_p > diff_m:
                dm = diff_p
            elif mode == _MINUS_DI and diff_m > 0 and diff_m > diff_p:
                dm = diff_m
            out[today] = dm / tr if tr > 0.0 else 0.0
        return
    prev_high = high[0]
    prev_low = low[0]
    prev_close = close[0]
    plus_dm = 0.0
    minus_dm = 0.0
    prev_tr = 0.0
    sum_dx = 0.0
    adx = 0.0
    dx = 0.0
    for today in range(1, size):
        diff_p = high[today] - prev_high
        prev_high = high[today]
        diff_m = prev_low - low[today]
        prev_low = low[today]
        if today >= n:
            minus_dm -= minus_dm / n
            plus_dm -= plus_dm / n
        if diff_m > 0 and diff_p < diff_m:
            minus_dm += diff_m
        elif diff_p > 0 and diff_p > diff_m:
            plus_dm += diff_p
        tr = true_range(prev_high, prev_low, prev_close)
        if today >= n:
            prev_tr = prev_tr - prev_tr / n + tr
        else:
            prev_tr += tr
        prev_close = close[today]
        if today < n:
            continue
        if mode in (_PLUS_DI, _MINUS_DI):
            dm = plus_dm if mode == _PLUS_DI else minus_dm
            out[today] = 100.0 * (dm / prev_tr) if prev_tr > 0.0 else 0.0
            continue
        valid = False
        if prev_tr > 0.0:
            minus_di = 100.0 * (minus_dm / prev_tr)
            plus_di = 100.0 * (plus_dm / prev_tr)
            total = minus_di + plus_di
            if abs(total) >= TA_EPSILON:
                dx = 100.0 * (abs(minus_di - plus_di) / total)
                valid = True
        if mode == _DX:
            # The first DX is 0 when undefined; later ones repeat the previous value.
            out[today] = dx if valid or today > n else 0.0
            continue
        if today < 2 * n:
            if valid:
                sum_dx += dx
            if today == 2 * n - 1:
                adx = sum_dx / n
                out[today] = adx
            continue
        if valid:
            adx = (adx * (n - 1) + dx) / n
        out[today] = adx


@indicator("high", "low", "close")
def plus_di(high: Values, low: Values, close: Values, timeperiod: int = 14) -> Values:
    """Plus directional indicator +DI (TA-Lib ``PLUS_DI``): ``100 * +DM_n / TR_n``.

    ``+DM`` is today's high minus yesterday's high when that exceeds both zero
    and the low's decline; ``+DM_n`` and ``TR_n`` are Wilder-smoothed sums.

    Parameters
    ----------
    high, low, close
        Price series.
    timeperiod
        Smoothing period (>= 1).

    Returns
    -------
    +DI with ``timeperiod`` NaN warm-up bars.

    Examples
    --------
    >>> import numpy as np
    >>> h = np.array([2.0, 3.0, 4.0, 4.5]); lo = h - 1.0
    >>> plus_di(h, lo, h - 0.5, timeperiod=2)
    array([        nan,         nan, 66.66666667, 58.82352941])
    """
    return run(
        _directional,
        close.shape[0],
        high,
        low,
        close,
        check_period("timeperiod", timeperiod),
        _PLUS_DI,
    )


@indicator("high", "low", "close")
def minus_di(high: Values, low: Values, close: Values, timeperiod: int = 14) -> Values:
    """Minus directional indicator -DI (TA-Lib ``MINUS_DI``): ``100 * -DM_n / TR_n``.

    Parameters
    ----------
    high, low, close
        Price series.
    timeperiod
        Smoothing period (>= 1).

    Returns
    -------
    -DI with ``timeperiod`` NaN warm-up bars.

    Examples
    --------
    >>> import numpy as np
    >>> lo = np.array([4.0, 3.0, 2.0, 1.5]); h = lo + 1.0
    >>> minus_di(h, lo, lo + 0.5, timeperiod=2)
    array([        nan,         nan, 66.66666667, 58.82352941])
    """
    return run(
        _directional,
        close.shape[0],
        high,
        low,
        close,
        check_period("timeperiod", timeperiod),
        _MINUS_DI,
    )


@indicator("high", "low", "close")
def dx(high: Values, low: Values, close: Values, timeperiod: int = 14) -> Values:
    """Directional movement index (TA-Lib ``DX``): ``100 * |+DI - -DI| / (+DI + -DI)``.

    When both DIs are zero the previous DX is repeated (the first one is 0).

    Parameters
    ----------
    high, low, close
        Price series.
    timeperiod
        Smoothing period (>= 2).

    Returns
    -------
    DX in [0, 100] with ``timeperiod`` NaN warm-up bars.

    Examples
    --------
    >>> import numpy as np
    >>> h = np.array([2.0, 3.0, 4.0, 3.5]); lo = h - 1.0
    >>> dx(h, lo, h - 0.5, timeperiod=2)
    array([ nan,  nan, 100.,  20.])
    """
    return run(
        _directional,
        close.shape[0],
        high,
        low,
        close,
        check_period("timeperiod", timeperiod, 2),
        _DX,
    )


@indicator("high", "low", "close")
def adx(high: Values, low: Values, close: Values, timeperiod: int = 14) -> Values:
    """Average directional movement index (TA-Lib ``ADX``).

    The first ADX is the mean of the first ``timeperiod`` DX values; then
    ``adx = (adx * (n - 1) + dx) / n``.

    Parameters
    ----------
    high, low, close
        Price series.
    timeperiod
        Smoothing period (>= 2).

    Returns
    -------
    ADX in [0, 100] with ``2 * timeperiod - 1`` NaN warm-up bars.

    Examples
    --------
    >>> import numpy as np
    >>> h = np.array([2.0, 3.0, 4.0, 5.0, 6.0]); lo = h - 1.0
    >>> adx(h, lo, h - 0.5, timeperiod=2)
    array([ nan,  nan,  nan, 100., 100.])
    """
    return run(
        _directional,
        close.shape[0],
        high,
        low,
        close,
        check_period("timeperiod", timeperiod, 2),
        _ADX,
    )


@nb.njit(**JIT)
def _adxr(
    high: FloatArray, low: FloatArray, close: FloatArray, n: int, out: FloatArray, adx: FloatArray
) -> None:
    _directional(high, low, close, n, _ADX, adx)
    size = close.shape[0]
    lookback = 3 * n - 2
    fill_nan(out, lookback)
    for i in range(lookback, size):
        out[i] = (adx[i] + adx[i - (n - 1)]) / 2.0


@indicator("high", "low", "close")
def adxr(high: Values, low: Values, close: Values, timeperiod: int = 14) -> Values:
    """Average directional movement rating (TA-Lib ``ADXR``): ``(ADX_t + ADX_{t-n+1}) / 2``.

    Parameters
    ----------
    high, low, close
        Price series.
    timeperiod
        Smoothing period (>= 2).

    Returns
    -------
    ADXR with ``3 * timeperiod - 2`` NaN warm-up bars.

    Examples
    --------
    >>> import numpy as np
    >>> h = np.array([2.0, 3.0, 4.0, 5.0, 6.0]); lo = h - 1.0
    >>> adxr(h, lo, h - 0.5, timeperiod=2)
    array([ nan,  nan,  nan,  nan, 100.])
    """
    n = check_period("timeperiod", timeperiod, 2)
    return run(_adxr, close.shape[0], high, low, close, n, outputs=2)[0]
