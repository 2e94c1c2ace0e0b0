"""Momentum: rsi, cmo, stoch, stochf, stochrsi, macd, ppo, apo, mom, roc, trix."""

from __future__ import annotations

from typing import Generic, NamedTuple

import numba as nb
import numpy as np

from ._core import (
    JIT,
    JIT_FMA,
    TA_EPSILON,
    FloatArray,
    U,
    Values,
    check_matype,
    check_period,
    indicator,
    run,
)
from ._kernels import MODE_STOCH_K, fill_nan, scan_extremes, smooth_into


class Stoch(NamedTuple, Generic[Values]):
    """Slow stochastic lines."""

    slowk: Values
    slowd: Values


class StochF(NamedTuple, Generic[Values]):
    """Fast stochastic lines."""

    fastk: Values
    fastd: Values


class MACD(NamedTuple, Generic[Values]):
    """MACD line, its signal line and their difference."""

    macd: Values
    macdsignal: Values
    macdhist: Values


@nb.njit(**JIT)
def _rsi(x: FloatArray, n: int, out: FloatArray) -> None:
    size = x.shape[0]
    fill_nan(out, n)
    if size <= n:
        return
    inv = 1.0 / n
    prev_value = x[0]
    gain = 0.0
    loss = 0.0
    for today in range(1, size):
        diff = x[today] - prev_value
        prev_value = x[today]
        if today > n:
            loss *= n - 1
            gain *= n - 1
        up = diff if diff > 0.0 else 0.0
        gain += up
        loss += up - diff
        if today < n:
            continue
        loss *= inv
        gain *= inv
        total = gain + loss
        # Tested exactly: a fixed band would zero the index of low-priced instruments.
        out[today] = 100.0 * (gain / total) if total > 0.0 else 0.0


@nb.njit(**JIT)
def _cmo(x: FloatArray, n: int, out: FloatArray) -> None:
    # TA-Lib's CMO keeps the classic RSI loop (divide by n, TA_IS_ZERO band).
    size = x.shape[0]
    fill_nan(out, n)
    if size <= n:
        return
    prev_value = x[0]
    gain = 0.0
    loss = 0.0
    for today in range(1, size):
        diff = x[today] - prev_value
        prev_value = x[today]
        if today > n:
            loss *= n - 1
            gain *= n - 1
        if diff < 0.0:
            loss -= diff
        else:
            gain += diff
        if today < n:
            continue
        loss /= n
        gain /= n
        total = gain + loss
        out[today] = 100.0 * ((gain - loss) / total) if total > 0.0 else 0.0


@indicator("close")
def rsi(close: Values, timeperiod: int = 14) -> Values:
    """Relative strength index (TA-Lib ``RSI``, Wilder smoothing).

    Average gain and loss start as plain means over the first ``timeperiod``
    changes, then ``avg = (avg * (n - 1) + today) / n``; RSI is
    ``100 * gain / (gain + loss)`` (0 when both are zero).

    Parameters
    ----------
    close
        Price series.
    timeperiod
        Smoothing period (>= 2).

    Returns
    -------
    RSI in [0, 100] with ``timeperiod`` NaN warm-up bars.

    Examples
    --------
    >>> import numpy as np
    >>> rsi(np.array([1.0, 2.0, 1.5, 2.5, 3.0]), timeperiod=2)
    array([        nan,         nan, 66.66666667, 85.71428571, 90.90909091])
    """
    return run(_rsi, close.shape[0], close, check_period("timeperiod", timeperiod, 2))


