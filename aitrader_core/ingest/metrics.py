"""Prometheus metrics of market-data ingest (in the process' one registry)."""

from __future__ import annotations

from prometheus_client import Gauge

from aitrader_core.domain.market import next_open
from aitrader_core.observability import REGISTRY
from aitrader_core.store import SeriesKey

INGEST_LAG = Gauge(
    "aitrader_ingest_lag_seconds",
    "Seconds from the close of a series' newest stored bar to now, set at each poll of an "
    "exchange feed (wall clock) or step of a replay (replay clock). Grows by up to one bar "
    "between closes; beyond that the series is behind.",
    ["exchange", "symbol", "timeframe"],
    registry=REGISTRY,
)


def observe_lag(key: SeriesKey, last_open_ms: int, now_ms: int) -> float:
    """Set the lag of ``key`` whose newest bar opened at ``last_open_ms``; return it (s).

    Examples
    --------
    >>> from aitrader_core.observability import sample
    >>> key = SeriesKey("binance", "BTC/USDT", "1h")
    >>> observe_lag(key, 1672531200000, 1672534800000 + 90_000)  # 90 s after the close
    90.0
    >>> sample("aitrader_ingest_lag_seconds",
    ...        {"exchange": "binance", "symbol": "BTC/USDT", "timeframe": "1h"})
    90.0
    """
    lag = (now_ms - next_open(last_open_ms, key.timeframe)) / 1000
    INGEST_LAG.labels(key.exchange, key.symbol, key.timeframe).set(lag)
    return lag
