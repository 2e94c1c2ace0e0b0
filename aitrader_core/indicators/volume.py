"""Volume: obv, ad, adosc, cmf, vwap."""

from __future__ import annotations

import math
from typing import Any

import numba as nb
import numpy as np
import pandas as pd

from ._core import (
    JIT,
    JIT_FMA,
    FloatArray,
    IntArray,
    U,
    Values,
    as_float_array,
    check_period,
    indicator,
    run,
)
from ._kernels import fill_nan
from ._timeframe import bucket_open_ms, bucket_spec, to_epoch_ms


@nb.njit(**JIT)
def _obv(close: FloatArray, volume: FloatArray, out: FloatArray) -> None:
    size = close.shape[0]
    if size == 0:
        return
    total = volume[0]
    prev = close[0]
    for i in range(size):
        value = close[i]
        if value > prev:
            total += volume[i]
        elif value < prev:
            total -= volume[i]
        out[i] = total
        prev = value


@indicator("close", "volume")
def obv(close: Values, volume: Values) -> Values:
    """On-balance volume (TA-Lib ``OBV``), starting from the first bar's volume.

    Parameters
    ----------
    close, volume
        Price and volume series.

    Returns
    -------
    Running volume total, added on up-closes and subtracted on down-closes; no warm-up.

    Examples
    --------
    >>> import numpy as np
    >>> obv(np.array([1.0, 2.0, 1.5, 1.5]), np.array([10.0, 5.0, 3.0, 7.0]))
    array([10., 15., 12., 12.])
    """
    return run(_obv, close.shape[0], close, volume)


@nb.njit(**JIT)
def _money_flow(high: float, low: float, close: float, volume: float) -> float:
    rng = high - low
    if rng > 0.0:
        return (((close - low) - (high - close)) / rng) * volume
    return 0.0


@nb.njit(**JIT)
def _ad(
    high: FloatArray, low: FloatArray, close: FloatArray, volume: FloatArray, out: FloatArray
) -> None:
    size = close.shape[0]
    total = 0.0
    for i in range(size):
        total += _money_flow(high[i], low[i], close[i], volume[i])
        out[i] = total


@indicator("high", "low", "close", "volume")
def ad(high: Values, low: Values, close: Values, volume: Values) -> Values:
    """Chaikin accumulation/distribution line (TA-Lib ``AD``).

    Each bar adds ``((close - low) - (high - close)) / (high - low) * volume``
    (nothing for a bar with ``high == low``).

    Parameters
    ----------
    high, low, close, volume
        Price and volume series.

    Returns
    -------
    Cumulative A/D line; no warm-up.

    Examples
    --------
    >>> import numpy as np
    >>> ad(np.array([2.0, 2.0]), np.array([0.0, 0.0]), np.array([2.0, 0.5]), np.array([1.0, 2.0]))
    array([1., 0.])
    """
    return run(_ad, close.shape[0], high, low, close, volume)


@nb.njit(**JIT_FMA)
def _adosc(
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    volume: FloatArray,
    fast: int,
    slow: int,
    out: FloatArray,
) -> None:
    # TA-Lib seeds both EMAs with the first A/D value (not with an SMA).
    size = close.shape[0]
    lookback = max(fast, slow) - 1
    fill_nan(out, lookback)
    if size <= lookback:
        return
    fast_k = 2.0 / (fast + 1)
    slow_k = 2.0 / (slow + 1)
    one_minus_fast = 1.0 - fast_k
    one_minus_slow = 1.0 - slow_k
    total = _money_flow(high[0], low[0], close[0], volume[0])
    fast_ema = total
    slow_ema = total
    for i in range(1, size):
        total += _money_flow(high[i], low[i], close[i], volume[i])
        fast_ema = (fast_k * total) + (one_minus_fast * fast_ema)
        slow_ema = (slow_k * total) + (one_minus_slow * slow_ema)
        if i >= lookback:
            out[i] = fast_ema - slow_ema


