"""Where the coordinator reads bar history: any ``history(symbol, timeframe, end_ms, n)``.

The coordinator never opens the candle store itself; it is handed a callable
returning the last ``n`` bars whose open time is at or before ``end_ms``, as an
OHLCV DataFrame on an ascending UTC DatetimeIndex. The app builds one over
its CandleStore; :func:`frame_history` builds one over DataFrames in memory
(tests, replays).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from aitrader_core.backtest.runner import index_ms

History = Callable[[str, str, int, int], pd.DataFrame]
"""``history(symbol, timeframe, end_ms, n)``: the last ``n`` bars opening by ``end_ms``."""

OHLCV = ["open", "high", "low", "close", "volume"]


def frame_history(frames: Mapping[tuple[str, str], pd.DataFrame]) -> History:
    """A :data:`History` over in-memory frames keyed by ``(symbol, timeframe)``.

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=5, freq="1h", tz="UTC")
    >>> bars = pd.DataFrame({c: [1.0, 2, 3, 4, 5] for c in OHLCV}, index=idx)
    >>> history = frame_history({("BTC/USDT", "1h"): bars})
    >>> history("BTC/USDT", "1h", int(idx[3].timestamp() * 1000), 2)["close"].tolist()
    [3.0, 4.0]
    """
    keyed = {key: (frame, index_ms(pd.DatetimeIndex(frame.index))) for key, frame in frames.items()}

    def history(symbol: str, timeframe: str, end_ms: int, n: int) -> pd.DataFrame:
        frame, ts = keyed[(symbol, timeframe)]
        stop = int(np.searchsorted(ts, end_ms, side="right"))
        return frame.iloc[max(stop - n, 0) : stop]

    return history


def with_bar(frame: pd.DataFrame, ts_ms: int, values: tuple[float, ...]) -> pd.DataFrame:
    """``frame`` ending with the bar opening at ``ts_ms`` (appended when the source lags).

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=2, freq="1h", tz="UTC")
    >>> bars = pd.DataFrame({c: [1.0, 2.0] for c in OHLCV}, index=idx)
    >>> len(with_bar(bars, 1704074400000, (3.0, 3.0, 3.0, 3.0, 1.0)))
    3
    """
    if len(frame) and int(index_ms(pd.DatetimeIndex(frame.index[-1:]))[0]) >= ts_ms:
        return frame
    row = pd.DataFrame(
        [dict(zip(OHLCV, values, strict=True))],
        index=pd.DatetimeIndex([pd.Timestamp(ts_ms, unit="ms", tz="UTC")], name=frame.index.name),
    )
    if not len(frame):
        return row
    return pd.concat([frame[OHLCV], row])
