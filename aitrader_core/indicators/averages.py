"""Moving averages: sma, ema, wma, dema, tema, trima, kama, t3, hma, vwma."""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from ._core import JIT, JIT_FMA, FloatArray, U, Values, check_float, check_period, indicator, run
from ._kernels import copy_into, ema_into, fill_nan, sma_into, wma_into


@indicator("close")
def sma(close: Values, timeperiod: int = 30) -> Values:
    """Simple moving average (TA-Lib ``SMA``).

    Parameters
    ----------
    close
        Price series.
    timeperiod
        Window length (>= 1).

    Returns
    -------
    Mean of the last ``timeperiod`` values; the first ``timeperiod - 1`` are NaN.

    Examples
    --------
    >>> import numpy as np
    >>> sma(np.array([1.0, 2.0, 3.0, 4.0]), timeperiod=2)
    array([nan, 1.5, 2.5, 3.5])
    """
    return run(sma_into, close.shape[0], close, check_period("timeperiod", timeperiod))


@indicator("close")
def ema(close: Values, timeperiod: int = 30) -> Values:
    """Exponential moving average (TA-Lib ``EMA``, classic seeding).

    The first value (bar ``timeperiod - 1``) is the SMA of the first
    ``timeperiod`` bars; then ``ema += (close - ema) * 2 / (timeperiod + 1)``.

    Parameters
    ----------
    close
        Price series.
    timeperiod
        Period (>= 1); ``k = 2 / (timeperiod + 1)``.

    Returns
    -------
    The EMA with ``timeperiod - 1`` NaN warm-up bars.

    Examples
    --------
    >>> import numpy as np
    >>> ema(np.array([1.0, 2.0, 3.0, 4.0]), timeperiod=3)
    array([nan, nan,  2.,  3.])
    """
    n = check_period("timeperiod", timeperiod)
    return run(ema_into, close.shape[0], close, n, n - 1)


@indicator("close")
def wma(close: Values, timeperiod: int = 30) -> Values:
    """Linearly weighted moving average (TA-Lib ``WMA``); the newest bar weighs ``timeperiod``.

    Parameters
    ----------
    close
        Price series.
    timeperiod
        Window length (>= 1).

    Returns
    -------
    ``sum(w_i * x_i) / sum(w_i)`` with weights ``1..timeperiod`` (oldest to newest).

    Examples
    --------
    >>> import numpy as np
    >>> wma(np.array([1.0, 2.0, 3.0, 4.0]), timeperiod=3)
    array([       nan,        nan, 2.33333333, 3.33333333])
    """
    return run(wma_into, close.shape[0], close, check_period("timeperiod", timeperiod))


@nb.njit(**JIT_FMA)
def _dema(x: FloatArray, n: int, out: FloatArray) -> None:
    _dema_tema(x, n, False, out)


@nb.njit(**JIT)
def _tema(x: FloatArray, n: int, out: FloatArray) -> None:
    _dema_tema(x, n, True, out)


@nb.njit(**JIT)
def _dema_tema(x: FloatArray, n: int, triple: bool, out: FloatArray) -> None:
    # The two (three) EMAs run in one pass; each is seeded like TA-Lib's EMA over
    # the previous stage's output: the mean of its first n values.
    size = x.shape[0]
    lookback = (3 if triple else 2) * (n - 1)
    fill_nan(out, lookback)
    if size <= lookback:
        return
    if n == 1:
        for i in range(size):
            out[i] = x[i]
        return
    k = 2.0 / (n + 1)
    total = 0.0
    for i in range(n):
        total += x[i]
    e1 = total / n
    total2 = e1
    for i in range(n, 2 * n - 1):
        e1 = ((x[i] - e1) * k) + e1
        total2 += e1
    e2 = total2 / n
    if not triple:
        out[lookback] = (2.0 * e1) - e2
        for i in range(lookback + 1, size):
            u = U(i)
            e1 = ((x[u] - e1) * k) + e1
            e2 = ((e1 - e2) * k) + e2
            out[u] = (2.0 * e1) - e2
        return
    total3 = e2
    for i in range(2 * n - 1, 3 * n - 2):
        e1 = ((x[i] - e1) * k) + e1
        e2 = ((e1 - e2) * k) + e2
        total3 += e2
    e3 = total3 / n
    out[lookback] = e3 + ((3.0 * e1) - (3.0 * e2))
    for i in range(lookback + 1, size):
        u = U(i)  # unsigned index: no wraparound code (see _core.U)
        e1 = ((x[u] - e1) * k) + e1
        e2 = ((e1 - e2) * k) + e2
        e3 = ((e2 - e3) * k) + e3
        out[u] = e3 + ((3.0 * e1) - (3.0 * e2))


