"""OHLCV importers: files in several layouts, and ccxt ``fetch_ohlcv`` back-fill.

Both return DataFrames with the columns ``ts, open, high, low, close, volume``
(``ts`` int64 epoch ms UTC, the rest float64). The exchange half imports ccxt,
which is slow to import, so it is loaded on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from aitrader_core.ingest.formats import (
    FORMATS,
    OHLCV_COLUMNS,
    detect_format,
    empty_ohlcv_frame,
    read_ohlcv_file,
)

if TYPE_CHECKING:
    from aitrader_core.ingest.exchange import backfill_ohlcv, make_exchange
    from aitrader_core.ingest.feed import BarClosed, ExchangeFeed, Feed, SeriesStatus
    from aitrader_core.ingest.replay import ReplayFeed

__all__ = [
    "FORMATS",
    "OHLCV_COLUMNS",
    "BarClosed",
    "ExchangeFeed",
    "Feed",
    "ReplayFeed",
    "SeriesStatus",
    "backfill_ohlcv",
    "detect_format",
    "empty_ohlcv_frame",
    "make_exchange",
    "read_ohlcv_file",
]

_LAZY = {
    "backfill_ohlcv": "exchange",
    "make_exchange": "exchange",
    "BarClosed": "feed",
    "ExchangeFeed": "feed",
    "Feed": "feed",
    "SeriesStatus": "feed",
    "ReplayFeed": "replay",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(f"aitrader_core.ingest.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
