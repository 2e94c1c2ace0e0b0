"""Orchestration of live and paper trading: coordinator, reconciliation, auto-heal.

Examples
--------
>>> from aitrader_core.live import RetryPolicy
>>> RetryPolicy().max_attempts
5
"""

from aitrader_core.live.book import ACCOUNT, DayCounter, LiveFill, LiveOrder, Role
from aitrader_core.live.coordinator import LiveTradingCoordinator
from aitrader_core.live.history import History, frame_history
from aitrader_core.live.models import (
    BarOutcome,
    LiveStatus,
    LiveStrategy,
    PnL,
    RetryPolicy,
    StrategyView,
    SyncReport,
)
from aitrader_core.live.operations import MANUAL
from aitrader_core.live.paper import PaperTrader
from aitrader_core.live.state import LiveStateRepository

__all__ = [
    "ACCOUNT",
    "MANUAL",
    "BarOutcome",
    "DayCounter",
    "History",
    "LiveFill",
    "LiveOrder",
    "LiveStateRepository",
    "LiveStatus",
    "LiveStrategy",
    "LiveTradingCoordinator",
    "PaperTrader",
    "PnL",
    "RetryPolicy",
    "Role",
    "StrategyView",
    "SyncReport",
    "frame_history",
]
