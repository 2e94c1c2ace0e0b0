"""Range oscillators: cci, willr, mfi, ultosc, bop, aroon, aroonosc, awesome_oscillator,
force_index."""

from __future__ import annotations

from typing import Generic, NamedTuple

import numba as nb
import numpy as np

from ._core import JIT, JIT_FMA, TA_EPSILON, FloatArray, U, Values, check_period, indicator, run
from ._kernels import MODE_WILLR, fill_nan, scan_extremes


class Aroon(NamedTuple, Generic[Values]):
    """Aroon lines, in TA-Lib's output order (down first)."""

    aroondown: Values
    aroonup: Values


@nb.njit(**JIT)
def _cci(high: FloatArray, low: FloatArray, close: FloatArray, n: int, out: FloatArray) -> None:
    size = close.shape[0]
    fill_nan(out, n - 1)
    if size < n:
        return
    # A circular buffer summed in slot order, as TA-Lib does, keeps results bit-identical.
    buf = np.empty(n)
    slot = 0
    for i in range(n - 1):
        buf[slot] = (high[i] + low[i] + close[i]) / 3
        slot += 1
    for i in range(n - 1, size):
        last = (high[i] + low[i] + close[i]) / 3
        buf[slot] = last
        avg = 0.0
        for j in range(n):
            avg += buf[j]
        avg /= n
        dev = 0.0
        for j in range(n):
            dev += abs(buf[j] - avg)
        dev /= n
        diff = last - avg
        # Flatness is judged relative to the window's own price level (TA-Lib #253).
        scale = TA_EPSILON * abs(avg)
        if abs(diff) > scale and abs(dev) > scale:
            out[i] = diff / (0.015 * dev)
        else:
            out[i] = 0.0
        slot += 1
        if slot >= n:
            slot = 0


@indicator("high", "low", "close")
def cci(high: Values, low: Values, close: Values, timeperiod: int = 14) -> Values:
    """Commodity channel index (TA-Lib ``CCI``).

    ``(tp - SMA(tp)) / (0.015 * mean|tp - SMA(tp)|)`` with typical price
    ``tp = (high + low + close) / 3``; 0 when either term is zero.

    Parameters
    ----------
    high, low, close
        Price series.
    timeperiod
        Window length (>= 2).

    Returns
    -------
    CCI with ``timeperiod - 1`` NaN warm-up bars.

    Examples
    --------
    >>> import numpy as np
    >>> c = np.array([1.0, 2.0, 3.0, 2.0])
    >>> cci(c, c, c, timeperiod=3)
    array([ nan,  nan, 100., -50.])
    """
    return run(_cci, close.shape[0], high, low, close, check_period("timeperiod", timeperiod, 2))


@nb.njit(**JIT)
def _willr(high: FloatArray, low: FloatArray, close: FloatArray, n: int, out: FloatArray) -> None:
    fill_nan(out, n - 1)
    scan_extremes(high, low, close, n, MODE_WILLR, out, out)


@indicator("high", "low", "close")
def willr(high: Values, low: Values, close: Values, timeperiod: int = 14) -> Values:
    """Williams' %R (TA-Lib ``WILLR``): ``-100 * (HH - close) / (HH - LL)``.

    Parameters
    ----------
    high, low, close
        Price series.
    timeperiod
        Window length (>= 2).

    Returns
    -------
    %R in [-100, 0] with ``timeperiod - 1`` NaN warm-up bars (0 for a flat window).

    Examples
    --------
    >>> import numpy as np
    >>> h = np.array([2.0, 3.0, 4.0]); lo = h - 2.0
    >>> willr(h, lo, h - 1.0, timeperiod=2)
    array([         nan, -33.33333333, -33.33333333])
    """
    return run(_willr, close.shape[0], high, low, close, check_period("timeperiod", timeperiod, 2))


@nb.njit(**JIT)
def _mfi(
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    volume: FloatArray,
    n: int,
    out: FloatArray,
) -> None:
    size = close.shape[0]
    fill_nan(out, n)
    if size <= n:
        return
    pos = np.zeros(n)
    neg = np.zeros(n)
    slot = 0
    prev = (high[0] + low[0] + close[0]) / 3.0
    pos_sum = 0.0
    neg_sum = 0.0
    # Bars in a row that added no money flow: after a full window of them the sums
    # are known to be exactly zero and their rounding residue is dropped.
    null_run = 0
    for today in range(1, size):
        if today > n:
            pos_sum -= pos[slot]
            neg_sum -= neg[slot]
        tp = (high[today] + low[today] + close[today]) / 3.0
        diff = tp - prev
        scale = abs(tp) + abs(prev)
        prev = tp
        flow = 0.0 if abs(diff) <= TA_EPSILON * scale else tp * volume[today]
        pos_flow = 0.0 if diff < 0.0 else flow
        neg_flow = flow if diff < 0.0 else 0.0
        pos[slot] = pos_flow
        neg[slot] = neg_flow
        pos_sum += pos_flow
        neg_sum += neg_flow
        null_run = null_run + 1 if flow == 0.0 else 0
        if null_run >= n:
            null_run = n
            pos_sum = 0.0
            neg_sum = 0.0
        slot += 1
        if slot >= n:
            slot = 0
        if today >= n:
            total = pos_sum + neg_sum
            clamped = 0.0 if pos_sum < 0.0 else min(pos_sum, total)
            out[today] = 0.0 if total <= 0.0 else 100.0 * (clamped / total)