@indicator("close")
def cmo(close: Values, timeperiod: int = 14) -> Values:
    """Chande momentum oscillator (TA-Lib ``CMO``): ``100 * (gain - loss) / (gain + loss)``.

    Gains and losses are Wilder-smoothed exactly as in :func:`rsi`.

    Parameters
    ----------
    close
        Price series.
    timeperiod
        Smoothing period (>= 2).

    Returns
    -------
    CMO in [-100, 100] with ``timeperiod`` NaN warm-up bars.

    Examples
    --------
    >>> import numpy as np
    >>> cmo(np.array([1.0, 2.0, 1.5, 2.5, 3.0]), timeperiod=2)
    array([        nan,         nan, 33.33333333, 71.42857143, 81.81818182])
    """
    return run(_cmo, close.shape[0], close, check_period("timeperiod", timeperiod, 2))


@nb.njit(**JIT)
def _raw_k_into(
    high: FloatArray, low: FloatArray, close: FloatArray, start: int, n: int, out: FloatArray
) -> None:
    # Fast %K = 100 * ((close - LL) / (HH - LL)) over the n bars ending at each bar
    # (inputs valid from ``start``), with TA-Lib's arithmetic and flat-window rule.
    sub = out[start:]
    scan_extremes(high[start:], low[start:], close[start:], n, MODE_STOCH_K, sub, sub)


@nb.njit(**JIT)
def _stoch(
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    k_n: int,
    k_smooth: int,
    k_matype: int,
    d_n: int,
    d_matype: int,
    slowk: FloatArray,
    slowd: FloatArray,
) -> None:
    size = close.shape[0]
    lookback = k_n + k_smooth + d_n - 3
    fill_nan(slowk, size)
    fill_nan(slowd, size)
    _raw_k_into(high, low, close, 0, k_n, slowk)
    smooth_into(slowk, k_n - 1, k_smooth, k_matype, slowk)
    smooth_into(slowk, k_n + k_smooth - 2, d_n, d_matype, slowd)
    fill_nan(slowk, lookback)


@indicator("high", "low", "close")
def stoch(
    high: Values,
    low: Values,
    close: Values,
    fastk_period: int = 5,
    slowk_period: int = 3,
    slowk_matype: int = 0,
    slowd_period: int = 3,
    slowd_matype: int = 0,
) -> Stoch[Values]:
    """Slow stochastic oscillator (TA-Lib ``STOCH``).

    ``slowk`` is the ``slowk_period`` moving average of fast %K and ``slowd``
    the ``slowd_period`` average of ``slowk``; both start at the same bar, like
    TA-Lib.

    Parameters
    ----------
    high, low, close
        Price series.
    fastk_period
        Look-back of the raw %K (>= 1).
    slowk_period, slowd_period
        Smoothing periods (>= 1).
    slowk_matype, slowd_matype
        Moving-average type: 0 = SMA (TA-Lib's default), 1 = EMA.

    Returns
    -------
    Stoch
        ``(slowk, slowd)``, NaN for ``fastk_period + slowk_period + slowd_period - 3`` bars.

    Examples
    --------
    >>> import numpy as np
    >>> h = np.array([3.0, 4.0, 5.0, 6.0, 7.0]); lo = h - 2.0; c = h - 0.5
    >>> stoch(h, lo, c, fastk_period=2, slowk_period=2, slowd_period=2).slowk
    array([        nan,         nan,         nan, 83.33333333, 83.33333333])
    """
    return Stoch(
        *run(
            _stoch,
            close.shape[0],
            high,
            low,
            close,
            check_period("fastk_period", fastk_period),
            check_period("slowk_period", slowk_period),
            check_matype("slowk_matype", slowk_matype),
            check_period("slowd_period", slowd_period),
            check_matype("slowd_matype", slowd_matype),
            outputs=2,
        )
    )


@nb.njit(**JIT)
def _stochf(
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    start: int,
    k_n: int,
    d_n: int,
    d_matype: int,
    fastk: FloatArray,
    fastd: FloatArray,
) -> None:
    size = close.shape[0]
    fill_nan(fastk, size)
    fill_nan(fastd, size)
    _raw_k_into(high, low, close, start, k_n, fastk)
    smooth_into(fastk, start + k_n - 1, d_n, d_matype, fastd)
    fill_nan(fastk, start + k_n + d_n - 2)


