"""Real OHLCV series for the indicator tests, loaded once per session.

The series cover different timeframes and awkward data: BTC/USDT 1h, BTC/USDT
5m (trimmed to 20k bars to keep the suite fast), ADA/BTC 5m with prices around
5e-5 and a 1m series with 538 gaps and many flat bars.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# Must be set before anything imports numba-compiled code.
os.environ.setdefault(
    "NUMBA_CACHE_DIR", str(Path(__file__).resolve().parents[3] / ".cache" / "numba")
)

import numpy as np
import pandas as pd
import pytest

from .specs import Bars

ROOT = Path(__file__).resolve().parents[3]

SERIES_FILES = {
    "btc_1h": (ROOT / "data/sample/BTCUSDT_1h_20230101_20240110.csv.gz", None),
    "btc_5m": (ROOT / "data/sample/BTCUSDT_5m_20240301_20250702.csv.gz", 20_000),
    "ada_btc_5m_tiny": (ROOT / "tests/data/ohlcv/formats/ADABTC_5m_tinyprice.csv", None),
    "btc_1m_gappy": (ROOT / "tests/data/ohlcv/formats/UNITTESTBTC_1m_gappy.csv", None),
}


@dataclass(frozen=True)
class RealSeries:
    """One real OHLCV series as float64 arrays plus its frame and epoch-ms timestamps."""

    name: str
    frame: pd.DataFrame
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    ts: np.ndarray

    def __len__(self) -> int:
        return len(self.close)

    def head(self, n: int) -> RealSeries:
        """The first ``n`` bars."""
        return load_series(self.name, self.frame.iloc[:n])

    @property
    def bars(self) -> Bars:
        """The arrays as a ``Bars`` (what the specs take)."""
        return Bars(self.open, self.high, self.low, self.close, self.volume, self.ts)


def load_series(name: str, frame: pd.DataFrame | None = None) -> RealSeries:
    """Read a bundled CSV (uniform layout: timestamp, open, high, low, close, volume)."""
    if frame is None:
        path, rows = SERIES_FILES[name]
        frame = pd.read_csv(path)
        if rows is not None:
            frame = frame.iloc[:rows]
        frame = frame.set_index(pd.to_datetime(frame.pop("timestamp"), utc=True))
    cols = {c: np.ascontiguousarray(frame[c].to_numpy(np.float64)) for c in frame.columns}
    ts = frame.index.as_unit("ms").asi8.astype(np.int64)
    return RealSeries(name=name, frame=frame, ts=ts, **cols)


_CACHE: dict[str, RealSeries] = {}


def get_series(name: str) -> RealSeries:
    """Session-wide cached series by name."""
    if name not in _CACHE:
        _CACHE[name] = load_series(name)
    return _CACHE[name]


@pytest.fixture(params=sorted(SERIES_FILES), scope="session")
def real_series(request: pytest.FixtureRequest) -> RealSeries:
    """Each real series in turn (1h, 5m, tiny-price 5m, gappy 1m)."""
    return get_series(request.param)


@pytest.fixture(scope="session")
def btc_1h() -> RealSeries:
    """BTC/USDT 1h, the full bundled year."""
    return get_series("btc_1h")


@pytest.fixture(scope="session")
def gappy() -> RealSeries:
    """1m series with gaps and many flat (high == low) bars."""
    return get_series("btc_1m_gappy")