@indicator("high", "low", "close", "volume")
def mfi(high: Values, low: Values, close: Values, volume: Values, timeperiod: int = 14) -> Values:
    """Money flow index (TA-Lib ``MFI``): a volume-weighted RSI of the typical price.

    Money flow ``tp * volume`` is positive when the typical price rose, negative
    when it fell; ``MFI = 100 * pos / (pos + neg)`` over the window. Like TA-Lib,
    a window whose total money flow is below 1.0 gives 0.

    Parameters
    ----------
    high, low, close, volume
        Price and volume series.
    timeperiod
        Window length (>= 2).

    Returns
    -------
    MFI in [0, 100] with ``timeperiod`` NaN warm-up bars.

    Examples
    --------
    >>> import numpy as np
    >>> c = np.array([1.0, 2.0, 1.0, 3.0]); v = np.full(4, 10.0)
    >>> mfi(c, c, c, v, timeperiod=2)
    array([        nan,         nan, 66.66666667, 75.        ])
    """
    return run(
        _mfi, close.shape[0], high, low, close, volume, check_period("timeperiod", timeperiod, 2)
    )


@nb.njit(**JIT)
def _ultosc_terms(
    high: FloatArray, low: FloatArray, close: FloatArray, day: int
) -> tuple[float, float]:
    lt = low[day]
    ht = high[day]
    cy = close[day - 1]
    true_low = lt if lt < cy else cy
    close_minus_true_low = close[day] - true_low
    true_range = ht - lt
    tmp = abs(cy - ht)
    if tmp > true_range:
        true_range = tmp
    tmp = abs(cy - lt)
    if tmp > true_range:
        true_range = tmp
    return close_minus_true_low, true_range


@nb.njit(**JIT)
def _ultosc(
    high: FloatArray, low: FloatArray, close: FloatArray, p1: int, p2: int, p3: int, out: FloatArray
) -> None:
    # TA-Lib sorts the periods: the shortest gets weight 4, the longest weight 1.
    if p1 > p2:
        p1, p2 = p2, p1
    if p2 > p3:
        p2, p3 = p3, p2
    if p1 > p2:
        p1, p2 = p2, p1
    size = close.shape[0]
    start = p3
    fill_nan(out, start)
    if size <= start:
        return
    # Each bar's two terms are computed once, kept in a ring as long as the
    # longest window, and read back when the bar leaves each window.
    ring_a = np.empty(p3)
    ring_b = np.empty(p3)
    a1 = b1 = a2 = b2 = a3 = b3 = 0.0
    for i in range(1, size):
        a, b = _ultosc_terms(high, low, close, i)
        slot = i % p3
        if i >= start:
            a1 += a
            a2 += a
            a3 += a
            b1 += b
            b2 += b
            b3 += b
            value = 0.0
            if b1 > 0.0:
                value += 4.0 * (a1 / b1)
            if b2 > 0.0:
                value += 2.0 * (a2 / b2)
            if b3 > 0.0:
                value += a3 / b3
            j = (i - p1 + 1) % p3 if p1 > 1 else slot
            a1 -= a if p1 == 1 else ring_a[j]
            b1 -= b if p1 == 1 else ring_b[j]
            j = (i - p2 + 1) % p3 if p2 > 1 else slot
            a2 -= a if p2 == 1 else ring_a[j]
            b2 -= b if p2 == 1 else ring_b[j]
            j = (i - p3 + 1) % p3
            a3 -= a if p3 == 1 else ring_a[j]
            b3 -= b if p3 == 1 else ring_b[j]
            out[i] = 100.0 * (value / 7.0)
        else:
            if i >= start - p1 + 1:
                a1 += a
                b1 += b
            if i >= start - p2 + 1:
                a2 += a
                b2 += b
            a3 += a
            b3 += b
        ring_a[slot] = a
        ring_b[slot] = b


