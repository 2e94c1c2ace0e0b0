"""One-candle patterns: doji, hammer, hanging_man, inverted_hammer, shooting_star, marubozu,
spinning_top.

Each detector returns an int32 array: +100 (bullish / white), -100 (bearish /
black) or 0, with 0 during the warm-up. "Long", "short", "very short" and
"near" are TA-Lib's default candle settings, averaged over the candles before
the one tested (see :mod:`._candles`); like TA-Lib, no trend filter is
applied — a hammer is only meaningful after a decline, which is the caller's
call.
"""

from __future__ import annotations

import numba as nb

from ._candles import body, color, hl, lower_shadow, sum_body, sum_hl, upper_shadow
from ._core import JIT, FloatArray, IntArray, Values, indicator, run_pattern

_CANDLE = ("open", "high", "low", "close")


@nb.njit(**JIT)
def _doji(o: FloatArray, h: FloatArray, lo: FloatArray, c: FloatArray, out: IntArray) -> None:
    size = c.shape[0]
    start = 10
    if size <= start:
        return
    total = sum_hl(h, lo, start - 10, start)
    trail = start - 10
    for i in range(start, size):
        out[i] = 100 if body(o[i], c[i]) <= (0.1 * (total / 10.0)) else 0
        total += hl(h[i], lo[i]) - hl(h[trail], lo[trail])
        trail += 1


@indicator(*_CANDLE, int_output=True)
def doji(open: Values, high: Values, low: Values, close: Values) -> Values:
    """Doji (TA-Lib ``CDLDOJI``): open and close (almost) equal.

    Rule: ``|close - open| <= 0.1 * mean(high - low of the previous 10 candles)``
    gives +100 (a doji is indecision, not a direction).

    Parameters
    ----------
    open, high, low, close
        Candle prices.

    Returns
    -------
    int32 array of 100 / 0; the first 10 bars are 0.

    Examples
    --------
    >>> import numpy as np
    >>> o = np.array([1.0] * 10 + [1.0]); c = np.array([2.0] * 10 + [1.01])
    >>> doji(o, c + 1.0, o - 1.0, c)[-1]
    np.int32(100)
    """
    return run_pattern(_doji, close.shape[0], open, high, low, close)


@nb.njit(**JIT)
def _hammer(
    o: FloatArray, h: FloatArray, lo: FloatArray, c: FloatArray, hanging: bool, out: IntArray
) -> None:
    size = c.shape[0]
    start = 11
    if size <= start:
        return
    body_total = sum_body(o, c, start - 10, start)
    short_total = sum_hl(h, lo, start - 10, start)
    near_total = sum_hl(h, lo, start - 6, start - 1)
    body_trail = start - 10
    short_trail = start - 10
    near_trail = start - 6
    signal = -100 if hanging else 100
    for i in range(start, size):
        bottom = min(c[i], o[i])
        if hanging:
            near_ok = bottom >= h[i - 1] - (0.2 * (near_total / 5.0))
        else:
            near_ok = bottom <= lo[i - 1] + (0.2 * (near_total / 5.0))
        hit = (
            (body(o[i], c[i]) < (body_total / 10.0))
            & (lower_shadow(o[i], lo[i], c[i]) > body(o[i], c[i]))
            & (upper_shadow(o[i], h[i], c[i]) < (0.1 * (short_total / 10.0)))
            & near_ok
        )
        out[i] = signal if hit else 0
        body_total += body(o[i], c[i]) - body(o[body_trail], c[body_trail])
        short_total += hl(h[i], lo[i]) - hl(h[short_trail], lo[short_trail])
        near_total += hl(h[i - 1], lo[i - 1]) - hl(h[near_trail], lo[near_trail])
        body_trail += 1
        short_trail += 1
        near_trail += 1


@indicator(*_CANDLE, int_output=True)
def hammer(open: Values, high: Values, low: Values, close: Values) -> Values:
    """Hammer (TA-Lib ``CDLHAMMER``), bullish.

    Rule, all of:

    * small body: ``body < mean(body of previous 10 candles)``;
    * long lower shadow: ``lower shadow > body``;
    * (almost) no upper shadow: ``upper shadow < 0.1 * mean(high - low of previous 10)``;
    * body at or near the prior low: ``min(open, close) <= low[t-1] + 0.2 *
      mean(high - low of the 5 candles before t-1)``.

    Parameters
    ----------
    open, high, low, close
        Candle prices.

    Returns
    -------
    int32 array of 100 / 0; the first 11 bars are 0.

    Examples
    --------
    >>> import numpy as np
    >>> o = np.array([10.0, 11.0] * 6); c = o[::-1].copy(); h = np.maximum(o, c); lo = h - 1.5
    >>> o[-1], c[-1], h[-1], lo[-1] = 9.6, 9.8, 9.8, 9.0  # tiny body, long tail, at the lows
    >>> hammer(o, h, lo, c)[-1]
    np.int32(100)
    """
    return run_pattern(_hammer, close.shape[0], open, high, low, close, False)