@indicator("high", "low", "close", "volume")
def adosc(
    high: Values,
    low: Values,
    close: Values,
    volume: Values,
    fastperiod: int = 3,
    slowperiod: int = 10,
) -> Values:
    """Chaikin A/D oscillator (TA-Lib ``ADOSC``): ``EMA(AD, fast) - EMA(AD, slow)``.

    Both EMAs start from the first A/D value, as in TA-Lib.

    Parameters
    ----------
    high, low, close, volume
        Price and volume series.
    fastperiod, slowperiod
        EMA periods (>= 2).

    Returns
    -------
    Oscillator with ``max(fastperiod, slowperiod) - 1`` NaN warm-up bars.

    Examples
    --------
    >>> import numpy as np
    >>> h = np.full(4, 2.0); lo = np.zeros(4); c = np.array([2.0, 2.0, 0.0, 2.0])
    >>> adosc(h, lo, c, np.ones(4), fastperiod=2, slowperiod=3)
    array([        nan,         nan, -0.02777778,  0.11574074])
    """
    return run(
        _adosc,
        close.shape[0],
        high,
        low,
        close,
        volume,
        check_period("fastperiod", fastperiod, 2),
        check_period("slowperiod", slowperiod, 2),
    )


@nb.njit(**JIT)
def _cmf(
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    volume: FloatArray,
    n: int,
    out: FloatArray,
) -> None:
    size = close.shape[0]
    fill_nan(out, n - 1)
    if size < n:
        return
    ring = np.empty(n)  # each bar's money flow, read back when it leaves the window
    mf = 0.0
    vol = 0.0
    nonzero = 0  # bars with volume in the window: decides "no volume", not the float sum
    for i in range(n):
        flow = _money_flow(high[i], low[i], close[i], volume[i])
        ring[i] = flow
        mf += flow
        vol += volume[i]
        nonzero += volume[i] != 0.0
    out[n - 1] = mf / vol if nonzero > 0 else 0.0
    # The sums are rebuilt from the window every 32 periods so rounding residue
    # cannot accumulate; the bars in between run a tight loop.
    rebuild = n - 2 + 32 * n
    slot = 0
    i = n
    while i < size:
        stop = min(size, rebuild)
        for j in range(i, stop):
            u = U(j)  # unsigned indices: no negative-index wraparound code (see _core.U)
            k = U(slot)
            v = volume[u]
            flow = _money_flow(high[u], low[u], close[u], v)
            mf -= ring[k]
            ring[k] = flow
            slot = slot + 1 if slot + 1 < n else 0
            old = volume[U(j - n)]
            vol -= old
            nonzero -= old != 0.0
            mf += flow
            vol += v
            nonzero += v != 0.0
            out[u] = mf / vol if nonzero > 0 else 0.0
        i = max(i, stop)
        if i >= size:
            break
        ring[slot] = _money_flow(high[i], low[i], close[i], volume[i])
        slot = slot + 1 if slot + 1 < n else 0
        nonzero += (volume[i] != 0.0) - (volume[i - n] != 0.0)
        mf = 0.0
        vol = 0.0
        for k in range(n):  # type: ignore[assignment]  # numba index types
            mf += ring[k]
            vol += volume[i - k]
        out[i] = mf / vol if nonzero > 0 else 0.0
        rebuild += 32 * n
        i += 1


@indicator("high", "low", "close", "volume")
def cmf(high: Values, low: Values, close: Values, volume: Values, timeperiod: int = 20) -> Values:
    """Chaikin money flow: window sum of money-flow volume over window sum of volume.

    Money-flow volume is ``((close - low) - (high - close)) / (high - low) * volume``
    (0 for a bar with ``high == low``).

    Parameters
    ----------
    high, low, close, volume
        Price and volume series.
    timeperiod
        Window length (>= 1).

    Returns
    -------
    CMF in [-1, 1] with ``timeperiod - 1`` NaN warm-up bars; 0 for a window without volume.

    Examples
    --------
    >>> import numpy as np
    >>> h = np.full(3, 2.0); lo = np.zeros(3); c = np.array([2.0, 1.5, 0.0])
    >>> cmf(h, lo, c, np.array([1.0, 2.0, 1.0]), timeperiod=2)
    array([       nan, 0.66666667, 0.        ])
    """
    n = check_period("timeperiod", timeperiod)
    return run(_cmf, close.shape[0], high, low, close, volume, n)