@indicator("high", "low", "close")
def stochf(
    high: Values,
    low: Values,
    close: Values,
    fastk_period: int = 5,
    fastd_period: int = 3,
    fastd_matype: int = 0,
) -> StochF[Values]:
    """Fast stochastic oscillator (TA-Lib ``STOCHF``).

    Parameters
    ----------
    high, low, close
        Price series.
    fastk_period
        Look-back of %K (>= 1).
    fastd_period
        Smoothing of %D (>= 1).
    fastd_matype
        0 = SMA (default), 1 = EMA.

    Returns
    -------
    StochF
        ``(fastk, fastd)``, NaN for ``fastk_period + fastd_period - 2`` bars.

    Examples
    --------
    >>> import numpy as np
    >>> h = np.array([3.0, 4.0, 5.0, 6.0]); lo = h - 2.0; c = h - 1.0
    >>> stochf(h, lo, c, fastk_period=2, fastd_period=2).fastd
    array([        nan,         nan, 66.66666667, 66.66666667])
    """
    k_n = check_period("fastk_period", fastk_period)
    d_n = check_period("fastd_period", fastd_period)
    d_matype = check_matype("fastd_matype", fastd_matype)
    return StochF(*run(_stochf, close.shape[0], high, low, close, 0, k_n, d_n, d_matype, outputs=2))


@nb.njit(**JIT)
def _stochrsi(
    x: FloatArray,
    n: int,
    k_n: int,
    d_n: int,
    d_matype: int,
    fastk: FloatArray,
    fastd: FloatArray,
    scratch: FloatArray,
) -> None:
    _rsi(x, n, scratch)
    _stochf(scratch, scratch, scratch, n, k_n, d_n, d_matype, fastk, fastd)


@indicator("close")
def stochrsi(
    close: Values,
    timeperiod: int = 14,
    fastk_period: int = 5,
    fastd_period: int = 3,
    fastd_matype: int = 0,
) -> StochF[Values]:
    """Stochastic RSI (TA-Lib ``STOCHRSI``): :func:`stochf` applied to :func:`rsi`.

    Parameters
    ----------
    close
        Price series.
    timeperiod
        RSI period (>= 2).
    fastk_period, fastd_period
        Stochastic look-back and %D smoothing (>= 1).
    fastd_matype
        0 = SMA (default), 1 = EMA.

    Returns
    -------
    StochF
        ``(fastk, fastd)`` in [0, 100].

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([1.0, 2.0, 1.5, 2.5, 3.0, 2.0])
    >>> stochrsi(x, timeperiod=2, fastk_period=2, fastd_period=1).fastk
    array([ nan,  nan,  nan, 100., 100.,   0.])
    """
    fastk, fastd, _ = run(
        _stochrsi,
        close.shape[0],
        close,
        check_period("timeperiod", timeperiod, 2),
        check_period("fastk_period", fastk_period),
        check_period("fastd_period", fastd_period),
        check_matype("fastd_matype", fastd_matype),
        outputs=3,
    )
    return StochF(fastk, fastd)