@indicator("close")
def dema(close: Values, timeperiod: int = 30) -> Values:
    """Double exponential moving average (TA-Lib ``DEMA``): ``2*EMA - EMA(EMA)``.

    Parameters
    ----------
    close
        Price series.
    timeperiod
        EMA period (>= 1).

    Returns
    -------
    DEMA with ``2 * (timeperiod - 1)`` NaN warm-up bars.

    Examples
    --------
    >>> import numpy as np
    >>> dema(np.arange(1.0, 7.0), timeperiod=2)
    array([nan, nan,  3.,  4.,  5.,  6.])
    """
    return run(_dema, close.shape[0], close, check_period("timeperiod", timeperiod))


@indicator("close")
def tema(close: Values, timeperiod: int = 30) -> Values:
    """Triple exponential moving average (TA-Lib ``TEMA``): ``3*E1 - 3*E2 + E3``.

    Parameters
    ----------
    close
        Price series.
    timeperiod
        EMA period (>= 1).

    Returns
    -------
    TEMA with ``3 * (timeperiod - 1)`` NaN warm-up bars.

    Examples
    --------
    >>> import numpy as np
    >>> tema(np.arange(1.0, 7.0), timeperiod=2)
    array([nan, nan, nan,  4.,  5.,  6.])
    """
    return run(_tema, close.shape[0], close, check_period("timeperiod", timeperiod))


@nb.njit(**JIT)
def _trima(x: FloatArray, n: int, out: FloatArray) -> None:
    # A triangular MA is an SMA of an SMA: (n+1)/2 twice for odd n, n/2 and n/2+1
    # for even n. One pass: the inner SMA reads its trailing value from x, the
    # outer one from a small ring of inner values.
    n1 = (n + 1) // 2 if n % 2 else n // 2
    n2 = n + 1 - n1
    size = x.shape[0]
    fill_nan(out, n - 1)
    if size < n:
        return
    if n == 1:
        copy_into(x, out)
        return
    ring = np.empty(n2)
    total1 = 0.0
    for i in range(n1 - 1):
        total1 += x[i]
    total2 = 0.0
    steady = n1 - 1 + n2 - 1  # first bar with a full outer window (= n - 1)
    for i in range(n1 - 1, steady):
        total1 += x[i]
        inner = total1 / n1
        total1 -= x[i - n1 + 1]
        ring[i - (n1 - 1)] = inner
        total2 += inner
    slot = n2 - 1
    for i in range(steady, size):
        u = U(i)  # unsigned indices: no wraparound code (see _core.U)
        total1 += x[u]
        inner = total1 / n1
        total1 -= x[U(i - n1 + 1)]
        total2 += inner
        tmp = total2
        trail = slot + 1 if slot + 1 < n2 else 0
        total2 -= ring[U(trail)]
        ring[U(slot)] = inner
        slot = trail
        out[u] = tmp / n2


@indicator("close")
def trima(close: Values, timeperiod: int = 30) -> Values:
    """Triangular moving average (TA-Lib ``TRIMA``), weights rising then falling linearly.

    Parameters
    ----------
    close
        Price series.
    timeperiod
        Window length (>= 1).

    Returns
    -------
    TRIMA with ``timeperiod - 1`` NaN warm-up bars.

    Examples
    --------
    >>> import numpy as np
    >>> trima(np.array([1.0, 2.0, 3.0, 4.0, 5.0]), timeperiod=3)
    array([nan, nan,  2.,  3.,  4.])
    """
    return run(_trima, close.shape[0], close, check_period("timeperiod", timeperiod))


