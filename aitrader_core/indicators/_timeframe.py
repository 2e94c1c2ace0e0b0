"""ccxt timeframe strings and the bucketing of epoch-millisecond timestamps.

Buckets are labelled by their OPEN time (ccxt/Binance convention): the bar
labelled 10:00 on a '1h' timeframe covers [10:00, 11:00). Fixed-length
timeframes (s, m, h, d, and multiples) are aligned to the Unix epoch, weeks
start on Monday 00:00 UTC (as Binance's '1w' candles do), and months are
calendar months in UTC.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

_MS = {"s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 7 * 86_400_000}
# 1970-01-01 was a Thursday; the first Monday is four days later.
_MONDAY_OFFSET_MS = 4 * 86_400_000
_PATTERN = re.compile(r"^(\d+)([smhdwM])$")
_ALIASES = {"D": "1d", "W": "1w", "M": "1M", "H": "1h"}


def parse_timeframe(timeframe: str) -> tuple[int, str]:
    """Split a ccxt timeframe such as ``'15m'`` or ``'1M'`` into ``(amount, unit)``.

    ``'D'``, ``'W'``, ``'M'`` and ``'H'`` are accepted as aliases of one day,
    week, month and hour.
    """
    if not isinstance(timeframe, str):
        raise ValueError(f"timeframe must be a string such as '1h', got {timeframe!r}")
    match = _PATTERN.match(_ALIASES.get(timeframe, timeframe))
    if match is None or int(match.group(1)) < 1:
        raise ValueError(
            f"timeframe must look like '15m', '4h', '1d', '1w' or '1M', got {timeframe!r}"
        )
    return int(match.group(1)), match.group(2)


def bucket_spec(timeframe: str) -> tuple[int, int]:
    """Return ``(size_ms, offset_ms)`` of a fixed-length timeframe, or ``(0, 0)`` for months.

    A timestamp's bucket opens at ``(ts - offset) // size * size + offset``.
    """
    amount, unit = parse_timeframe(timeframe)
    if unit == "M":
        return 0, 0
    return amount * _MS[unit], _MONDAY_OFFSET_MS if unit == "w" else 0


def bucket_open_ms(ts_ms: npt.NDArray[np.int64], timeframe: str) -> npt.NDArray[np.int64]:
    """Return, for each timestamp (epoch ms, UTC), the open time of its ``timeframe`` bucket."""
    amount, unit = parse_timeframe(timeframe)
    ts = np.asarray(ts_ms, dtype=np.int64)
    if unit == "M":
        months = ts.astype("datetime64[ms]").astype("datetime64[M]").astype(np.int64)
        months = (months // amount) * amount
        return months.astype("datetime64[M]").astype("datetime64[ms]").astype(np.int64)
    size = amount * _MS[unit]
    offset = _MONDAY_OFFSET_MS if unit == "w" else 0
    return ((ts - offset) // size) * size + offset


def to_epoch_ms(values: Any) -> npt.NDArray[np.int64]:
    """Convert a DatetimeIndex, datetime64 array or int64 epoch-ms array to int64 epoch ms.

    Naive datetimes are taken to be UTC.
    """
    if isinstance(values, pd.Series):
        values = values.to_numpy()
    if isinstance(values, pd.DatetimeIndex):
        return np.asarray(values.as_unit("ms").asi8, dtype=np.int64)
    arr = np.asarray(values)
    if np.issubdtype(arr.dtype, np.datetime64):
        return arr.astype("datetime64[ms]").astype(np.int64)
    if np.issubdtype(arr.dtype, np.integer):
        return arr.astype(np.int64, copy=False)
    raise ValueError(f"timestamps must be epoch milliseconds or datetimes, got dtype {arr.dtype}")