@indicator(*_CANDLE, int_output=True)
def hanging_man(open: Values, high: Values, low: Values, close: Values) -> Values:
    """Hanging man (TA-Lib ``CDLHANGINGMAN``), bearish: a hammer shape near the prior high.

    Rule: the hammer's first three conditions (small body, lower shadow longer
    than the body, upper shadow < 0.1 * average range) and
    ``min(open, close) >= high[t-1] - 0.2 * mean(high - low of the 5 candles before t-1)``.

    Parameters
    ----------
    open, high, low, close
        Candle prices.

    Returns
    -------
    int32 array of -100 / 0; the first 11 bars are 0.

    Examples
    --------
    >>> import numpy as np
    >>> o = np.array([10.0, 11.0] * 6); c = o[::-1].copy(); h = np.maximum(o, c); lo = h - 1.5
    >>> o[-1], c[-1], h[-1], lo[-1] = 10.9, 11.1, 11.1, 10.3  # same shape, up at the highs
    >>> hanging_man(o, h, lo, c)[-1]
    np.int32(-100)
    """
    return run_pattern(_hammer, close.shape[0], open, high, low, close, True)


@nb.njit(**JIT)
def _inverted(
    o: FloatArray, h: FloatArray, lo: FloatArray, c: FloatArray, star: bool, out: IntArray
) -> None:
    size = c.shape[0]
    start = 11
    if size <= start:
        return
    body_total = sum_body(o, c, start - 10, start)
    short_total = sum_hl(h, lo, start - 10, start)
    body_trail = start - 10
    short_trail = start - 10
    signal = -100 if star else 100
    for i in range(start, size):
        if star:
            gap = min(o[i], c[i]) > max(o[i - 1], c[i - 1])
        else:
            gap = max(o[i], c[i]) < min(o[i - 1], c[i - 1])
        # The body gap is rare: test it first and branch, the rest branch-free.
        if gap and (
            (body(o[i], c[i]) < (body_total / 10.0))
            & (upper_shadow(o[i], h[i], c[i]) > body(o[i], c[i]))
            & (lower_shadow(o[i], lo[i], c[i]) < (0.1 * (short_total / 10.0)))
        ):
            out[i] = signal
        body_total += body(o[i], c[i]) - body(o[body_trail], c[body_trail])
        short_total += hl(h[i], lo[i]) - hl(h[short_trail], lo[short_trail])
        body_trail += 1
        short_trail += 1


@indicator(*_CANDLE, int_output=True)
def inverted_hammer(open: Values, high: Values, low: Values, close: Values) -> Values:
    """Inverted hammer (TA-Lib ``CDLINVERTEDHAMMER``), bullish.

    Rule, all of:

    * real body gaps down: ``max(open, close) < min(open[t-1], close[t-1])``;
    * small body: ``body < mean(body of previous 10 candles)``;
    * long upper shadow: ``upper shadow > body``;
    * (almost) no lower shadow: ``lower shadow < 0.1 * mean(high - low of previous 10)``.

    Parameters
    ----------
    open, high, low, close
        Candle prices.

    Returns
    -------
    int32 array of 100 / 0; the first 11 bars are 0.

    Examples
    --------
    >>> import numpy as np
    >>> o = np.array([10.0, 11.0] * 6); c = o[::-1].copy(); h = np.maximum(o, c); lo = h - 1.5
    >>> o[-1], c[-1], h[-1], lo[-1] = 9.6, 9.7, 10.5, 9.6  # below the prior body, long wick up
    >>> inverted_hammer(o, h, lo, c)[-1]
    np.int32(100)
    """
    return run_pattern(_inverted, close.shape[0], open, high, low, close, False)


