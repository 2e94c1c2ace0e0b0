"""A typed boundary around a ccxt exchange, and ccxt's errors mapped to ours.

ccxt ships no type information, so everything it returns is ``Any``. This
module is the only place the gateways touch ccxt objects: each call returns a
plain ``dict[str, Any]`` (or a list of them) and every ccxt exception leaves as
a :class:`~aitrader_core.brokers.base.BrokerError`, with the API key and secret
scrubbed from its text.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any, cast

import ccxt

from aitrader_core.brokers.base import (
    BrokerError,
    DuplicateOrder,
    InsufficientFunds,
    InvalidOrder,
    OrderNotFound,
    RateLimited,
    Transient,
    UnknownBrokerError,
)
from aitrader_core.domain.money import to_decimal

Json = dict[str, Any]

#: Binance's text for a client order id that is already in use by an open order.
DUPLICATE_MESSAGE = "Duplicate order sent"


def is_duplicate(exc: BaseException) -> bool:
    """True for a venue refusal because the client order id is taken.

    Binance answers ``{"code": -2010, "msg": "Duplicate order sent."}``, which
    ccxt raises as a plain ``InvalidOrder``; other venues use ``DuplicateOrderId``.

    Examples
    --------
    >>> is_duplicate(ccxt.InvalidOrder('binance {"code":-2010,"msg":"Duplicate order sent."}'))
    True
    >>> is_duplicate(ccxt.InvalidOrder("binance Filter failure: LOT_SIZE"))
    False
    """
    return isinstance(exc, ccxt.DuplicateOrderId) or (
        isinstance(exc, ccxt.InvalidOrder) and DUPLICATE_MESSAGE in str(exc)
    )


def broker_error(
    exc: ccxt.BaseError,
    what: str,
    *,
    retry_after_s: float | None = None,
    secrets: tuple[str, ...] = (),
) -> BrokerError:
    """Our error for a ccxt one; ``what`` says which call failed.

    The order of the tests matters: ccxt's ``OrderNotFound`` is an
    ``InvalidOrder`` and its rate-limit errors are ``NetworkError`` s.

    Examples
    --------
    >>> e = broker_error(ccxt.RequestTimeout("binance POST .../order"), "binance submit x")
    >>> type(e).__name__, str(e)
    ('Transient', 'binance submit x: RequestTimeout: binance POST .../order')
    >>> type(broker_error(ccxt.InsufficientFunds("no"), "s")).__name__
    'InsufficientFunds'
    >>> type(broker_error(ccxt.InvalidOrder('{"msg":"Duplicate order sent."}'), "s")).__name__
    'DuplicateOrder'
    """
    text = f"{type(exc).__name__}: {exc}"
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    message = f"{what}: {text}"
    if isinstance(exc, ccxt.DDoSProtection | ccxt.RateLimitExceeded):
        return RateLimited(message, retry_after_s=retry_after_s)
    # NetworkError (RequestTimeout, ExchangeNotAvailable, InvalidNonce), BadResponse and
    # Binance's -1001 "internal error": the venue may have acted, so the outcome is unknown.
    if isinstance(exc, ccxt.OperationFailed):
        return Transient(message)
    if isinstance(exc, ccxt.InsufficientFunds):
        return InsufficientFunds(message)
    if isinstance(exc, ccxt.OrderNotFound):
        return OrderNotFound(message)
    if is_duplicate(exc):
        return DuplicateOrder(message)
    if isinstance(exc, ccxt.InvalidOrder | ccxt.BadRequest | ccxt.MarketClosed):
        return InvalidOrder(message)
    return UnknownBrokerError(message)


def retry_after(headers: Mapping[str, Any] | None) -> float | None:
    """Seconds from a ``Retry-After`` header (the delta-seconds form), if present.

    Examples
    --------
    >>> retry_after({"Retry-After": "7"}), retry_after({}), retry_after({"retry-after": "x"})
    (7.0, None, None)
    """
    if not headers:
        return None
    for key, value in headers.items():
        if str(key).lower() == "retry-after":
            try:
                return float(value)
            except (TypeError, ValueError):
                return None
    return None


def dec(value: object, default: Decimal | None = None) -> Decimal | None:
    """A ccxt/venue number (``"0.10000000"``, ``0.1``, ``None``) as ``Decimal``.

    Examples
    --------
    >>> dec("0.05000000"), dec(1e-05), dec(None), dec("", Decimal(0))
    (Decimal('0.05000000'), Decimal('0.00001'), None, Decimal('0'))
    """
    if value is None or value == "":
        return default
    return to_decimal(cast(Decimal | float | int | str, value))


class CcxtClient:
    """Typed calls on one ccxt exchange; ccxt errors become :class:`BrokerError` s.

    Parameters
    ----------
    exchange
        A ccxt exchange instance (sync). Its ``apiKey``/``secret`` are read
        only to scrub them from error texts.
    """

    def __init__(self, exchange: Any) -> None:
        self._ex = exchange
        self.id: str = str(exchange.id)

    def __repr__(self) -> str:
        return f"CcxtClient({self.id})"

    # --- plumbing -----------------------------------------------------------------------

    @contextlib.contextmanager
    def errors(self, what: str) -> Iterator[None]:
        """Translate ccxt errors raised inside the block, naming ``what`` failed."""
        try:
            yield
        except ccxt.BaseError as exc:
            headers = getattr(self._ex, "last_response_headers", None)
            wait = retry_after(headers) if isinstance(headers, Mapping) else None
            secrets = (str(self._ex.apiKey or ""), str(self._ex.secret or ""))
            raise broker_error(exc, what, retry_after_s=wait, secrets=secrets) from None

    @property
    def sandbox(self) -> bool:
        """True when the exchange talks to its testnet."""
        return bool(getattr(self._ex, "isSandboxModeEnabled", False))

    @property
    def tick_size_mode(self) -> bool:
        """True when market precisions are tick sizes (``0.01``), not decimal places (``2``)."""
        return bool(self._ex.precisionMode == ccxt.TICK_SIZE)

    # --- markets and precision ----------------------------------------------------------

    def load_markets(self) -> dict[str, Json]:
        """Unified markets by symbol (one request at most; none when preset)."""
        return cast(dict[str, Json], self._ex.load_markets())

    def amount_to_precision(self, symbol: str, amount: Decimal) -> str:
        """``amount`` truncated to the market's lot precision, as ccxt would send it."""
        return str(self._ex.amount_to_precision(symbol, str(amount)))

    def price_to_precision(self, symbol: str, price: Decimal) -> str:
        """``price`` rounded to the market's tick, as ccxt would send it."""
        return str(self._ex.price_to_precision(symbol, str(price)))

    # --- requests -----------------------------------------------------------------------

    def create_order(
        self,
        symbol: str,
        type_: str,
        side: str,
        amount: str,
        price: str | None,
        params: dict[str, str],
    ) -> Json:
        """``createOrder``; amounts as strings, so no float ever carries them."""
        return cast(Json, self._ex.create_order(symbol, type_, side, amount, price, params))

    def fetch_order(self, symbol: str, *, client_id: str | None = None, venue_id: str = "") -> Json:
        """``fetchOrder`` by client id (``origClientOrderId``) or by venue id."""
        params = {"origClientOrderId": client_id} if client_id is not None else {}
        return cast(Json, self._ex.fetch_order(venue_id or None, symbol, params))

    def cancel_order(self, symbol: str, client_id: str) -> Json:
        """``cancelOrder`` by client id (``origClientOrderId``)."""
        return cast(Json, self._ex.cancel_order(None, symbol, {"origClientOrderId": client_id}))

    def fetch_open_orders(self, symbol: str | None) -> list[Json]:
        """``fetchOpenOrders`` for one symbol or the whole account."""
        return cast(list[Json], self._ex.fetch_open_orders(symbol))

    def fetch_my_trades(
        self, symbol: str, limit: int, *, since_ms: int | None = None, from_id: str | None = None
    ) -> list[Json]:
        """``fetchMyTrades`` from ``since_ms`` on, or from trade id ``from_id`` on; oldest first."""
        params = {"fromId": from_id} if from_id is not None else {}
        return cast(list[Json], self._ex.fetch_my_trades(symbol, since_ms, limit, params))

    def fetch_balance(self) -> Json:
        """``fetchBalance`` (spot account)."""
        return cast(Json, self._ex.fetch_balance())

    def ping(self) -> None:
        """Binance's ``GET /api/v3/ping`` (public, weight 1)."""
        self._ex.publicGetPing()

    def allow_open_orders_without_symbol(self) -> None:
        """Let ``fetchOpenOrders(None)`` through (ccxt refuses it unless told; it costs more)."""
        options = self._ex.options.setdefault("fetchOpenOrders", {})
        options["warnWithoutSymbol"] = False


__all__ = ["CcxtClient", "Json", "broker_error", "dec", "is_duplicate", "retry_after"]
