"""Hand-made bars for the engine's unit tests."""

from __future__ import annotations

import numpy as np
import pandas as pd


def make_bars(rows: list[tuple[float, float, float, float]], volume: float = 1e6) -> pd.DataFrame:
    """Hourly bars from ``(open, high, low, close)`` rows, UTC."""
    arr = np.asarray(rows, dtype=np.float64)
    idx = pd.date_range("2024-01-01", periods=len(arr), freq="1h", tz="UTC")
    return pd.DataFrame(
        {
            "open": arr[:, 0],
            "high": arr[:, 1],
            "low": arr[:, 2],
            "close": arr[:, 3],
            "volume": np.full(len(arr), volume),
        },
        index=idx,
    )


def flat(price: float, n: int) -> list[tuple[float, float, float, float]]:
    """``n`` bars that never move from ``price``."""
    return [(price, price, price, price)] * n