@nb.njit(**JIT_FMA)
def _kama(x: FloatArray, n: int, out: FloatArray) -> None:
    size = x.shape[0]
    if n == 1:
        copy_into(x, out)
        return
    fill_nan(out, n)
    if size <= n:
        return
    const_max = 2.0 / (30.0 + 1.0)
    const_diff = 2.0 / (2.0 + 1.0) - const_max
    sum_roc1 = 0.0
    for i in range(n):
        sum_roc1 += abs(x[i] - x[i + 1])
    today = n
    trailing = 0
    prev = x[today - 1]
    period_roc = x[today] - x[trailing]
    trailing_value = x[trailing]
    trailing += 1
    er = 1.0 if sum_roc1 <= period_roc or sum_roc1 == 0.0 else abs(period_roc / sum_roc1)
    sc = er * const_diff + const_max
    sc *= sc
    prev = (x[today] - prev) * sc + prev
    out[today] = prev
    for today in range(n + 1, size):
        value = x[today]
        old = x[trailing]
        trailing += 1
        period_roc = value - old
        sum_roc1 -= abs(trailing_value - old)
        sum_roc1 += abs(value - x[today - 1])
        trailing_value = old
        er = 1.0 if sum_roc1 <= period_roc or sum_roc1 == 0.0 else abs(period_roc / sum_roc1)
        sc = er * const_diff + const_max
        sc *= sc
        prev = (value - prev) * sc + prev
        out[today] = prev


@indicator("close")
def kama(close: Values, timeperiod: int = 30) -> Values:
    """Kaufman adaptive moving average (TA-Lib ``KAMA``, fast 2 / slow 30 constants).

    The efficiency ratio ``|x_t - x_{t-n}| / sum|x_i - x_{i-1}|`` blends the
    smoothing constant between ``2/3`` and ``2/31``; it is squared and used as an
    EMA factor, starting from the previous close.

    Parameters
    ----------
    close
        Price series.
    timeperiod
        Efficiency-ratio window (>= 1; 1 returns the input).

    Returns
    -------
    KAMA with ``timeperiod`` NaN warm-up bars.

    Examples
    --------
    >>> import numpy as np
    >>> kama(np.array([1.0, 2.0, 3.0, 4.0]), timeperiod=2)
    array([       nan,        nan, 2.44444444, 3.13580247])
    """
    return run(_kama, close.shape[0], close, check_period("timeperiod", timeperiod))


@nb.njit(**JIT_FMA)
def _t3(x: FloatArray, n: int, vfactor: float, out: FloatArray) -> None:
    size = x.shape[0]
    lookback = 6 * (n - 1)
    fill_nan(out, lookback)
    if size <= lookback:
        return
    if n == 1:
        copy_into(x, out)
        return
    k = 2.0 / (n + 1.0)
    one_minus_k = 1.0 - k
    # Seed each of the six chained EMAs with the mean of the first n values of
    # the previous one, advancing the already-seeded stages bar by bar (TA-Lib).
    e = np.empty(6)
    today = 0
    total = 0.0
    for _ in range(n):
        total += x[today]
        today += 1
    e[0] = total / n
    for stage in range(1, 6):
        total = e[stage - 1]
        for _ in range(n - 1):
            e[0] = k * x[today] + one_minus_k * e[0]
            today += 1
            for j in range(1, stage):
                e[j] = k * e[j - 1] + one_minus_k * e[j]
            total += e[stage - 1]
        e[stage] = total / n
    e1, e2, e3, e4, e5, e6 = e[0], e[1], e[2], e[3], e[4], e[5]
    temp = vfactor * vfactor
    c1 = 0 - temp * vfactor
    c2 = 3.0 * (temp - c1)
    c3 = (0 - 6.0) * temp - 3.0 * (vfactor - c1)
    c4 = 1.0 + 3.0 * vfactor - c1 + 3.0 * temp
    out[lookback] = c1 * e6 + c2 * e5 + c3 * e4 + c4 * e3
    for today in range(lookback + 1, size):
        e1 = k * x[today] + one_minus_k * e1
        e2 = k * e1 + one_minus_k * e2
        e3 = k * e2 + one_minus_k * e3
        e4 = k * e3 + one_minus_k * e4
        e5 = k * e4 + one_minus_k * e5
        e6 = k * e5 + one_minus_k * e6
        out[today] = c1 * e6 + c2 * e5 + c3 * e4 + c4 * e3


