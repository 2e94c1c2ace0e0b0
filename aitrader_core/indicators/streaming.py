"""Incremental (bar-by-bar) forms of ema, rsi, atr, macd, bbands and adx.

Each stream keeps O(period) state and its ``update`` returns the value for the
bar just fed, NaN during the warm-up. The arithmetic is the batch kernels'
operation for operation, so feeding a series one bar at a time reproduces the
batch output: bit for bit for EMA, RSI and ADX on the sample data, within a few
ulps where the batch kernel fuses a multiply-add as TA-Lib does (the Wilder
step of ATR; Python 3.11 has no ``math.fma``). The tests allow 1e-9.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any, Protocol

from ._core import TA_EPSILON, check_float, check_matype, check_period
from .momentum import MACD
from .volatility import Bands

NAN = math.nan


class SupportsHLC(Protocol):
    """Anything with ``high``, ``low`` and ``close`` attributes (e.g. a Bar)."""

    high: float
    low: float
    close: float


def _hlc(bar: Any, low: float | None, close: float | None) -> tuple[float, float, float]:
    if low is None or close is None:
        return float(bar.high), float(bar.low), float(bar.close)
    return float(bar), float(low), float(close)


def _true_range(high: float, low: float, prev_close: float) -> float:
    greatest = high - low
    val2 = abs(prev_close - high)
    if val2 > greatest:
        greatest = val2
    val3 = abs(prev_close - low)
    if val3 > greatest:
        greatest = val3
    return greatest


class EMAStream:
    """Streaming :func:`~aitrader_core.indicators.ema` (SMA-seeded, TA-Lib classic).

    Examples
    --------
    >>> s = EMAStream(3)
    >>> [s.update(x) for x in (1.0, 2.0, 3.0, 4.0)]
    [nan, nan, 2.0, 3.0]
    """

    def __init__(self, timeperiod: int = 30) -> None:
        self.timeperiod = check_period("timeperiod", timeperiod)
        self._k = 2.0 / (self.timeperiod + 1)
        self._count = 0
        self._total = 0.0
        self.value = NAN

    def update(self, value: float) -> float:
        """Feed one value; return the EMA at this bar (NaN during the warm-up)."""
        n = self.timeperiod
        self._count += 1
        if self._count < n:
            self._total += value
            return NAN
        if self._count == n:
            self._total += value
            self.value = self._total / n
        else:
            self.value = ((value - self.value) * self._k) + self.value
        return self.value


class RSIStream:
    """Streaming :func:`~aitrader_core.indicators.rsi` (Wilder smoothing).

    Examples
    --------
    >>> s = RSIStream(2)
    >>> [round(s.update(x), 4) for x in (1.0, 2.0, 1.5, 2.5)][2:]
    [66.6667, 85.7143]
    """

    def __init__(self, timeperiod: int = 14) -> None:
        self.timeperiod = check_period("timeperiod", timeperiod, 2)
        self._count = 0
        self._prev = NAN
        self._gain = 0.0
        self._loss = 0.0

    def update(self, value: float) -> float:
        """Feed one close; return the RSI at this bar (NaN for the first ``timeperiod``)."""
        n = self.timeperiod
        count = self._count
        self._count += 1
        if count == 0:
            self._prev = value
            return NAN
        diff = value - self._prev
        self._prev = value
        if count > n:
            self._loss *= n - 1
            self._gain *= n - 1
        up = diff if diff > 0.0 else 0.0
        self._gain += up
        self._loss += up - diff
        if count < n:
            return NAN
        inv = 1.0 / n
        self._loss *= inv
        self._gain *= inv
        total = self._gain + self._loss
        return 100.0 * (self._gain / total) if total > 0.0 else 0.0


class ATRStream:
    """Streaming :func:`~aitrader_core.indicators.atr`.

    ``update`` takes ``(high, low, close)`` or one bar object with those attributes.

    Examples
    --------
    >>> s = ATRStream(2)
    >>> [s.update(h, h - 1.0, h - 0.5) for h in (3.0, 4.0, 5.0, 6.0)]
    [nan, nan, 1.5, 1.5]
    """

    def __init__(self, timeperiod: int = 14) -> None:
        self.timeperiod = check_period("timeperiod", timeperiod)
        self._count = 0
        self._prev_close = NAN
        self._value = 0.0

    def update(
        self, high: float | SupportsHLC, low: float | None = None, close: float | None = None
    ) -> float:
        """Feed one bar; return the ATR at this bar (NaN for the first ``timeperiod``)."""
        h, lo, c = _hlc(high, low, close)
        n = self.timeperiod
        count = self._count
        self._count += 1
        prev_close = self._prev_close
        self._prev_close = c
        if count == 0:
            return NAN
        tr = _true_range(h, lo, prev_close)
        if n == 1:
            return tr
        if count < n:
            self._value += tr
            return NAN
        if count == n:
            self._value = (self._value + tr) / n
            return self._value
        self._value *= n - 1
        self._value += tr
        self._value /= n
        return self._value


class MACDStream:
    """Streaming :func:`~aitrader_core.indicators.macd` (TA-Lib's lockstep seeding).

    Examples
    --------
    >>> s = MACDStream(2, 3, 2)
    >>> [s.update(x).macd for x in (1.0, 2.0, 3.0, 4.0)]
    [nan, nan, nan, 0.5]
    """

    def __init__(self, fastperiod: int = 12, slowperiod: int = 26, signalperiod: int = 9) -> None:
        fast = check_period("fastperiod", fastperiod, 2)
        slow = check_period("slowperiod", slowperiod, 2)
        if slow < fast:
            fast, slow = slow, fast
        self.fast, self.slow = fast, slow
        self.signal = check_period("signalperiod", signalperiod)
        self._fast_k = 2.0 / (fast + 1)
        self._slow_k = 2.0 / (slow + 1)
        self._signal_k = 2.0 / (self.signal + 1)
        self._count = 0
        self._total = 0.0
        self._fast = 0.0
        self._slow = 0.0
        self._signal_value = 0.0

    def update(self, value: float) -> MACD[Any]:
        """Feed one close; return ``(macd, macdsignal, macdhist)`` (NaNs during the warm-up)."""
        fast, slow, signal = self.fast, self.slow, self.signal
        count = self._count
        self._count += 1
        if count < slow:
            # Seed sums: the fast window is the tail of the slow window.
            if count >= slow - fast:
                self._fast += value
            self._total += value
            if count < slow - 1:
                return MACD(NAN, NAN, NAN)
            self._slow = self._total / slow
            self._fast = self._fast / fast
            line = self._fast - self._slow
            self._signal_value = line
        else:
            self._fast = (value - self._fast) * self._fast_k + self._fast
            self._slow = (value - self._slow) * self._slow_k + self._slow
            line = self._fast - self._slow
            if count < slow + signal - 1:
                self._signal_value += line
        lookback = slow + signal - 2
        if count < lookback:
            return MACD(NAN, NAN, NAN)
        if count == lookback:
            self._signal_value = self._signal_value / signal
        else:
            self._signal_value = (line - self._signal_value) * self._signal_k + self._signal_value
        return MACD(line, self._signal_value, line - self._signal_value)


class BBandsStream:
    """Streaming :func:`~aitrader_core.indicators.bbands` (same shifted-sum variance).

    Examples
    --------
    >>> s = BBandsStream(2, 1.0, 1.0)
    >>> [s.update(x).upperband for x in (1.0, 3.0, 5.0)]
    [nan, 3.0, 5.0]
    """

    def __init__(
        self, timeperiod: int = 5, nbdevup: float = 2.0, nbdevdn: float = 2.0, matype: int = 0
    ) -> None:
        self.timeperiod = check_period("timeperiod", timeperiod, 2)
        self.nbdevup = check_float("nbdevup", nbdevup)
        self.nbdevdn = check_float("nbdevdn", nbdevdn)
        self.matype = check_matype("matype", matype)
        self._ema = EMAStream(self.timeperiod)
        self._window: deque[float] = deque(maxlen=self.timeperiod)
        self._count = 0
        self._ma_total = 0.0
        self._shift = 0.0
        self._t1 = 0.0
        self._t2 = 0.0
        self._countdown = 32 * self.timeperiod

    def _variance(self, value: float) -> float:
        n = self.timeperiod
        inv = 1.0 / n
        tmp = value - self._shift
        self._t1 += tmp
        self._t2 += tmp * tmp
        mean1 = self._t1 * inv
        variance = self._t2 * inv - mean1 * mean1
        tmp = self._window[0] - self._shift
        self._t1 -= tmp
        tmp *= tmp
        self._t2 -= tmp
        self._countdown -= 1
        if (
            variance < 0.000001 * (self._t2 * inv)
            or tmp > 1000000.0 * self._t2
            or self._countdown <= 0
        ):
            self._countdown = 32 * n
            total = 0.0
            for v in self._window:
                total += v
            self._shift = total * inv
            self._t1 = 0.0
            self._t2 = 0.0
            for v in self._window:
                tmp = v - self._shift
                self._t1 += tmp
                self._t2 += tmp * tmp
            mean1 = self._t1 * inv
            variance = self._t2 * inv - mean1 * mean1
            if variance < 0.000000000001 * (self._t2 * inv):
                variance = 0.0
            tmp = self._window[0] - self._shift
            self._t1 -= tmp
            self._t2 -= tmp * tmp
        return variance

    def update(self, value: float) -> Bands[Any]:
        """Feed one close; return ``(upperband, middleband, lowerband)`` (NaNs in the warm-up)."""
        n = self.timeperiod
        count = self._count
        self._count += 1
        ema = self._ema.update(value)
        self._window.append(value)
        if count == 0:
            self._shift = value
        if count < n - 1:
            self._ma_total += value
            tmp = value - self._shift
            self._t1 += tmp
            self._t2 += tmp * tmp
            return Bands(NAN, NAN, NAN)
        self._ma_total += value
        middle = self._ma_total / n if self.matype == 0 else ema
        self._ma_total -= self._window[0]
        variance = self._variance(value)
        sd = math.sqrt(variance) if variance != 0.0 else 0.0
        if self.nbdevup == self.nbdevdn:
            tmp = sd * self.nbdevup
            return Bands(middle + tmp, middle, middle - tmp)
        return Bands(middle + sd * self.nbdevup, middle, middle - sd * self.nbdevdn)


class ADXStream:
    """Streaming :func:`~aitrader_core.indicators.adx`.

    ``update`` takes ``(high, low, close)`` or one bar object with those attributes.

    Examples
    --------
    >>> s = ADXStream(2)
    >>> [s.update(h, h - 1.0, h - 0.5) for h in (2.0, 3.0, 4.0, 5.0)]
    [nan, nan, nan, 100.0]
    """

    def __init__(self, timeperiod: int = 14) -> None:
        self.timeperiod = check_period("timeperiod", timeperiod, 2)
        self._count = 0
        self._prev_high = self._prev_low = self._prev_close = NAN
        self._plus_dm = self._minus_dm = self._tr = 0.0
        self._sum_dx = 0.0
        self._adx = NAN

    def update(
        self, high: float | SupportsHLC, low: float | None = None, close: float | None = None
    ) -> float:
        """Feed one bar; return the ADX at this bar (NaN for the first ``2 * timeperiod - 1``)."""
        h, lo, c = _hlc(high, low, close)
        n = self.timeperiod
        today = self._count
        self._count += 1
        if today == 0:
            self._prev_high, self._prev_low, self._prev_close = h, lo, c
            return NAN
        diff_p = h - self._prev_high
        diff_m = self._prev_low - lo
        self._prev_high, self._prev_low = h, lo
        if today >= n:
            self._minus_dm -= self._minus_dm / n
            self._plus_dm -= self._plus_dm / n
        if diff_m > 0 and diff_p < diff_m:
            self._minus_dm += diff_m
        elif diff_p > 0 and diff_p > diff_m:
            self._plus_dm += diff_p
        tr = _true_range(h, lo, self._prev_close)
        self._tr = self._tr - self._tr / n + tr if today >= n else self._tr + tr
        self._prev_close = c
        if today < n:
            return NAN
        dx = NAN
        if self._tr > 0.0:
            minus_di = 100.0 * (self._minus_dm / self._tr)
            plus_di = 100.0 * (self._plus_dm / self._tr)
            total = minus_di + plus_di
            if abs(total) >= TA_EPSILON:
                dx = 100.0 * (abs(minus_di - plus_di) / total)
        if today < 2 * n:
            if not math.isnan(dx):
                self._sum_dx += dx
            if today < 2 * n - 1:
                return NAN
            self._adx = self._sum_dx / n
            return self._adx
        if not math.isnan(dx):
            self._adx = (self._adx * (n - 1) + dx) / n
        return self._adx
