"""Numba kernels shared by several indicators.

Kernels take float64 inputs with no leading NaN and write into output arrays
that the Python wrappers allocate with numpy (``out``); they fill the warm-up
with NaN themselves. Allocating in numpy rather than inside numba matters for
speed: numpy asks the kernel for huge pages on large arrays, which makes the
first touch of a fresh 8 MB output several times cheaper than a numba-runtime
allocation on this platform.

The arithmetic follows TA-Lib's C code operation by operation (same running
sums, same order), which is what makes the results agree with TA-Lib to a few
ulps rather than merely "closely".
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from ._core import JIT, JIT_FMA, FloatArray, U


@nb.njit(**JIT)
def fill_nan(out: FloatArray, stop: int) -> None:
    """Set ``out[:stop]`` to NaN (the warm-up)."""
    for i in range(min(stop, out.shape[0])):
        out[i] = np.nan


@nb.njit(**JIT)
def copy_into(x: FloatArray, out: FloatArray) -> None:
    """``out[:] = x`` as a loop: numba's slice assignment drags in a shape-mismatch
    error formatter that costs seconds of compile time."""
    for i in range(x.shape[0]):
        out[i] = x[i]


@nb.njit(**JIT)
def sma_into(x: FloatArray, n: int, out: FloatArray) -> None:
    """Simple moving average (TA_INT_SMA: running total, divide last)."""
    size = x.shape[0]
    fill_nan(out, n - 1)
    if size < n:
        return
    total = 0.0
    for i in range(n - 1):
        total += x[i]
    for i in range(n - 1, size):
        total += x[i]
        tmp = total
        total -= x[i - n + 1]
        out[i] = tmp / n


@nb.njit(**JIT_FMA)
def ema_into(x: FloatArray, n: int, first: int, out: FloatArray) -> None:
    """EMA whose first output is at ``first`` (>= n-1), seeded by the SMA ending there.

    TA-Lib's default ("classic") EMA: seed = mean of the ``n`` values ending at
    ``first``; then ``ema += (x - ema) * 2/(n+1)``. Plain use is ``first = n-1``;
    composite indicators (MACD, PPO/APO with EMA) seed later on purpose.
    """
    size = x.shape[0]
    fill_nan(out, first)
    if size <= first:
        return
    if n == 1:
        # Period 1 is a copy: with k = 1 the recursion would round (TA-Lib does the same).
        for i in range(first, size):
            out[i] = x[i]
        return
    k = 2.0 / (n + 1)
    total = 0.0
    for i in range(first - n + 1, first + 1):
        total += x[i]
    prev = total / n
    out[first] = prev
    for i in range(first + 1, size):
        prev = ((x[i] - prev) * k) + prev
        out[i] = prev


@nb.njit(**JIT)
def wma_into(x: FloatArray, n: int, out: FloatArray) -> None:
    """Linearly weighted moving average (TA_WMA running-sum algorithm)."""
    size = x.shape[0]
    fill_nan(out, n - 1)
    if size < n:
        return
    if n == 1:
        copy_into(x, out)
        return
    divider = n * (n + 1) / 2.0
    period_sub = 0.0
    period_sum = 0.0
    for i in range(n - 1):
        v = x[i]
        period_sub += v
        period_sum += v * (i + 1)
    trailing_value = 0.0
    # Both totals are rebuilt from the window every 8 periods (TA-Lib #255) so
    # that rounding residue cannot pile up; between rebuilds a tight loop with
    # unsigned indices (see _core.U) runs.
    rebuild = n - 2 + 8 * n
    i = n - 1
    while i < size:
        stop = min(size, rebuild)
        for j in range(i, stop):
            v = x[U(j)]
            period_sub += v
            period_sub -= trailing_value
            period_sum += v * n
            trailing_value = x[U(j - n + 1)]
            out[U(j)] = period_sum / divider
            period_sum -= period_sub
        i = max(i, stop)
        if i >= size:
            break
        period_sub = 0.0
        period_sum = 0.0
        for j in range(i - n + 1, i + 1):
            period_sub += x[j]
            period_sum += x[j] * (j - i + n)
        trailing_value = x[i - n + 1]
        out[i] = period_sum / divider
        period_sum -= period_sub
        rebuild += 8 * n
        i += 1


MODE_BANDS = 0
MODE_WILLR = 1
MODE_MIDPOINT = 2
MODE_STOCH_K = 3


@nb.njit(**JIT)
def _emit(mode: int, hh: float, ll: float, close: float) -> float:
    # The first output of a window with highest high ``hh``, lowest low ``ll``
    # (scalars only: arrays passed to a helper are reference-counted per call).
    if mode == MODE_BANDS:
        return hh
    if mode == MODE_MIDPOINT:
        return (hh + ll) / 2.0
    if mode == MODE_STOCH_K:
        # Fast %K; a window flat relative to its own extremes gives 0 (TA-Lib #253).
        diff = hh - ll
        flat = abs(diff) <= 1e-14 * (abs(hh) + abs(ll))
        return 0.0 if flat else 100.0 * ((close - ll) / diff)
    diff = (hh - ll) / (-100.0)
    return (hh - close) / diff if diff != 0.0 else 0.0


@nb.njit(**JIT)
def scan_extremes(
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    n: int,
    mode: int,
    out1: FloatArray,
    out2: FloatArray,
) -> None:
    """Highest ``high`` and lowest ``low`` of every ``n``-bar window, fed to ``_emit``.

    Van Herk / Gil-Werman block scan (as TA-Lib's WILLR): per block of ``n``
    bars one backward pass builds suffix extremes, one forward pass the next
    block's prefix extremes, and each window is the max/min of one suffix and
    one prefix: a fixed ~3 comparisons per bar whatever the period, using two
    buffers of ``n`` values instead of full-length temporaries. ``out1``/``out2``
    receive the result from bar ``n - 1`` on (see ``MODE_*``).
    """
    size = high.shape[0]
    suf_h = np.empty(n)
    suf_l = np.empty(n)
    pre_h = np.empty(n)
    pre_l = np.empty(n)
    start = 0
    # Indices are cast to unsigned (see _core.U): no wraparound code per access.
    while start + n - 1 < size:
        last = U(start + n - 1)
        hh = high[last]
        ll = low[last]
        suf_h[n - 1] = hh
        suf_l[n - 1] = ll
        for k in range(n - 2, -1, -1):
            j = U(start + k)
            v = high[j]
            if v > hh:
                hh = v
            v = low[j]
            if v < ll:
                ll = v
            suf_h[U(k)] = hh
            suf_l[U(k)] = ll
        out1[last] = _emit(mode, suf_h[0], suf_l[0], close[last])
        if mode == MODE_BANDS:
            out2[last] = suf_l[0]
        nxt = start + n
        avail = min(n - 1, size - nxt)
        if avail > 0:
            hh = high[U(nxt)]
            ll = low[U(nxt)]
            pre_h[0] = hh
            pre_l[0] = ll
            for m in range(1, avail):
                j = U(nxt + m)
                v = high[j]
                if v > hh:
                    hh = v
                v = low[j]
                if v < ll:
                    ll = v
                pre_h[U(m)] = hh
                pre_l[U(m)] = ll
            for m in range(1, avail + 1):
                a = suf_h[U(m)]
                b = pre_h[U(m - 1)]
                hh = a if a >= b else b
                a = suf_l[U(m)]
                b = pre_l[U(m - 1)]
                ll = a if a <= b else b
                j = U(nxt + m - 1)
                out1[j] = _emit(mode, hh, ll, close[j])
                if mode == MODE_BANDS:
                    out2[j] = ll
        start = nxt


@nb.njit(**JIT)
def true_range(high: float, low: float, prev_close: float) -> float:
    """True range of one bar given the previous close (TA-Lib's comparison order)."""
    greatest = high - low
    val2 = abs(prev_close - high)
    if val2 > greatest:
        greatest = val2
    val3 = abs(prev_close - low)
    if val3 > greatest:
        greatest = val3
    return greatest


@nb.njit(**JIT)
def trange_into(high: FloatArray, low: FloatArray, close: FloatArray, out: FloatArray) -> None:
    """True range; the first bar has no previous close and is NaN."""
    fill_nan(out, 1)
    for i in range(1, close.shape[0]):
        out[i] = true_range(high[i], low[i], close[i - 1])


@nb.njit(**JIT_FMA)
def atr_into(
    high: FloatArray, low: FloatArray, close: FloatArray, n: int, first: int, out: FloatArray
) -> None:
    """Wilder's ATR whose first value, at bar ``first`` (>= n), is the mean of the
    ``n`` true ranges ending there; then ``atr = a * tr + b * atr`` with
    ``b = (n - 1) / n`` and ``a = 1 - b`` (TA-Lib's fused Wilder step).

    Plain ATR uses ``first = n``; TA-Lib's KC seeds it later, on its own first bar.
    """
    size = close.shape[0]
    fill_nan(out, first)
    if size <= first:
        return
    beta = (n - 1) / n
    alpha = 1.0 - beta
    total = 0.0
    for i in range(first - n + 1, first + 1):
        total += true_range(high[i], low[i], close[i - 1])
    prev = total / n
    out[first] = prev
    for i in range(first + 1, size):
        prev = alpha * true_range(high[i], low[i], close[i - 1]) + beta * prev
        out[i] = prev


@nb.njit(**JIT_FMA)
def smooth_into(src: FloatArray, start: int, n: int, matype: int, dst: FloatArray) -> None:
    """Write TA_MA(src[start:], n, matype) into ``dst`` from bar ``start + n - 1`` on.

    SMA (0) or classic EMA (1); period 1 is the identity. ``dst`` may be ``src``:
    a ring buffer keeps the raw values the SMA still has to subtract.
    """
    size = src.shape[0]
    if size - start < n:
        return
    if n == 1:
        for i in range(start, size):
            dst[i] = src[i]
        return
    if matype == 1:
        k = 2.0 / (n + 1)
        total = 0.0
        for i in range(start, start + n):
            total += src[i]
        prev = total / n
        dst[start + n - 1] = prev
        for i in range(start + n, size):
            prev = ((src[i] - prev) * k) + prev
            dst[i] = prev
        return
    ring = np.empty(n)
    total = 0.0
    for j in range(n - 1):
        v = src[start + j]
        ring[j] = v
        total += v
    slot = n - 1
    for i in range(start + n - 1, size):
        v = src[i]
        total += v
        tmp = total
        trail = slot + 1 if slot + 1 < n else 0
        total -= ring[trail]
        ring[slot] = v
        slot = trail
        dst[i] = tmp / n


@nb.njit(**JIT)
def var_into(x: FloatArray, n: int, out: FloatArray) -> None:
    """Population variance over ``n`` bars, cancellation-free (TA-Lib >= 0.7 TA_VAR).

    Running sums are taken of deviations from a shift near the window and
    rebuilt with a fresh two-pass whenever cancellation would lose digits, an
    outlier leaves the window, or every ``32 * n`` bars.
    """
    _variance(x, n, 1.0, False, out)


@nb.njit(**JIT)
def stddev_into(x: FloatArray, n: int, nbdev: float, out: FloatArray) -> None:
    """Population standard deviation times ``nbdev`` (the variance is never negative)."""
    _variance(x, n, nbdev, True, out)


@nb.njit(**JIT)
def _variance(x: FloatArray, n: int, nbdev: float, root: bool, out: FloatArray) -> None:
    size = x.shape[0]
    fill_nan(out, n - 1)
    if size < n:
        return
    inv = 1.0 / n
    shift = x[0]
    t1 = 0.0
    t2 = 0.0
    for j in range(n - 1):
        tmp = x[j] - shift
        t1 += tmp
        t2 += tmp * tmp
    countdown = 32 * n
    for i in range(n - 1, size):
        tmp = x[i] - shift
        t1 += tmp
        t2 += tmp * tmp
        mean1 = t1 * inv
        variance = t2 * inv - mean1 * mean1
        tmp = x[i - n + 1] - shift
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
            # Below 1e-12 of the mean squared deviation the spread is rounding noise
            # of the mean itself: report exactly 0 (TA-Lib #243).
            if variance < 0.000000000001 * (t2 * inv):
                variance = 0.0
            tmp = x[start] - shift
            t1 -= tmp
            t2 -= tmp * tmp
        if not root:
            out[i] = variance
        elif nbdev != 1.0:
            out[i] = math.sqrt(variance) * nbdev
        else:
            out[i] = math.sqrt(variance)
