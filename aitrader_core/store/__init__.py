"""The OHLCV store: SQLite by default, PostgreSQL by URL."""

from aitrader_core.store.candles import CandleStore, Coverage, Page, SeriesKey, UpsertResult
from aitrader_core.store.engine import make_engine
from aitrader_core.store.migrate import current_revision, head_revision, schema_is_current, upgrade
from aitrader_core.store.validate import BatchRejected, CandleBatch, Problem, prepare_candles

__all__ = [
    "BatchRejected",
    "CandleBatch",
    "CandleStore",
    "Coverage",
    "Page",
    "Problem",
    "SeriesKey",
    "UpsertResult",
    "current_revision",
    "head_revision",
    "make_engine",
    "prepare_candles",
    "schema_is_current",
    "upgrade",
]