@nb.njit(**JIT)
def _vwap(
    high: FloatArray,
    low: FloatArray,
    close: FloatArray,
    volume: FloatArray,
    session: IntArray,
    size_ms: int,
    offset_ms: int,
    out: FloatArray,
) -> None:
    # session[i] is the bar's session key when size_ms == 0 (calendar months);
    # otherwise the key is computed here: floor((ts - offset) / size).
    size = close.shape[0]
    pv = 0.0
    vol = 0.0
    prev_key = 0
    # [lo_ms, hi_ms) is the current session's span: the integer division giving
    # the key is only needed when a bar leaves it.
    lo_ms = 0
    hi_ms = 0
    for i in range(size):
        u = U(i)  # unsigned index: no wraparound code (see _core.U)
        stamp = session[u]
        if size_ms == 0:
            key = stamp
        elif lo_ms <= stamp < hi_ms and i > 0:
            key = prev_key
        else:
            key = (stamp - offset_ms) // size_ms
            lo_ms = key * size_ms + offset_ms
            hi_ms = lo_ms + size_ms
        if i == 0 or key != prev_key:
            pv = 0.0
            vol = 0.0
        prev_key = key
        tp = (high[u] + low[u] + close[u]) / 3.0
        v = volume[u]
        if math.isnan(tp) or math.isnan(v):
            out[u] = np.nan
            continue
        pv += tp * v
        vol += v
        out[u] = pv / vol if vol > 0.0 else np.nan


def vwap(
    high: Values,
    low: Values,
    close: Values,
    volume: Values,
    timestamps: Any = None,
    anchor: str | None = "D",
) -> Values:
    """Session-anchored volume-weighted average price of the typical price.

    Sums of ``(high + low + close) / 3 * volume`` and ``volume`` restart at the
    first bar of every session; a session is the ``anchor`` bucket the bar's
    open time falls in ('D' = UTC calendar day, or any ccxt timeframe such as
    '4h', '1w' (Monday 00:00 UTC) or '1M'). Only bars up to and including ``t``
    enter the value at ``t``.

    Parameters
    ----------
    high, low, close, volume
        Price and volume series (numpy arrays or pandas Series).
    timestamps
        Bar open times: int64 epoch milliseconds, datetime64 values or a
        DatetimeIndex. Optional when ``close`` is a Series with a DatetimeIndex.
    anchor
        Session length: 'D' (default), 'W', 'M' or a ccxt timeframe; ``None``
        for one session over the whole input (TA-Lib 0.8's ``VWAP``).

    Returns
    -------
    VWAP per bar (NaN while the session has no volume yet); a Series when
    ``close`` is one.

    Examples
    --------
    >>> import numpy as np
    >>> ts = np.array([0, 3_600_000, 86_400_000])  # two bars on 1970-01-01, one on the 2nd
    >>> p = np.array([10.0, 20.0, 30.0])
    >>> vwap(p, p, p, np.array([1.0, 3.0, 1.0]), timestamps=ts)
    array([10. , 17.5, 30. ])
    """
    index = close.index if isinstance(close, pd.Series) else None
    if timestamps is None and anchor is None:
        timestamps = np.zeros(len(close), dtype=np.int64)
    if timestamps is None:
        if not isinstance(index, pd.DatetimeIndex):
            raise ValueError("timestamps is required unless close is a Series with a DatetimeIndex")
        timestamps = index
    ts = to_epoch_ms(timestamps)
    arrays = [
        as_float_array(a, name)
        for a, name in ((high, "high"), (low, "low"), (close, "close"), (volume, "volume"))
    ]
    if any(a.shape[0] != ts.shape[0] for a in arrays):
        raise ValueError("high, low, close, volume and timestamps must have the same length")
    if anchor is None:
        out = run(_vwap, ts.shape[0], *arrays, ts, 2**62, 0)
    else:
        size_ms, offset_ms = bucket_spec(anchor)
        keys = ts if size_ms else bucket_open_ms(ts, anchor)
        out = run(_vwap, ts.shape[0], *arrays, keys, size_ms, offset_ms)
    if index is not None:
        return pd.Series(out, index=index, name="vwap")
    return out