@nb.njit(**JIT_FMA)
def _macd(
    x: FloatArray,
    fast: int,
    slow: int,
    signal: int,
    line: FloatArray,
    sig: FloatArray,
    hist: FloatArray,
) -> None:
    # TA-Lib's lockstep MACD: both EMAs are seeded with SMAs whose windows end on the
    # same bar (slow - 1), and the signal EMA with the SMA of the first MACD values.
    if slow < fast:
        fast, slow = slow, fast
    size = x.shape[0]
    lookback = slow + signal - 2
    fill_nan(line, lookback)
    fill_nan(sig, lookback)
    fill_nan(hist, lookback)
    if size <= lookback:
        return
    fast_k = 2.0 / (fast + 1)
    slow_k = 2.0 / (slow + 1)
    signal_k = 2.0 / (signal + 1)
    today = 0
    total = 0.0
    for _ in range(slow - fast):
        total += x[today]
        today += 1
    prev_fast = 0.0
    for _ in range(fast):
        prev_fast += x[today]
        total += x[today]
        today += 1
    prev_slow = total / slow
    prev_fast = prev_fast / fast
    value = prev_fast - prev_slow
    prev_signal = value
    for _ in range(signal - 1):
        v = x[today]
        today += 1
        prev_fast = (v - prev_fast) * fast_k + prev_fast
        prev_slow = (v - prev_slow) * slow_k + prev_slow
        value = prev_fast - prev_slow
        prev_signal += value
    prev_signal = prev_signal / signal
    line[lookback] = value
    sig[lookback] = prev_signal
    hist[lookback] = value - prev_signal
    for today in range(lookback + 1, size):
        v = x[today]
        prev_fast = (v - prev_fast) * fast_k + prev_fast
        prev_slow = (v - prev_slow) * slow_k + prev_slow
        value = prev_fast - prev_slow
        prev_signal = (value - prev_signal) * signal_k + prev_signal
        line[today] = value
        sig[today] = prev_signal
        hist[today] = value - prev_signal


@indicator("close")
def macd(
    close: Values, fastperiod: int = 12, slowperiod: int = 26, signalperiod: int = 9
) -> MACD[Values]:
    """Moving average convergence/divergence (TA-Lib ``MACD``).

    ``macd = EMA(fast) - EMA(slow)``, ``macdsignal = EMA(macd, signal)``,
    ``macdhist = macd - macdsignal``. As in TA-Lib the fast EMA is seeded on
    the same bar as the slow one (its SMA seed covers bars
    ``slow - fast .. slow - 1``), and periods are swapped if ``fast > slow``.

    Parameters
    ----------
    close
        Price series.
    fastperiod, slowperiod
        EMA periods (>= 2).
    signalperiod
        Signal EMA period (>= 1).

    Returns
    -------
    MACD
        ``(macd, macdsignal, macdhist)`` with ``slowperiod + signalperiod - 2`` NaN bars.

    Examples
    --------
    >>> import numpy as np
    >>> out = macd(np.arange(1.0, 8.0), fastperiod=2, slowperiod=3, signalperiod=2)
    >>> out.macd
    array([nan, nan, nan, 0.5, 0.5, 0.5, 0.5])
    """
    return MACD(
        *run(
            _macd,
            close.shape[0],
            close,
            check_period("fastperiod", fastperiod, 2),
            check_period("slowperiod", slowperiod, 2),
            check_period("signalperiod", signalperiod),
            outputs=3,
        )
    )


@nb.njit(**JIT_FMA)
def _price_oscillator_ema(x: FloatArray, fast: int, slow: int, pct: bool, out: FloatArray) -> None:
    # Both EMAs seeded at their own look-back (mean of their first bars), then
    # advanced together; the oscillator starts on the slow EMA's first bar.
    size = x.shape[0]
    fast_k = 2.0 / (fast + 1)
    slow_k = 2.0 / (slow + 1)
    total = 0.0
    for i in range(fast):
        total += x[i]
    fast_ma = total / fast
    for i in range(fast, slow):
        fast_ma = ((x[i] - fast_ma) * fast_k) + fast_ma
    total = 0.0
    for i in range(slow):
        total += x[i]
    slow_ma = total / slow
    for i in range(slow - 1, size):
        if i >= slow:
            v = x[i]
            fast_ma = ((v - fast_ma) * fast_k) + fast_ma
            slow_ma = ((v - slow_ma) * slow_k) + slow_ma
        if not pct:
            out[i] = fast_ma - slow_ma
        elif abs(slow_ma) >= TA_EPSILON:
            out[i] = ((fast_ma - slow_ma) / slow_ma) * 100.0
        else:
            out[i] = 0.0


