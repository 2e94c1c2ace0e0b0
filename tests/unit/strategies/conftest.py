"""Fixtures: the bundled real BTC/USDT 1h candles as strategy input."""

from __future__ import annotations

import pandas as pd
import pytest


@pytest.fixture(scope="session")
def btc(btc_1h: pd.DataFrame) -> pd.DataFrame:
    """Real Binance BTC/USDT 1h bars of 2023, indexed by UTC open time."""
    bars = btc_1h.copy()
    bars.index = pd.DatetimeIndex(pd.to_datetime(bars.pop("timestamp"), utc=True), name="time")
    return bars
