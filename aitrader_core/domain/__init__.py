"""Domain types and identifiers shared by every layer."""

from aitrader_core.domain.market import (
    TIMEFRAMES,
    ms_to_iso,
    normalize_exchange,
    normalize_symbol,
    normalize_timeframe,
    timeframe_ms,
    to_epoch_ms,
)

__all__ = [
    "TIMEFRAMES",
    "ms_to_iso",
    "normalize_exchange",
    "normalize_symbol",
    "normalize_timeframe",
    "timeframe_ms",
    "to_epoch_ms",
]
