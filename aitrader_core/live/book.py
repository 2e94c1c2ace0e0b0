"""What the coordinator books: its orders (with role and parent), fills and day counters.

Plain frozen dataclasses over the domain types; :mod:`aitrader_core.live.state`
stores them, the service serialises them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from aitrader_core.domain.orders import Fill, Order, OrderStatus

ACCOUNT = "*"
"""The day-counter row of the whole account (start-of-day and peak equity)."""


class Role(StrEnum):
    """Why the coordinator placed an order."""

    ENTRY = "entry"
    EXIT = "exit"
    STOP = "stop"
    TARGET = "target"
    MANUAL = "manual"

    @property
    def protective(self) -> bool:
        """True for the stop and target orders that guard a position."""
        return self in (Role.STOP, Role.TARGET)


@dataclass(frozen=True)
class LiveOrder:
    """An order as the coordinator keeps it: the domain order plus who and why."""

    order: Order
    strategy: str
    role: Role
    parent_id: str | None = None
    bar_ts: int | None = None
    updated_ms: int = 0

    @property
    def client_id(self) -> str:
        """The idempotent client order id."""
        return self.order.client_id

    @property
    def status(self) -> OrderStatus:
        """The order's life-cycle state."""
        return self.order.status


@dataclass(frozen=True)
class LiveFill:
    """One execution of one of our orders, with the strategy and role it served."""

    fill: Fill
    strategy: str
    role: Role


@dataclass(frozen=True)
class DayCounter:
    """What a UTC day has seen so far for a strategy (or the account, ``"*"``)."""

    day: str
    strategy: str
    trades: int = 0
    start_of_day_equity: Decimal | None = None
    peak_equity: Decimal | None = None
