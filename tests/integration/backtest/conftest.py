"""Real Binance candles for the backtest integration tests (slices, read once)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".cache" / "numba"))

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

SAMPLE = ROOT / "data" / "sample"


def read_sample(name: str) -> pd.DataFrame:
    """A bundled sample as OHLCV on a tz-naive UTC DatetimeIndex (what vectorbt wants)."""
    frame = pd.read_csv(SAMPLE / name)
    frame.index = pd.DatetimeIndex(pd.to_datetime(frame.pop("timestamp"), utc=True)).tz_localize(
        None
    )
    return frame


@pytest.fixture(scope="session")
def btc_1h_bars() -> pd.DataFrame:
    """BTC/USDT 1h, 2023-01-01 → 2024-01-10 (8,996 bars)."""
    return read_sample("BTCUSDT_1h_20230101_20240110.csv.gz")


@pytest.fixture(scope="session")
def eth_1h_bars() -> pd.DataFrame:
    """ETH/USDT 1h, 2023-01-01 → 2024-01-10 (8,996 bars)."""
    return read_sample("ETHUSDT_1h_20230101_20240110.csv.gz")


@pytest.fixture(scope="session")
def btc_5m_bars() -> pd.DataFrame:
    """A 30,000-bar slice of BTC/USDT 5m (from 2024-06-01)."""
    frame = read_sample("BTCUSDT_5m_20240301_20250702.csv.gz")
    return frame.loc["2024-06-01":].iloc[:30_000]