@indicator("close")
def t3(close: Values, timeperiod: int = 5, vfactor: float = 0.7) -> Values:
    """Tillson T3 moving average (TA-Lib ``T3``): six chained EMAs blended by ``vfactor``.

    Parameters
    ----------
    close
        Price series.
    timeperiod
        EMA period (>= 1).
    vfactor
        Volume factor in [0, 1].

    Returns
    -------
    T3 with ``6 * (timeperiod - 1)`` NaN warm-up bars.

    Examples
    --------
    >>> import numpy as np
    >>> t3(np.arange(1.0, 9.0), timeperiod=2).round(3)
    array([ nan,  nan,  nan,  nan,  nan,  nan, 6.55, 7.55])
    """
    n = check_period("timeperiod", timeperiod)
    return run(_t3, close.shape[0], close, n, check_float("vfactor", vfactor, 0.0, 1.0))


@nb.njit(**JIT)
def _hma(x: FloatArray, n: int, out: FloatArray) -> None:
    # Three WMAs fused in one pass (TA-Lib HMA): WMA(n//2) and WMA(n) on x and
    # WMA(sqrt n) on raw = 2*WMA(n//2) - WMA(n), whose last sqrt(n) values sit in
    # a ring. Each running sum is rebuilt from its window every 8 periods (as in
    # wma_into); those bars and the outer WMA's warm-up take the general path,
    # the bars between them a branch-free inner loop.
    size = x.shape[0]
    half = n // 2
    root = int(math.sqrt(n))
    lookback = n + root - 2
    if root == 1:
        # n = 2 or 3: both inner periods are 1, so HMA = 2*x - WMA(x, n).
        wma_into(x, n, out)
        for i in range(n - 1, size):
            out[i] = 2.0 * x[i] - out[i]
        return
    fill_nan(out, lookback)
    if size <= lookback:
        return
    div_h = half * (half + 1) / 2.0
    div_f = n * (n + 1) / 2.0
    div_r = root * (root + 1) / 2.0
    sum_h = sub_h = 0.0
    for i in range(n - half, n - 1):
        sub_h += x[i]
        sum_h += x[i] * (i - (n - half) + 1)
    sum_f = sub_f = 0.0
    for i in range(n - 1):
        sub_f += x[i]
        sum_f += x[i] * (i + 1)
    trail_h = trail_f = 0.0
    ring = np.empty(root)
    slot = 0
    sum_r = sub_r = trail_r = 0.0
    steady = n - 1 + root - 1  # first bar with a full outer window
    next_h = n - 2 + 8 * half  # bars where each running sum is rebuilt
    next_f = n - 2 + 8 * n
    next_r = steady - 1 + 8 * root
    i = n - 1
    while i < size:
        if i >= steady:
            stop = min(size, next_h, next_f, next_r)
            for j in range(i, stop):
                v = x[j]
                sub_h += v
                sub_h -= trail_h
                sum_h += v * half
                trail_h = x[j - half + 1]
                wma_h = sum_h / div_h
                sum_h -= sub_h
                sub_f += v
                sub_f -= trail_f
                sum_f += v * n
                trail_f = x[j - n + 1]
                wma_f = sum_f / div_f
                sum_f -= sub_f
                raw = 2.0 * wma_h - wma_f
                sub_r += raw
                sub_r -= trail_r
                sum_r += raw * root
                ring[slot] = raw
                slot = slot + 1 if slot + 1 < root else 0
                trail_r = ring[slot]
                out[j] = sum_r / div_r
                sum_r -= sub_r
            i = max(i, stop)
            if i >= size:
                break
        v = x[i]
        sub_h += v
        sub_h -= trail_h
        sum_h += v * half
        if i == next_h:
            next_h += 8 * half
            sub_h = sum_h = 0.0
            for k in range(i - half + 1, i + 1):
                sub_h += x[k]
                sum_h += x[k] * (k - i + half)
        trail_h = x[i - half + 1]
        wma_h = sum_h / div_h
        sum_h -= sub_h
        sub_f += v
        sub_f -= trail_f
        sum_f += v * n
        if i == next_f:
            next_f += 8 * n
            sub_f = sum_f = 0.0
            for k in range(i - n + 1, i + 1):
                sub_f += x[k]
                sum_f += x[k] * (k - i + n)
        trail_f = x[i - n + 1]
        wma_f = sum_f / div_f
        sum_f -= sub_f
        raw = 2.0 * wma_h - wma_f
        ring[slot] = raw
        slot = slot + 1 if slot + 1 < root else 0
        if i < steady:
            sub_r += raw
            sum_r += raw * (i - n + 2)
        else:
            sub_r += raw
            sub_r -= trail_r
            sum_r += raw * root
            if i == next_r:
                # ring[slot] is now the oldest of the last `root` raw values.
                next_r += 8 * root
                sub_r = sum_r = 0.0
                for w in range(1, root + 1):
                    k = slot + w - 1
                    value = ring[k if k < root else k - root]
                    sub_r += value
                    sum_r += value * w
            trail_r = ring[slot]
            out[i] = sum_r / div_r
            sum_r -= sub_r
        i += 1