@nb.njit(**JIT)
def _price_oscillator(
    x: FloatArray, fast: int, slow: int, matype: int, pct: bool, out: FloatArray
) -> None:
    if slow < fast:
        fast, slow = slow, fast
    size = x.shape[0]
    fill_nan(out, slow - 1)
    if size < slow:
        return
    if matype == 1:
        _price_oscillator_ema(x, fast, slow, pct, out)
        return
    # Two SMA running sums in one pass; each follows TA_SMA's own add/subtract
    # sequence from its own first bar, so both are bit-identical to sma().
    fast_total = 0.0
    for i in range(fast - 1):
        fast_total += x[i]
    for i in range(fast - 1, slow - 1):
        fast_total += x[i]
        fast_total -= x[i - fast + 1]
    slow_total = 0.0
    zero_run = 0
    for i in range(slow - 1):
        slow_total += x[i]
        zero_run = zero_run + 1 if x[i] == 0.0 else 0
    for i in range(slow - 1, size):
        v = x[i]
        zero_run = zero_run + 1 if v == 0.0 else 0
        fast_total += v
        fast_value = fast_total
        fast_total -= x[i - fast + 1]
        slow_total += v
        slow_value = slow_total
        slow_total -= x[i - slow + 1]
        fast_ma = fast_value / fast
        slow_ma = slow_value / slow
        if not pct:
            out[i] = fast_ma - slow_ma
        elif zero_run >= slow:
            # An all-zero window is exactly zero; its running sum is only residue.
            out[i] = 0.0
        elif abs(slow_ma) >= TA_EPSILON:
            out[i] = ((fast_ma - slow_ma) / slow_ma) * 100.0
        else:
            out[i] = 0.0


@indicator("close")
def apo(close: Values, fastperiod: int = 12, slowperiod: int = 26, matype: int = 0) -> Values:
    """Absolute price oscillator (TA-Lib ``APO``): ``MA(fast) - MA(slow)``.

    Parameters
    ----------
    close
        Price series.
    fastperiod, slowperiod
        Moving-average periods (>= 2; swapped if fast > slow).
    matype
        0 = SMA (classic TA-Lib default), 1 = EMA.

    Returns
    -------
    APO with ``slowperiod - 1`` NaN warm-up bars.

    Examples
    --------
    >>> import numpy as np
    >>> apo(np.arange(1.0, 6.0), fastperiod=2, slowperiod=3)
    array([nan, nan, 0.5, 0.5, 0.5])
    """
    return run(
        _price_oscillator,
        close.shape[0],
        close,
        check_period("fastperiod", fastperiod, 2),
        check_period("slowperiod", slowperiod, 2),
        check_matype("matype", matype),
        False,
    )


@indicator("close")
def ppo(close: Values, fastperiod: int = 12, slowperiod: int = 26, matype: int = 0) -> Values:
    """Percentage price oscillator (TA-Lib ``PPO``): ``100 * (MA(fast) - MA(slow)) / MA(slow)``.

    Parameters
    ----------
    close
        Price series.
    fastperiod, slowperiod
        Moving-average periods (>= 2; swapped if fast > slow).
    matype
        0 = SMA (classic TA-Lib default), 1 = EMA.

    Returns
    -------
    PPO in percent with ``slowperiod - 1`` NaN warm-up bars (0 where ``MA(slow)`` is 0).

    Examples
    --------
    >>> import numpy as np
    >>> ppo(np.array([1.0, 2.0, 3.0, 4.0]), fastperiod=2, slowperiod=3)
    array([        nan,         nan, 25.        , 16.66666667])
    """
    return run(
        _price_oscillator,
        close.shape[0],
        close,
        check_period("fastperiod", fastperiod, 2),
        check_period("slowperiod", slowperiod, 2),
        check_matype("matype", matype),
        True,
    )


