"""AI Trader core: market data, research, backtests and live trading in one package.

The public surface is listed in ``__all__`` and pinned by a test.
"""

from aitrader_core.app import App, IngestReport
from aitrader_core.clock import Clock, ReplayClock, SystemClock
from aitrader_core.errors import (
    AITraderError,
    ConfigError,
    ExchangeError,
    FormatError,
    NotFoundError,
    ValidationError,
)
from aitrader_core.settings import Settings
from aitrader_core.store import BatchRejected, CandleStore, SeriesKey, UpsertResult

__version__ = "0.1.0"

__all__ = [
    "AITraderError",
    "App",
    "BatchRejected",
    "CandleStore",
    "Clock",
    "ConfigError",
    "ExchangeError",
    "FormatError",
    "IngestReport",
    "NotFoundError",
    "ReplayClock",
    "SeriesKey",
    "Settings",
    "SystemClock",
    "UpsertResult",
    "ValidationError",
    "__version__",
]
