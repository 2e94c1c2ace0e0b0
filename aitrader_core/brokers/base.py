"""The broker gateway protocol and the errors every gateway raises.

A gateway speaks domain types only: :class:`~aitrader_core.domain.orders.Order`
in, ``Order``/``Fill``/``Balance``/``Position`` out, amounts as ``Decimal``.
Whatever library a gateway wraps (ccxt for Binance, the backtest fill model for
the simulator), its exceptions leave it as one of the :class:`BrokerError`
classes below, so the live coordinator decides on the class alone:

=====================  ========================================  ===========================
class                  meaning                                   what the caller does
=====================  ========================================  ===========================
``InsufficientFunds``  the venue refused: not enough balance     do not retry this order
``InvalidOrder``       refused (filters, precision, bad symbol)  do not retry this order
``RateLimited``        refused before execution: slow down       retry after ``retry_after_s``
``Transient``          the outcome is unknown (timeout, 5xx)     ``resolve()`` it, then decide
``OrderNotFound``      the venue has no order with that id       treat as never placed
``UnknownBrokerError`` anything else (credentials, unsupported)  stop and tell an operator
=====================  ========================================  ===========================
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from aitrader_core.domain.money import Instrument
from aitrader_core.domain.orders import Balance, Fill, Order, Position
from aitrader_core.errors import AITraderError, NotFoundError


class BrokerError(AITraderError):
    """Base class of every error a broker gateway raises on purpose."""


class InsufficientFunds(BrokerError):
    """The venue refused an order: the account's free balance does not cover it."""


class InvalidOrder(BrokerError):
    """The order breaks a venue rule (filters, precision, type) and will never be accepted.

    Also raised *before* anything is sent, when the gateway's own checks against
    the instrument (minimum quantity, lot step, minimum notional) already fail.
    """


class DuplicateOrder(InvalidOrder):
    """The venue already holds an open order with this client id.

    Gateways resolve it themselves (they fetch and return the existing order),
    so a caller sees it only when the existing order belongs to a different
    intent: the same client id reused for another side, type or quantity.
    """


class RateLimited(BrokerError):
    """The venue refused the request to protect itself (HTTP 429/418); nothing was executed.

    Examples
    --------
    >>> RateLimited("binance submit: too many requests", retry_after_s=7.0).retry_after_s
    7.0
    """

    def __init__(self, message: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
        """Seconds the venue asked to wait (its ``Retry-After`` header), when it said."""


class Transient(BrokerError):
    """The request may or may not have reached the venue (timeout, network fault, 5xx).

    After a ``Transient`` from :meth:`BrokerGateway.submit` the order's state is
    *unknown*: call :meth:`BrokerGateway.resolve` with the same client id before
    deciding to submit again.
    """


class OrderNotFound(BrokerError, NotFoundError):
    """The venue knows no order with this client id (for this symbol)."""


class UnknownBrokerError(BrokerError):
    """A venue error with no better class here: bad credentials, unsupported request..."""


@runtime_checkable
class BrokerGateway(Protocol):
    """What the live coordinator needs from a venue, in domain types.

    ``order.client_id`` is the idempotency key everywhere: the same client id
    never produces a second order at the venue, through this gateway or a fresh
    one after a restart (see :meth:`submit` and :meth:`resolve`). Every method
    raises only :class:`BrokerError` subclasses (and
    :class:`~aitrader_core.errors.ConfigError` when the gateway was configured
    too loosely to answer, e.g. Binance ``fills_since`` without any symbol).

    Examples
    --------
    A gateway is any object with these members; ``isinstance`` checks their presence:

    >>> isinstance(object(), BrokerGateway)
    False
    """

    name: str
    """Venue name (``"binance"``, ``"sim"``)."""
    testnet: bool
    """True when no real money is at stake (exchange testnet or simulator)."""

    def instruments(self) -> dict[str, Instrument]:
        """Tradable symbols with their precision, lot and minimum notional."""
        ...

    def submit(self, order: Order) -> Order:
        """Place ``order`` (amounts snapped to the instrument) and return the venue's view.

        The result carries the venue's status, ``venue_id`` and the fills so
        far (``filled_qty``, ``avg_price``). Submitting a client id the venue
        already holds returns that order instead of placing a second one.
        """
        ...

    def cancel(self, client_id: str, symbol: str) -> Order:
        """Cancel an open order; an order already final is returned as it is."""
        ...

    def fetch_order(self, client_id: str, symbol: str) -> Order:
        """The venue's view of one order; :class:`OrderNotFound` if it has none."""
        ...

    def resolve(self, client_id: str, symbol: str) -> Order | None:
        """The order with this client id if the venue has it, else ``None``.

        The way out of a :class:`Transient` submit: ``None`` means the venue
        never took the order, so submitting it again cannot duplicate it.
        """
        ...

    def open_orders(self, symbol: str | None = None) -> list[Order]:
        """Orders resting at the venue (for one symbol, or all)."""
        ...

    def fills_since(self, since_ms: int, symbol: str | None = None) -> list[Fill]:
        """Executions at or after ``since_ms`` (epoch ms UTC), oldest first."""
        ...

    def balances(self) -> dict[str, Balance]:
        """Non-zero balances by asset, free and locked, as ``Decimal``."""
        ...

    def positions(self) -> dict[str, Position]:
        """Net positions by symbol (spot: held base assets as long positions)."""
        ...

    def ping(self) -> bool:
        """True when the venue answers."""
        ...