@nb.njit(**JIT)
def _roc(x: FloatArray, n: int, out: FloatArray) -> None:
    size = x.shape[0]
    fill_nan(out, n)
    for i in range(n, size):
        prev = x[U(i - n)]  # unsigned indices: no wraparound code (see _core.U)
        out[U(i)] = ((x[U(i)] / prev) - 1.0) * 100.0 if prev != 0.0 else 0.0


@indicator("close")
def mom(close: Values, timeperiod: int = 10) -> Values:
    """Momentum (TA-Lib ``MOM``): ``close[t] - close[t - timeperiod]``.

    Parameters
    ----------
    close
        Price series.
    timeperiod
        Look-back (>= 1).

    Returns
    -------
    Momentum with ``timeperiod`` NaN warm-up bars.

    Examples
    --------
    >>> import numpy as np
    >>> mom(np.array([1.0, 2.0, 4.0]), timeperiod=1)
    array([nan,  1.,  2.])
    """
    n = check_period("timeperiod", timeperiod)
    out = np.empty(close.shape[0])
    out[: min(n, out.shape[0])] = np.nan
    np.subtract(close[n:], close[: max(close.shape[0] - n, 0)], out=out[n:])
    return out


@indicator("close")
def roc(close: Values, timeperiod: int = 10) -> Values:
    """Rate of change in percent (TA-Lib ``ROC``): ``(close / close[t-n] - 1) * 100``.

    Parameters
    ----------
    close
        Price series.
    timeperiod
        Look-back (>= 1).

    Returns
    -------
    ROC with ``timeperiod`` NaN warm-up bars (0 where the old price is 0).

    Examples
    --------
    >>> import numpy as np
    >>> roc(np.array([1.0, 2.0, 3.0]), timeperiod=1)
    array([ nan, 100.,  50.])
    """
    return run(_roc, close.shape[0], close, check_period("timeperiod", timeperiod))


@nb.njit(**JIT_FMA)
def _trix(x: FloatArray, n: int, out: FloatArray) -> None:
    # Three chained EMAs in one pass (each seeded by the mean of the previous
    # stage's first n values), then the 1-bar rate of change of the third.
    size = x.shape[0]
    lookback = 3 * (n - 1) + 1
    fill_nan(out, lookback)
    if size <= lookback:
        return
    if n == 1:
        for i in range(1, size):
            prev = x[i - 1]
            out[i] = ((x[i] / prev) - 1.0) * 100.0 if prev != 0.0 else 0.0
        return
    k = 2.0 / (n + 1)
    total = 0.0
    for i in range(n):
        total += x[i]
    e1 = total / n
    total = e1
    for i in range(n, 2 * n - 1):
        e1 = ((x[i] - e1) * k) + e1
        total += e1
    e2 = total / n
    total = e2
    for i in range(2 * n - 1, 3 * n - 2):
        e1 = ((x[i] - e1) * k) + e1
        e2 = ((e1 - e2) * k) + e2
        total += e2
    e3 = total / n
    for i in range(3 * n - 2, size):
        e1 = ((x[i] - e1) * k) + e1
        e2 = ((e1 - e2) * k) + e2
        prev = e3
        e3 = ((e2 - e3) * k) + e3
        out[i] = ((e3 / prev) - 1.0) * 100.0 if prev != 0.0 else 0.0


@indicator("close")
def trix(close: Values, timeperiod: int = 30) -> Values:
    """TRIX (TA-Lib ``TRIX``): 1-bar rate of change, in percent, of a triple EMA.

    Parameters
    ----------
    close
        Price series.
    timeperiod
        EMA period (>= 1).

    Returns
    -------
    TRIX with ``3 * (timeperiod - 1) + 1`` NaN warm-up bars.

    Examples
    --------
    >>> import numpy as np
    >>> trix(np.array([1.0, 2.0, 4.0]), timeperiod=1)
    array([ nan, 100., 100.])
    """
    return run(_trix, close.shape[0], close, check_period("timeperiod", timeperiod))