@indicator("high", "low", "close")
def ultosc(
    high: Values,
    low: Values,
    close: Values,
    timeperiod1: int = 7,
    timeperiod2: int = 14,
    timeperiod3: int = 28,
) -> Values:
    """Ultimate oscillator (TA-Lib ``ULTOSC``).

    Buying pressure ``close - min(low, prev close)`` over true range, summed on
    three windows and weighted 4:2:1 from the shortest to the longest window.

    Parameters
    ----------
    high, low, close
        Price series.
    timeperiod1, timeperiod2, timeperiod3
        Window lengths (>= 1, sorted internally as TA-Lib does).

    Returns
    -------
    ULTOSC in [0, 100] with ``max(periods)`` NaN warm-up bars.

    Examples
    --------
    >>> import numpy as np
    >>> h = np.array([2.0, 3.0, 4.0, 5.0]); lo = h - 2.0
    >>> ultosc(h, lo, h - 1.0, timeperiod1=1, timeperiod2=2, timeperiod3=3)
    array([nan, nan, nan, 50.])
    """
    return run(
        _ultosc,
        close.shape[0],
        high,
        low,
        close,
        check_period("timeperiod1", timeperiod1),
        check_period("timeperiod2", timeperiod2),
        check_period("timeperiod3", timeperiod3),
    )


@nb.njit(**JIT)
def _bop(
    open_: FloatArray, high: FloatArray, low: FloatArray, close: FloatArray, out: FloatArray
) -> None:
    size = close.shape[0]
    for i in range(size):
        rng = high[i] - low[i]
        out[i] = 0.0 if rng <= 0.0 else (close[i] - open_[i]) / rng


@indicator("open", "high", "low", "close")
def bop(open: Values, high: Values, low: Values, close: Values) -> Values:
    """Balance of power (TA-Lib ``BOP``): ``(close - open) / (high - low)``, 0 for a flat bar.

    Parameters
    ----------
    open, high, low, close
        Price series.

    Returns
    -------
    BOP in [-1, 1]; no warm-up.

    Examples
    --------
    >>> import numpy as np
    >>> bop(np.array([1.0]), np.array([3.0]), np.array([0.0]), np.array([2.5]))
    array([0.5])
    """
    return run(_bop, close.shape[0], open, high, low, close)


@nb.njit(**JIT)
def _aroon(
    high: FloatArray, low: FloatArray, n: int, osc: bool, down: FloatArray, up: FloatArray
) -> None:
    # Window of n + 1 bars; ties pick the most recent extreme (TA-Lib's <= / >=).
    size = high.shape[0]
    fill_nan(down, n)
    fill_nan(up, n)
    lowest_idx = -1
    highest_idx = -1
    lowest = 0.0
    highest = 0.0
    factor = 100.0 / n
    for today in range(n, size):
        trailing = today - n
        tmp = low[today]
        if lowest_idx < trailing:
            lowest_idx = trailing
            lowest = low[trailing]
            for i in range(trailing + 1, today + 1):
                if low[i] <= lowest:
                    lowest_idx = i
                    lowest = low[i]
        elif tmp <= lowest:
            lowest_idx = today
            lowest = tmp
        tmp = high[today]
        if highest_idx < trailing:
            highest_idx = trailing
            highest = high[trailing]
            for i in range(trailing + 1, today + 1):
                if high[i] >= highest:
                    highest_idx = i
                    highest = high[i]
        elif tmp >= highest:
            highest_idx = today
            highest = tmp
        if osc:
            up[today] = factor * (highest_idx - lowest_idx)
        else:
            down[today] = factor * (n - (today - lowest_idx))
            up[today] = factor * (n - (today - highest_idx))


@indicator("high", "low")
def aroon(high: Values, low: Values, timeperiod: int = 14) -> Aroon[Values]:
    """Aroon down/up (TA-Lib ``AROON``): how recent the window's low/high is, in percent.

    ``aroonup = 100 * (n - bars since the highest high) / n`` over the last
    ``n + 1`` bars; likewise ``aroondown`` for the lowest low.

    Parameters
    ----------
    high, low
        Price series.
    timeperiod
        Look-back (>= 2).

    Returns
    -------
    Aroon
        ``(aroondown, aroonup)`` with ``timeperiod`` NaN warm-up bars.

    Examples
    --------
    >>> import numpy as np
    >>> h = np.array([1.0, 3.0, 2.0, 4.0])
    >>> aroon(h, h - 1.0, timeperiod=2).aroonup
    array([ nan,  nan,  50., 100.])
    """
    n = check_period("timeperiod", timeperiod, 2)
    return Aroon(*run(_aroon, high.shape[0], high, low, n, False, outputs=2))


