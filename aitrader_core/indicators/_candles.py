"""Candle geometry and TA-Lib's default candle settings for the pattern detectors.

A setting turns "long", "short", "near"... into a number: the average of a
range over the ``period`` candles *before* the one being tested, times a
factor (halved for shadow ranges). TA-Lib's defaults:

=================  =========  ======  ======
setting            range      period  factor
=================  =========  ======  ======
BodyLong           body       10      1.0
BodyShort          body       10      1.0
BodyDoji           high-low   10      0.1
ShadowLong         body       0       1.0    (period 0: the candle's own body)
ShadowVeryShort    high-low   10      0.1
Near               high-low   5       0.2
Far                high-low   5       0.6
=================  =========  ======  ======

The averages are kept as running totals updated exactly as TA-Lib does
(``total += range(new) - range(trailing)``) and thresholds are formed as
TA-Lib forms them (``factor * (total / period)``), so that ties at a threshold
fall the same way. The kernels spell each setting out (``total / 10.0`` for a
long/short body, ``0.1 * (total / 10.0)`` for a very short shadow, ...).
"""

from __future__ import annotations

import numba as nb

from ._core import JIT, FloatArray

# Look-back of every detector: the longest average period plus the extra
# candles of the pattern (TA-Lib's lookback functions).
AVG_PERIOD = 10
NEAR_FAR_PERIOD = 5


# The geometry helpers take one candle's prices as scalars: passing the arrays
# would make numba reference-count them on every call inside the hot loops.


@nb.njit(**JIT)
def body(o: float, c: float) -> float:
    """Real body length ``|close - open|``."""
    return abs(c - o)


@nb.njit(**JIT)
def hl(h: float, lo: float) -> float:
    """Candle range ``high - low``."""
    return h - lo


@nb.njit(**JIT)
def upper_shadow(o: float, h: float, c: float) -> float:
    """High minus the top of the real body."""
    return h - (c if c >= o else o)


@nb.njit(**JIT)
def lower_shadow(o: float, lo: float, c: float) -> float:
    """Bottom of the real body minus the low."""
    return (o if c >= o else c) - lo


@nb.njit(**JIT)
def color(o: float, c: float) -> int:
    """+1 for a white (close >= open) candle, -1 for a black one."""
    return 1 if c >= o else -1


@nb.njit(**JIT)
def sum_body(o: FloatArray, c: FloatArray, start: int, stop: int) -> float:
    """Sum of real bodies of candles ``start .. stop - 1`` (accumulated in order)."""
    total = 0.0
    for j in range(start, stop):
        total += abs(c[j] - o[j])
    return total


@nb.njit(**JIT)
def sum_hl(h: FloatArray, lo: FloatArray, start: int, stop: int) -> float:
    """Sum of high - low ranges of candles ``start .. stop - 1`` (accumulated in order)."""
    total = 0.0
    for j in range(start, stop):
        total += h[j] - lo[j]
    return total