@indicator("close")
def hma(close: Values, timeperiod: int = 9) -> Values:
    """Hull moving average: ``WMA(2*WMA(x, n//2) - WMA(x, n), floor(sqrt(n)))``.

    Parameters
    ----------
    close
        Price series.
    timeperiod
        Period (>= 2).

    Returns
    -------
    HMA with ``timeperiod + floor(sqrt(timeperiod)) - 2`` NaN warm-up bars.

    Examples
    --------
    >>> import numpy as np
    >>> hma(np.arange(1.0, 7.0), timeperiod=4)
    array([nan, nan, nan, nan,  5.,  6.])
    """
    return run(_hma, close.shape[0], close, check_period("timeperiod", timeperiod, 2))


@nb.njit(**JIT)
def _vwma(x: FloatArray, volume: FloatArray, n: int, out: FloatArray) -> None:
    size = x.shape[0]
    fill_nan(out, n - 1)
    pv = 0.0
    vol = 0.0
    nonzero = 0
    for i in range(size):
        pv += x[i] * volume[i]
        vol += volume[i]
        if volume[i] != 0.0:
            nonzero += 1
        if i >= n:
            j = i - n
            pv -= x[j] * volume[j]
            vol -= volume[j]
            if volume[j] != 0.0:
                nonzero -= 1
        if i >= n - 1:
            # An integer count, not the float sum, decides "no volume in the window":
            # the running sum keeps rounding residue after large volumes leave.
            out[i] = pv / vol if nonzero > 0 else np.nan


@indicator("close", "volume")
def vwma(close: Values, volume: Values, timeperiod: int = 20) -> Values:
    """Volume-weighted moving average ``sum(close * volume) / sum(volume)`` over the window.

    Parameters
    ----------
    close, volume
        Price and volume series.
    timeperiod
        Window length (>= 1).

    Returns
    -------
    VWMA with ``timeperiod - 1`` NaN warm-up bars; NaN where the window has no volume.

    Examples
    --------
    >>> import numpy as np
    >>> vwma(np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 2.0]), timeperiod=2)
    array([       nan, 1.5       , 2.66666667])
    """
    return run(_vwma, close.shape[0], close, volume, check_period("timeperiod", timeperiod))
