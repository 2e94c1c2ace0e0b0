"""Multi-candle patterns: engulfing, harami, piercing, dark_cloud_cover, morning_star,
evening_star, three_white_soldiers, three_black_crows.

Same conventions as :mod:`.patterns`: int32 arrays of +100 / -100 / 0, TA-Lib's
default candle settings, no trend filter. Where TA-Lib returns +/-80 for a
weaker variant (engulfing/harami bodies that match at one end) these return
+/-100.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from ._candles import body, color, hl, lower_shadow, sum_body, sum_hl, upper_shadow
from ._core import JIT, FloatArray, IntArray, Values, check_float, indicator, run_pattern

_CANDLE = ("open", "high", "low", "close")


@nb.njit(**JIT)
def _engulfing(o: FloatArray, h: FloatArray, lo: FloatArray, c: FloatArray, out: IntArray) -> None:
    size = c.shape[0]
    for i in range(2, size):
        now = color(o[i], c[i])
        before = color(o[i - 1], c[i - 1])
        # Conditions are combined with & rather than `and`: colours flip at random,
        # so branch-free code beats short-circuiting (the same in every kernel).
        white = (
            (now == 1)
            & (before == -1)
            & (((c[i] >= o[i - 1]) & (o[i] < c[i - 1])) | ((c[i] > o[i - 1]) & (o[i] <= c[i - 1])))
        )
        black = (
            (now == -1)
            & (before == 1)
            & (((o[i] >= c[i - 1]) & (c[i] < o[i - 1])) | ((o[i] > c[i - 1]) & (c[i] <= o[i - 1])))
        )
        out[i] = now * 100 if white | black else 0


@indicator(*_CANDLE, int_output=True)
def engulfing(open: Values, high: Values, low: Values, close: Values) -> Values:
    """Engulfing (TA-Lib ``CDLENGULFING``).

    Rule: candle ``t`` has the opposite colour of ``t-1`` and its real body
    covers the previous real body (one end may coincide, the other must
    extend beyond it). +100 when white engulfs black, -100 when black engulfs
    white. TA-Lib reports the one-end-equal case as +/-80; here it is +/-100.

    Parameters
    ----------
    open, high, low, close
        Candle prices.

    Returns
    -------
    int32 array of +100 / -100 / 0; the first 2 bars are 0 (TA-Lib's look-back).

    Examples
    --------
    >>> import numpy as np
    >>> o = np.array([5.0, 5.0, 4.5]); c = np.array([5.5, 4.8, 5.2])
    >>> engulfing(o, np.maximum(o, c), np.minimum(o, c), c)
    array([  0,   0, 100], dtype=int32)
    """
    return run_pattern(_engulfing, close.shape[0], open, high, low, close)


@nb.njit(**JIT)
def _harami(o: FloatArray, h: FloatArray, lo: FloatArray, c: FloatArray, out: IntArray) -> None:
    size = c.shape[0]
    start = 11
    if size <= start:
        return
    long_total = sum_body(o, c, start - 11, start - 1)
    short_total = sum_body(o, c, start - 10, start)
    long_trail = start - 11
    short_trail = start - 10
    for i in range(start, size):
        hit = (
            (body(o[i - 1], c[i - 1]) > (long_total / 10.0))
            & (body(o[i], c[i]) <= (short_total / 10.0))
            & (max(c[i], o[i]) <= max(c[i - 1], o[i - 1]))
            & (min(c[i], o[i]) >= min(c[i - 1], o[i - 1]))
        )
        out[i] = -color(o[i - 1], c[i - 1]) * 100 if hit else 0
        long_total += body(o[i - 1], c[i - 1]) - body(o[long_trail], c[long_trail])
        short_total += body(o[i], c[i]) - body(o[short_trail], c[short_trail])
        long_trail += 1
        short_trail += 1


@indicator(*_CANDLE, int_output=True)
def harami(open: Values, high: Values, low: Values, close: Values) -> Values:
    """Harami (TA-Lib ``CDLHARAMI``): a small body inside the previous long body.

    Rule: ``body[t-1] > mean(body of the 10 candles before t-1)``,
    ``body[t] <= mean(body of the 10 candles before t)`` and the real body of
    ``t`` lies within that of ``t-1`` (ends may coincide). The sign is opposite
    to the first candle's colour: +100 after a long black candle, -100 after a
    long white one (TA-Lib's +/-80 for a coinciding end is +/-100 here).

    Parameters
    ----------
    open, high, low, close
        Candle prices.

    Returns
    -------
    int32 array of +100 / -100 / 0; the first 11 bars are 0.

    Examples
    --------
    >>> import numpy as np
    >>> o = np.array([10.0, 10.2] * 5 + [12.0, 11.0]); c = o + 0.1
    >>> c[-2], c[-1] = 10.0, 11.1  # long black candle, then a small one inside it
    >>> harami(o, np.maximum(o, c), np.minimum(o, c), c)[-1]
    np.int32(100)
    """
    return run_pattern(_harami, close.shape[0], open, high, low, close)


@nb.njit(**JIT)
def _penetration(
    o: FloatArray,
    h: FloatArray,
    lo: FloatArray,
    c: FloatArray,
    piercing: bool,
    pen: float,
    out: IntArray,
) -> None:
    size = c.shape[0]
    start = 11
    if size <= start:
        return
    # total1 averages the candle before t-1, total0 the candle before t (piercing only).
    trail = start - 10
    total1 = sum_body(o, c, trail - 1, start - 1)
    total0 = sum_body(o, c, trail, start)
    signal = 100 if piercing else -100
    for i in range(start, size):
        first_long = body(o[i - 1], c[i - 1]) > (total1 / 10.0)
        if piercing:
            hit = (
                (color(o[i - 1], c[i - 1]) == -1)
                & first_long
                & (color(o[i], c[i]) == 1)
                & (body(o[i], c[i]) > (total0 / 10.0))
                & (o[i] < lo[i - 1])
                & (c[i] < o[i - 1])
                & (c[i] > c[i - 1] + body(o[i - 1], c[i - 1]) * 0.5)
            )
        else:
            hit = (
                (color(o[i - 1], c[i - 1]) == 1)
                & first_long
                & (color(o[i], c[i]) == -1)
                & (o[i] > h[i - 1])
                & (c[i] > o[i - 1])
                & (c[i] < c[i - 1] - body(o[i - 1], c[i - 1]) * pen)
            )
        out[i] = signal if hit else 0
        total1 += body(o[i - 1], c[i - 1]) - body(o[trail - 1], c[trail - 1])
        total0 += body(o[i], c[i]) - body(o[trail], c[trail])
        trail += 1


@indicator(*_CANDLE, int_output=True)
def piercing(open: Values, high: Values, low: Values, close: Values) -> Values:
    """Piercing line (TA-Lib ``CDLPIERCING``), bullish.

    Rule, all of: ``t-1`` is a long black candle and ``t`` a long white one
    (bodies above the 10-candle average body); ``t`` opens below the low of
    ``t-1`` and closes inside the body of ``t-1``, above its mid-point.

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
    >>> o = np.array([10.0, 10.2] * 5 + [12.0, 9.5]); c = o + 0.1
    >>> c[-2], c[-1] = 10.0, 11.5  # long black, then a gap down that closes above 11.0
    >>> piercing(o, np.maximum(o, c), np.minimum(o, c), c)[-1]
    np.int32(100)
    """
    return run_pattern(_penetration, close.shape[0], open, high, low, close, True, 0.5)


@indicator(*_CANDLE, int_output=True)
def dark_cloud_cover(
    open: Values, high: Values, low: Values, close: Values, penetration: float = 0.5
) -> Values:
    """Dark cloud cover (TA-Lib ``CDLDARKCLOUDCOVER``), bearish.

    Rule, all of: ``t-1`` is a long white candle (body above the 10-candle
    average); ``t`` is black, opens above the high of ``t-1`` and closes
    inside its body, below ``close[t-1] - penetration * body[t-1]``.

    Parameters
    ----------
    open, high, low, close
        Candle prices.
    penetration
        Required penetration of the first body (>= 0, default 0.5).

    Returns
    -------
    int32 array of -100 / 0; the first 11 bars are 0.

    Examples
    --------
    >>> import numpy as np
    >>> o = np.array([10.0, 10.2] * 5 + [10.0, 12.5]); c = o + 0.1
    >>> c[-2], c[-1] = 12.0, 10.5  # long white, then a gap up that falls below 11.0
    >>> dark_cloud_cover(o, np.maximum(o, c), np.minimum(o, c), c)[-1]
    np.int32(-100)
    """
    pen = check_float("penetration", penetration)
    return run_pattern(_penetration, close.shape[0], open, high, low, close, False, pen)


@nb.njit(**JIT)
def _star(
    o: FloatArray,
    h: FloatArray,
    lo: FloatArray,
    c: FloatArray,
    morning: bool,
    pen: float,
    out: IntArray,
) -> None:
    size = c.shape[0]
    start = 12
    if size <= start:
        return
    long_total = sum_body(o, c, start - 12, start - 2)
    short_total = sum_body(o, c, start - 11, start - 1)
    short_total2 = sum_body(o, c, start - 10, start)
    long_trail = start - 12
    short_trail = start - 11
    sign = 1 if morning else -1
    for i in range(start, size):
        if morning:
            gap = max(o[i - 1], c[i - 1]) < min(o[i - 2], c[i - 2])
            closes_in = c[i] > c[i - 2] + body(o[i - 2], c[i - 2]) * pen
        else:
            gap = min(o[i - 1], c[i - 1]) > max(o[i - 2], c[i - 2])
            closes_in = c[i] < c[i - 2] - body(o[i - 2], c[i - 2]) * pen
        # The cheap tests first, branch-free; the gap makes a hit rare, so the one
        # branch left is well predicted and the averages are rarely consulted.
        shape = (color(o[i - 2], c[i - 2]) == -sign) & (color(o[i], c[i]) == sign) & gap & closes_in
        if (
            shape
            and body(o[i - 2], c[i - 2]) > (long_total / 10.0)
            and body(o[i - 1], c[i - 1]) <= (short_total / 10.0)
            and body(o[i], c[i]) > (short_total2 / 10.0)
        ):
            out[i] = sign * 100
        long_total += body(o[i - 2], c[i - 2]) - body(o[long_trail], c[long_trail])
        short_total += body(o[i - 1], c[i - 1]) - body(o[short_trail], c[short_trail])
        short_total2 += body(o[i], c[i]) - body(o[short_trail + 1], c[short_trail + 1])
        long_trail += 1
        short_trail += 1


@indicator(*_CANDLE, int_output=True)
def morning_star(
    open: Values, high: Values, low: Values, close: Values, penetration: float = 0.3
) -> Values:
    """Morning star (TA-Lib ``CDLMORNINGSTAR``), bullish three-candle reversal.

    Rule, all of: ``t-2`` is a long black candle; ``t-1`` has a short body that
    gaps below the body of ``t-2``; ``t`` is white, not short, and closes above
    ``close[t-2] + penetration * body[t-2]``. Long/short compare with the
    average body of the 10 candles before each one.

    Parameters
    ----------
    open, high, low, close
        Candle prices.
    penetration
        How far into the first body the third candle must close (>= 0, default 0.3).

    Returns
    -------
    int32 array of 100 / 0; the first 12 bars are 0.

    Examples
    --------
    >>> import numpy as np
    >>> o = np.array([10.0, 10.2] * 5 + [12.0, 9.8, 10.0]); c = o + 0.1
    >>> c[-3], c[-2], c[-1] = 10.0, 9.85, 11.5  # long black, small star below, strong white
    >>> morning_star(o, np.maximum(o, c), np.minimum(o, c), c)[-1]
    np.int32(100)
    """
    pen = check_float("penetration", penetration)
    return run_pattern(_star, close.shape[0], open, high, low, close, True, pen)


@indicator(*_CANDLE, int_output=True)
def evening_star(
    open: Values, high: Values, low: Values, close: Values, penetration: float = 0.3
) -> Values:
    """Evening star (TA-Lib ``CDLEVENINGSTAR``), bearish three-candle reversal.

    Rule, all of: ``t-2`` is a long white candle; ``t-1`` has a short body that
    gaps above the body of ``t-2``; ``t`` is black, not short, and closes below
    ``close[t-2] - penetration * body[t-2]``.

    Parameters
    ----------
    open, high, low, close
        Candle prices.
    penetration
        How far into the first body the third candle must close (>= 0, default 0.3).

    Returns
    -------
    int32 array of -100 / 0; the first 12 bars are 0.

    Examples
    --------
    >>> import numpy as np
    >>> o = np.array([10.0, 10.2] * 5 + [10.0, 12.2, 12.0]); c = o + 0.1
    >>> c[-3], c[-2], c[-1] = 12.0, 12.25, 10.5  # long white, small star above, strong black
    >>> evening_star(o, np.maximum(o, c), np.minimum(o, c), c)[-1]
    np.int32(-100)
    """
    pen = check_float("penetration", penetration)
    return run_pattern(_star, close.shape[0], open, high, low, close, False, pen)


@nb.njit(**JIT)
def _soldiers(o: FloatArray, h: FloatArray, lo: FloatArray, c: FloatArray, out: IntArray) -> None:
    size = c.shape[0]
    start = 12
    if size <= start:
        return
    svs = np.empty(3)
    near = np.zeros(3)
    far = np.zeros(3)
    s_trail = start - 10
    nf_trail = start - 5
    for k in range(3):
        svs[k] = sum_hl(h, lo, s_trail - k, start - k)
    for k in range(1, 3):
        near[k] = sum_hl(h, lo, nf_trail - k, start - k)
        far[k] = sum_hl(h, lo, nf_trail - k, start - k)
    short_total = sum_body(o, c, start - 10, start)
    b_trail = start - 10
    for i in range(start, size):
        # Branch-free cheap tests first (three white candles, rising opens and
        # closes are rare together), then the average-based ones.
        shape = (
            (color(o[i - 2], c[i - 2]) == 1)
            & (color(o[i - 1], c[i - 1]) == 1)
            & (color(o[i], c[i]) == 1)
            & (c[i] > c[i - 1])
            & (c[i - 1] > c[i - 2])
            & (o[i - 1] > o[i - 2])
            & (o[i] > o[i - 1])
        )
        if (
            shape
            and upper_shadow(o[i - 2], h[i - 2], c[i - 2]) < (0.1 * (svs[2] / 10.0))
            and upper_shadow(o[i - 1], h[i - 1], c[i - 1]) < (0.1 * (svs[1] / 10.0))
            and upper_shadow(o[i], h[i], c[i]) < (0.1 * (svs[0] / 10.0))
            and o[i - 1] <= c[i - 2] + (0.2 * (near[2] / 5.0))
            and o[i] > o[i - 1]
            and o[i] <= c[i - 1] + (0.2 * (near[1] / 5.0))
            and body(o[i - 1], c[i - 1]) > body(o[i - 2], c[i - 2]) - (0.6 * (far[2] / 5.0))
            and body(o[i], c[i]) > body(o[i - 1], c[i - 1]) - (0.6 * (far[1] / 5.0))
            and body(o[i], c[i]) > (short_total / 10.0)
        ):
            out[i] = 100
        for k in range(2, -1, -1):
            svs[k] = svs[k] + (hl(h[i - k], lo[i - k]) - hl(h[s_trail - k], lo[s_trail - k]))
        for k in range(2, 0, -1):
            far[k] = far[k] + (hl(h[i - k], lo[i - k]) - hl(h[nf_trail - k], lo[nf_trail - k]))
            near[k] = near[k] + (hl(h[i - k], lo[i - k]) - hl(h[nf_trail - k], lo[nf_trail - k]))
        short_total += body(o[i], c[i]) - body(o[b_trail], c[b_trail])
        s_trail += 1
        nf_trail += 1
        b_trail += 1


@indicator(*_CANDLE, int_output=True)
def three_white_soldiers(open: Values, high: Values, low: Values, close: Values) -> Values:
    """Three advancing white soldiers (TA-Lib ``CDL3WHITESOLDIERS``), bullish.

    Rule, all of: three white candles with rising closes; each has an upper
    shadow below 0.1 * the average range of the 10 candles before it; the 2nd
    and 3rd open above the previous open and no higher than the previous close
    plus 0.2 * the 5-candle average range ("near"); neither body is shorter
    than the previous one by more than 0.6 * that average range ("far"); the
    last body is not short (above the 10-candle average body).

    Parameters
    ----------
    open, high, low, close
        Candle prices.

    Returns
    -------
    int32 array of 100 / 0; the first 12 bars are 0.

    Examples
    --------
    >>> import numpy as np
    >>> o = np.array([10.0, 10.2] * 5 + [10.0, 10.5, 11.0]); c = o + 0.1
    >>> c[-3:] = [10.6, 11.1, 11.6]  # three strong white candles closing at their highs
    >>> three_white_soldiers(o, np.maximum(o, c), np.minimum(o, c), c)[-1]
    np.int32(100)
    """
    return run_pattern(_soldiers, close.shape[0], open, high, low, close)


@nb.njit(**JIT)
def _crows(o: FloatArray, h: FloatArray, lo: FloatArray, c: FloatArray, out: IntArray) -> None:
    size = c.shape[0]
    start = 13
    if size <= start:
        return
    svs = np.empty(3)
    trail = start - 10
    for k in range(3):
        svs[k] = sum_hl(h, lo, trail - k, start - k)
    for i in range(start, size):
        shape = (
            (color(o[i - 3], c[i - 3]) == 1)
            & (color(o[i - 2], c[i - 2]) == -1)
            & (color(o[i - 1], c[i - 1]) == -1)
            & (color(o[i], c[i]) == -1)
            & (o[i - 1] < o[i - 2])
            & (o[i - 1] > c[i - 2])
            & (o[i] < o[i - 1])
            & (o[i] > c[i - 1])
            & (h[i - 3] > c[i - 2])
            & (c[i - 2] > c[i - 1])
            & (c[i - 1] > c[i])
        )
        if (
            shape
            and lower_shadow(o[i - 2], lo[i - 2], c[i - 2]) < (0.1 * (svs[2] / 10.0))
            and lower_shadow(o[i - 1], lo[i - 1], c[i - 1]) < (0.1 * (svs[1] / 10.0))
            and lower_shadow(o[i], lo[i], c[i]) < (0.1 * (svs[0] / 10.0))
        ):
            out[i] = -100
        for k in range(2, -1, -1):
            svs[k] = svs[k] + (hl(h[i - k], lo[i - k]) - hl(h[trail - k], lo[trail - k]))
        trail += 1


@indicator(*_CANDLE, int_output=True)
def three_black_crows(open: Values, high: Values, low: Values, close: Values) -> Values:
    """Three black crows (TA-Lib ``CDL3BLACKCROWS``), bearish.

    Rule, all of: a white candle ``t-3`` followed by three black candles with
    falling closes; the 2nd and 3rd black candles open inside the previous
    black body; the first black candle closes below the high of ``t-3``; each
    black candle's lower shadow is below 0.1 * the average range of the 10
    candles before it.

    Parameters
    ----------
    open, high, low, close
        Candle prices.

    Returns
    -------
    int32 array of -100 / 0; the first 13 bars are 0.

    Examples
    --------
    >>> import numpy as np
    >>> o = np.array([10.0, 10.2] * 5 + [10.0, 11.2, 10.8, 10.3]); c = o + 0.1
    >>> c[-4:] = [11.3, 10.7, 10.2, 9.7]  # white candle, then three closing at their lows
    >>> three_black_crows(o, np.maximum(o, c), np.minimum(o, c), c)[-1]
    np.int32(-100)
    """
    return run_pattern(_crows, close.shape[0], open, high, low, close)