@indicator(*_CANDLE, int_output=True)
def shooting_star(open: Values, high: Values, low: Values, close: Values) -> Values:
    """Shooting star (TA-Lib ``CDLSHOOTINGSTAR``), bearish.

    Rule: the inverted hammer's shape (small body, upper shadow longer than the
    body, lower shadow < 0.1 * average range) with the real body gapping *up*:
    ``min(open, close) > max(open[t-1], close[t-1])``.

    Parameters
    ----------
    open, high, low, close
        Candle prices.

    Returns
    -------
    int32 array of -100 / 0; the first 11 bars are 0.

    Examples
    --------
    >>> import numpy as np
    >>> o = np.array([10.0, 11.0] * 6); c = o[::-1].copy(); h = np.maximum(o, c); lo = h - 1.5
    >>> o[-1], c[-1], h[-1], lo[-1] = 11.2, 11.1, 12.0, 11.1  # above the prior body, long wick up
    >>> shooting_star(o, h, lo, c)[-1]
    np.int32(-100)
    """
    return run_pattern(_inverted, close.shape[0], open, high, low, close, True)


@nb.njit(**JIT)
def _marubozu(o: FloatArray, h: FloatArray, lo: FloatArray, c: FloatArray, out: IntArray) -> None:
    size = c.shape[0]
    start = 10
    if size <= start:
        return
    long_total = sum_body(o, c, 0, start)
    short_total = sum_hl(h, lo, 0, start)
    for i in range(start, size):
        trail = i - start
        short = 0.1 * (short_total / 10.0)
        hit = (
            (body(o[i], c[i]) > (long_total / 10.0))
            & (upper_shadow(o[i], h[i], c[i]) < short)
            & (lower_shadow(o[i], lo[i], c[i]) < short)
        )
        out[i] = color(o[i], c[i]) * 100 if hit else 0
        long_total += body(o[i], c[i]) - body(o[trail], c[trail])
        short_total += hl(h[i], lo[i]) - hl(h[trail], lo[trail])


@indicator(*_CANDLE, int_output=True)
def marubozu(open: Values, high: Values, low: Values, close: Values) -> Values:
    """Marubozu (TA-Lib ``CDLMARUBOZU``): a long body with (almost) no shadows.

    Rule: ``body > mean(body of previous 10 candles)`` and both shadows
    ``< 0.1 * mean(high - low of previous 10)``; +100 when white, -100 when black.

    Parameters
    ----------
    open, high, low, close
        Candle prices.

    Returns
    -------
    int32 array of +100 / -100 / 0; the first 10 bars are 0.

    Examples
    --------
    >>> import numpy as np
    >>> o = np.array([10.0, 10.5] * 5 + [10.0]); c = o + 0.3; h = c + 0.2; lo = o - 0.2
    >>> c[-1], h[-1] = 11.0, 11.0  # one full-bodied white candle
    >>> marubozu(o, h, lo + np.r_[np.zeros(10), 0.2], c)[-1]
    np.int32(100)
    """
    return run_pattern(_marubozu, close.shape[0], open, high, low, close)


@nb.njit(**JIT)
def _spinning_top(
    o: FloatArray, h: FloatArray, lo: FloatArray, c: FloatArray, out: IntArray
) -> None:
    size = c.shape[0]
    start = 10
    if size <= start:
        return
    total = sum_body(o, c, 0, start)
    for i in range(start, size):
        trail = i - start
        b = body(o[i], c[i])
        small = b < (total / 10.0)
        hit = (upper_shadow(o[i], h[i], c[i]) > b) & (lower_shadow(o[i], lo[i], c[i]) > b) & small
        out[i] = color(o[i], c[i]) * 100 if hit else 0
        total += body(o[i], c[i]) - body(o[trail], c[trail])


@indicator(*_CANDLE, int_output=True)
def spinning_top(open: Values, high: Values, low: Values, close: Values) -> Values:
    """Spinning top (TA-Lib ``CDLSPINNINGTOP``): a small body between two longer shadows.

    Rule: both shadows longer than the body and ``body < mean(body of previous
    10 candles)``; the sign is the candle's colour (+100 white, -100 black), not a
    forecast.

    Parameters
    ----------
    open, high, low, close
        Candle prices.

    Returns
    -------
    int32 array of +100 / -100 / 0; the first 10 bars are 0.

    Examples
    --------
    >>> import numpy as np
    >>> o = np.array([10.0, 11.0] * 5 + [10.5]); c = np.array([11.0, 10.0] * 5 + [10.4])
    >>> spinning_top(o, np.maximum(o, c) + 0.5, np.minimum(o, c) - 0.5, c)[-1]  # body 0.1
    np.int32(-100)
    """
    return run_pattern(_spinning_top, close.shape[0], open, high, low, close)
