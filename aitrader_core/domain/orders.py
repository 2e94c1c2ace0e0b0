"""Orders, fills, positions and balances as small immutable types over Decimal."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum

from aitrader_core.domain.money import ZERO
from aitrader_core.errors import AITraderError


class Side(StrEnum):
    """Order side."""

    BUY = "buy"
    SELL = "sell"

    @property
    def sign(self) -> int:
        """+1 for buy, −1 for sell."""
        return 1 if self is Side.BUY else -1


class OrderType(StrEnum):
    """Order types every gateway understands."""

    MARKET = "market"
    LIMIT = "limit"
    STOP = "stop"
    STOP_LIMIT = "stop_limit"


class TimeInForce(StrEnum):
    """How long an order rests."""

    GTC = "gtc"
    IOC = "ioc"
    FOK = "fok"


class OrderStatus(StrEnum):
    """Life-cycle states. ``UNKNOWN`` means "sent, answer lost": resolve by querying."""

    PENDING = "pending"  # journaled, not yet acknowledged by the venue
    OPEN = "open"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELED = "canceled"
    REJECTED = "rejected"
    EXPIRED = "expired"
    UNKNOWN = "unknown"

    @property
    def is_final(self) -> bool:
        """True when no further change can happen."""
        return self in _FINAL


_FINAL = frozenset({OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.REJECTED,
                    OrderStatus.EXPIRED})  # fmt: skip
_S = OrderStatus
ALLOWED: dict[OrderStatus, frozenset[OrderStatus]] = {
    _S.PENDING: frozenset({_S.OPEN, _S.PARTIALLY_FILLED, _S.FILLED, _S.REJECTED, _S.CANCELED,
                           _S.EXPIRED, _S.UNKNOWN}),
    _S.UNKNOWN: frozenset({_S.OPEN, _S.PARTIALLY_FILLED, _S.FILLED, _S.REJECTED, _S.CANCELED,
                           _S.EXPIRED}),
    _S.OPEN: frozenset({_S.PARTIALLY_FILLED, _S.FILLED, _S.CANCELED, _S.EXPIRED}),
    _S.PARTIALLY_FILLED: frozenset({_S.PARTIALLY_FILLED, _S.FILLED, _S.CANCELED, _S.EXPIRED}),
    _S.FILLED: frozenset(),
    _S.CANCELED: frozenset(),
    _S.REJECTED: frozenset(),
    _S.EXPIRED: frozenset(),
}  # fmt: skip


class InvalidTransition(AITraderError):
    """An order state change that the life cycle does not allow."""


def check_transition(current: OrderStatus, new: OrderStatus) -> OrderStatus:
    """Return ``new`` if an order may move from ``current`` to it, else raise.

    Examples
    --------
    >>> check_transition(OrderStatus.PENDING, OrderStatus.OPEN)
    <OrderStatus.OPEN: 'open'>
    >>> check_transition(OrderStatus.FILLED, OrderStatus.OPEN)
    Traceback (most recent call last):
    ...
    aitrader_core.domain.orders.InvalidTransition: order cannot go from filled to open
    """
    if current == new and current is not OrderStatus.PARTIALLY_FILLED:
        return new
    if new not in ALLOWED[current]:
        raise InvalidTransition(f"order cannot go from {current} to {new}")
    return new


def client_order_id(*parts: str | int) -> str:
    """A deterministic, exchange-safe client order id from what makes an order unique.

    The same intent (e.g. strategy, symbol, bar time, leg) always gives the same
    id, so a retry or a restart can never create a second order. Binance allows
    36 characters of ``[A-Za-z0-9_-]``; these ids are ``ait-`` and 32 hex digits.

    Examples
    --------
    >>> a = client_order_id("ema_cross", "BTC/USDT", 1704067200000, "entry")
    >>> a == client_order_id("ema_cross", "BTC/USDT", 1704067200000, "entry"), len(a)
    (True, 36)
    >>> a != client_order_id("ema_cross", "BTC/USDT", 1704067200000, "stop")
    True
    """
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()
    return f"ait-{digest[:32]}"


@dataclass(frozen=True)
class Fill:
    """One execution of (part of) an order."""

    client_id: str
    trade_id: str
    symbol: str
    side: Side
    qty: Decimal
    price: Decimal
    fee: Decimal
    fee_asset: str
    ts_ms: int


@dataclass(frozen=True)
class Order:
    """An order as the system knows it; changes return a new Order."""

    client_id: str
    symbol: str
    side: Side
    type: OrderType
    qty: Decimal
    price: Decimal | None = None
    stop_price: Decimal | None = None
    tif: TimeInForce = TimeInForce.GTC
    status: OrderStatus = OrderStatus.PENDING
    filled_qty: Decimal = ZERO
    avg_price: Decimal | None = None
    venue_id: str | None = None
    created_ms: int = 0
    reason: str = ""

    @property
    def remaining(self) -> Decimal:
        """Quantity not yet filled."""
        return self.qty - self.filled_qty

    def with_status(self, status: OrderStatus, **changes: object) -> Order:
        """This order in a new state (the transition is checked)."""
        return replace(self, status=check_transition(self.status, status), **changes)  # type: ignore[arg-type]

    def with_fill(self, fill: Fill) -> Order:
        """This order after ``fill``: filled quantity, average price and status."""
        if fill.client_id != self.client_id:
            raise AITraderError(f"fill {fill.trade_id} belongs to {fill.client_id}")
        filled = self.filled_qty + fill.qty
        if filled > self.qty:
            raise AITraderError(f"fill {fill.trade_id} overfills {self.client_id}")
        notional = (self.avg_price or ZERO) * self.filled_qty + fill.price * fill.qty
        status = OrderStatus.FILLED if filled == self.qty else OrderStatus.PARTIALLY_FILLED
        return self.with_status(status, filled_qty=filled, avg_price=notional / filled)


@dataclass(frozen=True)
class Position:
    """A net position: signed quantity, average entry and realised PnL (quote currency).

    Examples
    --------
    >>> p = Position("BTC/USDT")
    >>> p = p.apply(Side.BUY, Decimal("2"), Decimal("100"))
    >>> p = p.apply(Side.SELL, Decimal("3"), Decimal("110"))
    >>> p.qty, p.avg_entry, p.realized_pnl
    (Decimal('-1'), Decimal('110'), Decimal('20'))
    """

    symbol: str
    qty: Decimal = ZERO
    avg_entry: Decimal = ZERO
    realized_pnl: Decimal = ZERO

    def apply(self, side: Side, qty: Decimal, price: Decimal, fee: Decimal = ZERO) -> Position:
        """The position after trading ``qty`` at ``price`` (fee in quote, reduces PnL)."""
        signed = qty * side.sign
        realized = self.realized_pnl - fee
        if self.qty == 0 or (self.qty > 0) == (signed > 0):  # open or add
            total = self.qty + signed
            avg = (self.avg_entry * abs(self.qty) + price * qty) / abs(total)
            return replace(self, qty=total, avg_entry=avg, realized_pnl=realized)
        closing = min(abs(signed), abs(self.qty))
        direction = 1 if self.qty > 0 else -1
        realized += (price - self.avg_entry) * closing * direction
        total = self.qty + signed
        if total == 0:
            return replace(self, qty=ZERO, avg_entry=ZERO, realized_pnl=realized)
        if (total > 0) == (self.qty > 0):  # reduced, same side
            return replace(self, qty=total, realized_pnl=realized)
        return replace(self, qty=total, avg_entry=price, realized_pnl=realized)  # flipped

    def unrealized(self, mark: Decimal) -> Decimal:
        """Open PnL at ``mark``."""
        return (mark - self.avg_entry) * self.qty


@dataclass(frozen=True)
class Balance:
    """Free and locked amounts of one asset."""

    asset: str
    free: Decimal
    locked: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        """Free plus locked."""
        return self.free + self.locked