@indicator("high", "low")
def aroonosc(high: Values, low: Values, timeperiod: int = 14) -> Values:
    """Aroon oscillator (TA-Lib ``AROONOSC``): ``aroonup - aroondown``.

    Parameters
    ----------
    high, low
        Price series.
    timeperiod
        Look-back (>= 2).

    Returns
    -------
    Oscillator in [-100, 100] with ``timeperiod`` NaN warm-up bars.

    Examples
    --------
    >>> import numpy as np
    >>> h = np.array([1.0, 3.0, 2.0, 4.0])
    >>> aroonosc(h, h - 1.0, timeperiod=2)
    array([nan, nan, 50., 50.])
    """
    n = check_period("timeperiod", timeperiod, 2)
    return run(_aroon, high.shape[0], high, low, n, True, outputs=2)[1]


@nb.njit(**JIT)
def _awesome(high: FloatArray, low: FloatArray, fast: int, slow: int, out: FloatArray) -> None:
    # Two SMAs of the median price in one pass (each with TA_SMA's running sum).
    size = high.shape[0]
    fill_nan(out, slow - 1)
    if size < slow:
        return
    fast_total = 0.0
    for i in range(slow - fast, slow - 1):
        fast_total += (high[i] + low[i]) / 2.0
    slow_total = 0.0
    for i in range(slow - 1):
        slow_total += (high[i] + low[i]) / 2.0
    for i in range(slow - 1, size):
        u = U(i)  # unsigned indices: no wraparound code (see _core.U)
        median = (high[u] + low[u]) / 2.0
        fast_total += median
        fast_value = fast_total / fast
        j = U(i - fast + 1)
        fast_total -= (high[j] + low[j]) / 2.0
        slow_total += median
        slow_value = slow_total / slow
        j = U(i - slow + 1)
        slow_total -= (high[j] + low[j]) / 2.0
        out[u] = fast_value - slow_value


@indicator("high", "low")
def awesome_oscillator(
    high: Values, low: Values, fastperiod: int = 5, slowperiod: int = 34
) -> Values:
    """Bill Williams' awesome oscillator: ``SMA(median, fast) - SMA(median, slow)``.

    The median price is ``(high + low) / 2``.

    Parameters
    ----------
    high, low
        Price series.
    fastperiod, slowperiod
        SMA periods (>= 1, ``fastperiod < slowperiod``).

    Returns
    -------
    Oscillator with ``slowperiod - 1`` NaN warm-up bars.

    Examples
    --------
    >>> import numpy as np
    >>> h = np.array([2.0, 3.0, 4.0, 5.0])
    >>> awesome_oscillator(h, h - 2.0, fastperiod=1, slowperiod=3)
    array([nan, nan,  1.,  1.])
    """
    fast = check_period("fastperiod", fastperiod)
    slow = check_period("slowperiod", slowperiod)
    if fast >= slow:
        raise ValueError(f"fastperiod must be < slowperiod, got {fast} >= {slow}")
    return run(_awesome, high.shape[0], high, low, fast, slow)


@nb.njit(**JIT_FMA)
def _force(close: FloatArray, volume: FloatArray, n: int, out: FloatArray) -> None:
    # EMA of the raw force (close - prev close) * volume, seeded by the mean of
    # the first n raw values (bars 1..n).
    size = close.shape[0]
    fill_nan(out, n)
    if size <= n:
        return
    if n == 1:
        for i in range(1, size):
            out[i] = (close[i] - close[i - 1]) * volume[i]
        return
    k = 2.0 / (n + 1)
    total = 0.0
    for i in range(1, n + 1):
        total += (close[i] - close[i - 1]) * volume[i]
    prev = total / n
    out[n] = prev
    for i in range(n + 1, size):
        prev = (((close[i] - close[i - 1]) * volume[i] - prev) * k) + prev
        out[i] = prev


@indicator("close", "volume")
def force_index(close: Values, volume: Values, timeperiod: int = 13) -> Values:
    """Elder's force index: EMA of ``(close - previous close) * volume``.

    The EMA is seeded like :func:`ema` (SMA of the first ``timeperiod`` raw values).

    Parameters
    ----------
    close, volume
        Price and volume series.
    timeperiod
        EMA period (>= 1; 1 gives the raw force).

    Returns
    -------
    Force index with ``timeperiod`` NaN warm-up bars.

    Examples
    --------
    >>> import numpy as np
    >>> force_index(np.array([1.0, 2.0, 4.0]), np.array([5.0, 5.0, 5.0]), timeperiod=1)
    array([nan,  5., 10.])
    """
    return run(_force, close.shape[0], close, volume, check_period("timeperiod", timeperiod))
