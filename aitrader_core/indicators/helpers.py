"""Helpers: crossover, crossunder, heikin_ashi, resample_ohlcv."""

from __future__ import annotations

from typing import Any, Generic, NamedTuple

import numba as nb
import numpy as np
import pandas as pd

from ._core import JIT, FloatArray, Values, as_float_array, indicator, run
from ._timeframe import bucket_open_ms, parse_timeframe, to_epoch_ms

OHLCV_COLUMNS = ("open", "high", "low", "close", "volume")


class HeikinAshi(NamedTuple, Generic[Values]):
    """Heikin-Ashi candle prices."""

    open: Values
    high: Values
    low: Values
    close: Values


def _cross(a: Any, b: Any, above: bool) -> Any:
    index = a.index if isinstance(a, pd.Series) else None
    x = as_float_array(a, "a")
    if np.ndim(b) == 0 and not isinstance(b, pd.Series):
        y = np.full(x.shape[0], float(b))
    else:
        y = as_float_array(b, "b")
        if y.shape[0] != x.shape[0]:
            raise ValueError("a and b must have the same length")
    out = np.zeros(x.shape[0], dtype=bool)
    if above:
        out[1:] = (x[1:] > y[1:]) & (x[:-1] <= y[:-1])
    else:
        out[1:] = (x[1:] < y[1:]) & (x[:-1] >= y[:-1])
    if index is not None:
        return pd.Series(out, index=index, name="crossover" if above else "crossunder")
    return out


def crossover(a: Values, b: Values | float) -> Values:
    """True on bars where ``a`` crosses above ``b``: ``a[t] > b[t]`` and ``a[t-1] <= b[t-1]``.

    Parameters
    ----------
    a
        Series that crosses.
    b
        Series or constant level.

    Returns
    -------
    Boolean array (or Series); the first bar and bars touching NaN are False.

    Examples
    --------
    >>> import numpy as np
    >>> crossover(np.array([1.0, 2.0, 3.0, 1.0]), 1.5)
    array([False,  True, False, False])
    """
    return _cross(a, b, True)


def crossunder(a: Values, b: Values | float) -> Values:
    """True on bars where ``a`` crosses below ``b``: ``a[t] < b[t]`` and ``a[t-1] >= b[t-1]``.

    Parameters
    ----------
    a
        Series that crosses.
    b
        Series or constant level.

    Returns
    -------
    Boolean array (or Series); the first bar and bars touching NaN are False.

    Examples
    --------
    >>> import numpy as np
    >>> crossunder(np.array([1.0, 2.0, 3.0, 1.0]), 1.5)
    array([False, False, False,  True])
    """
    return _cross(a, b, False)


@nb.njit(**JIT)
def _heikin_ashi(
    o: FloatArray,
    h: FloatArray,
    lo: FloatArray,
    c: FloatArray,
    ha_o: FloatArray,
    ha_h: FloatArray,
    ha_l: FloatArray,
    ha_c: FloatArray,
) -> None:
    size = c.shape[0]
    if size == 0:
        return
    prev_o = (o[0] + c[0]) / 2.0
    prev_c = (o[0] + h[0] + lo[0] + c[0]) / 4.0
    for i in range(size):
        hc = (o[i] + h[i] + lo[i] + c[i]) / 4.0
        ho = prev_o if i == 0 else (prev_o + prev_c) / 2.0
        hi = h[i] if h[i] > ho else ho
        hi = hi if hi > hc else hc
        lw = lo[i] if lo[i] < ho else ho
        lw = lw if lw < hc else hc
        ha_o[i] = ho
        ha_h[i] = hi
        ha_l[i] = lw
        ha_c[i] = hc
        prev_o = ho
        prev_c = hc


@indicator("open", "high", "low", "close")
def heikin_ashi(open: Values, high: Values, low: Values, close: Values) -> HeikinAshi[Values]:
    """Heikin-Ashi candles.

    ``ha_close = (open + high + low + close) / 4``; ``ha_open`` is the mid-point
    of the previous Heikin-Ashi candle's open and close (the first one uses
    ``(open + close) / 2``); ``ha_high``/``ha_low`` extend the real high/low to
    include ``ha_open`` and ``ha_close``.

    Parameters
    ----------
    open, high, low, close
        Candle prices.

    Returns
    -------
    HeikinAshi
        ``(open, high, low, close)``; no warm-up.

    Examples
    --------
    >>> import numpy as np
    >>> heikin_ashi(np.array([1.0, 2.0]), np.array([3.0, 4.0]), np.array([0.0, 1.0]),
    ...             np.array([2.0, 3.0])).open
    array([1.5, 1.5])
    """
    return HeikinAshi(*run(_heikin_ashi, close.shape[0], open, high, low, close, outputs=4))


def resample_ohlcv(df: pd.DataFrame, timeframe: str) -> pd.DataFrame:
    """Aggregate OHLCV bars to a coarser ccxt timeframe.

    Bars are grouped into buckets labelled by their **open time** (the
    ccxt/Binance convention): with ``'1h'`` the bar labelled 10:00 aggregates
    every input bar whose own open time is in [10:00, 11:00). Fixed timeframes
    ('15m', '4h', '1d', ...) are aligned to the Unix epoch in UTC, '1w' buckets
    start on Monday 00:00 UTC and '1M' buckets on the first of the month.
    ``open`` is the first, ``high`` the max, ``low`` the min, ``close`` the last
    value and ``volume`` the sum; buckets with no input bars are dropped (no
    forward-filling). The last bucket may be incomplete when the data ends
    inside it.

    Parameters
    ----------
    df
        Frame with a DatetimeIndex (tz-aware, converted to UTC, or naive and
        taken as UTC) and columns ``open, high, low, close, volume``. Other
        columns are ignored; unsorted input is sorted first.
    timeframe
        Target ccxt timeframe: '1m', '5m', '15m', '1h', '4h', '1d', '1w', '1M', ...

    Returns
    -------
    pandas.DataFrame
        Aggregated bars indexed by bucket open time, with the input's
        tz-awareness (UTC when aware).

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01 00:00", periods=4, freq="30min", tz="UTC")
    >>> df = pd.DataFrame({"open": [1.0, 2, 3, 4], "high": [2.0, 3, 4, 5],
    ...                    "low": [0.5, 1, 2, 3], "close": [2.0, 3, 4, 5],
    ...                    "volume": [1.0, 1, 1, 1]}, index=idx)
    >>> resample_ohlcv(df, "1h")
                               open  high  low  close  volume
    2024-01-01 00:00:00+00:00   1.0   3.0  0.5    3.0     2.0
    2024-01-01 01:00:00+00:00   3.0   5.0  2.0    5.0     2.0
    """
    parse_timeframe(timeframe)
    if not isinstance(df.index, pd.DatetimeIndex):
        raise ValueError("df must have a DatetimeIndex")
    missing = [c for c in OHLCV_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"df is missing columns {missing}")
    frame = df.loc[:, list(OHLCV_COLUMNS)]
    if not frame.index.is_monotonic_increasing:
        frame = frame.sort_index()
    aware = frame.index.tz is not None
    index = frame.index.tz_convert("UTC") if aware else frame.index
    keys = bucket_open_ms(to_epoch_ms(index), timeframe)
    grouped = frame.groupby(keys, sort=True).agg(
        {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
    )
    labels = pd.to_datetime(grouped.index.to_numpy(), unit="ms", utc=aware)
    grouped.index = pd.DatetimeIndex(labels, name=df.index.name)
    return grouped
