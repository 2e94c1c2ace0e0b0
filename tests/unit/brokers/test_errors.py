"""The broker error hierarchy and how ccxt's errors map onto it."""

from __future__ import annotations

import ccxt
import pytest

import aitrader_core.brokers as brokers
from aitrader_core.brokers import (
    BrokerError,
    BrokerGateway,
    DuplicateOrder,
    InsufficientFunds,
    InvalidOrder,
    OrderNotFound,
    RateLimited,
    Transient,
    UnknownBrokerError,
)
from aitrader_core.brokers._ccxt import broker_error, dec, is_duplicate, retry_after
from aitrader_core.errors import AITraderError, NotFoundError

PUBLIC = {
    "LIVE_CONFIRMATION",
    "BinanceGateway",
    "BrokerError",
    "BrokerGateway",
    "BrokerSettings",
    "DuplicateOrder",
    "InsufficientFunds",
    "InvalidOrder",
    "OrderNotFound",
    "RateLimited",
    "Transient",
    "UnknownBrokerError",
    "binance_exchange",
    "make_gateway",
    "SimulatedBroker",
    "SimulatorConfig",
    "make_simulated_gateway",
}


def test_public_surface_is_pinned_and_resolves() -> None:
    assert set(brokers.__all__) == PUBLIC
    for name in brokers.__all__:
        assert getattr(brokers, name) is not None
    with pytest.raises(AttributeError):
        _ = brokers.NoSuchThing  # type: ignore[attr-defined]


def test_hierarchy() -> None:
    leaves = [InsufficientFunds, InvalidOrder, RateLimited, Transient, OrderNotFound,
              UnknownBrokerError, DuplicateOrder]  # fmt: skip
    assert all(issubclass(cls, BrokerError) for cls in leaves)
    assert issubclass(BrokerError, AITraderError)
    assert issubclass(OrderNotFound, NotFoundError)  # the service's 404 mapping applies
    assert issubclass(DuplicateOrder, InvalidOrder)
    # "Refused, nothing executed" and "outcome unknown" must stay distinguishable.
    assert not issubclass(RateLimited, Transient)
    assert not issubclass(Transient, RateLimited)
    assert not issubclass(OrderNotFound, InvalidOrder)


CCXT_TO_OURS = [
    (ccxt.DDoSProtection, RateLimited),
    (ccxt.RateLimitExceeded, RateLimited),
    (ccxt.RequestTimeout, Transient),
    (ccxt.ExchangeNotAvailable, Transient),
    (ccxt.OnMaintenance, Transient),
    (ccxt.NetworkError, Transient),
    (ccxt.InvalidNonce, Transient),
    (ccxt.BadResponse, Transient),
    (ccxt.NullResponse, Transient),
    (ccxt.OperationFailed, Transient),
    (ccxt.InsufficientFunds, InsufficientFunds),
    (ccxt.OrderNotFound, OrderNotFound),
    (ccxt.InvalidOrder, InvalidOrder),
    (ccxt.OrderImmediatelyFillable, InvalidOrder),
    (ccxt.BadRequest, InvalidOrder),
    (ccxt.BadSymbol, InvalidOrder),
    (ccxt.MarketClosed, InvalidOrder),
    (ccxt.DuplicateOrderId, DuplicateOrder),
    (ccxt.AuthenticationError, UnknownBrokerError),
    (ccxt.PermissionDenied, UnknownBrokerError),
    (ccxt.NotSupported, UnknownBrokerError),
    (ccxt.ArgumentsRequired, UnknownBrokerError),
    (ccxt.ExchangeError, UnknownBrokerError),
    (ccxt.BaseError, UnknownBrokerError),
]


@pytest.mark.parametrize(("ccxt_error", "ours"), CCXT_TO_OURS, ids=lambda c: c.__name__)
def test_ccxt_error_maps_to(ccxt_error: type[Exception], ours: type[BrokerError]) -> None:
    mapped = broker_error(ccxt_error("binance said no"), "binance submit c1")
    assert type(mapped) is ours
    assert str(mapped) == f"binance submit c1: {ccxt_error.__name__}: binance said no"


def test_duplicate_is_recognised_from_binance_text() -> None:
    plain = ccxt.InvalidOrder('binance {"code":-2010,"msg":"Duplicate order sent."}')
    assert is_duplicate(plain)
    assert type(broker_error(plain, "s")) is DuplicateOrder
    assert not is_duplicate(ccxt.InvalidOrder("binance Filter failure: LOT_SIZE"))
    assert not is_duplicate(ccxt.ExchangeError("Duplicate order sent."))  # not an order refusal


def test_rate_limited_carries_the_wait_and_secrets_are_scrubbed() -> None:
    exc = ccxt.DDoSProtection("binance 429 key=AKEY sig over SSECRET")
    mapped = broker_error(exc, "w", retry_after_s=3.0, secrets=("AKEY", "SSECRET", ""))
    assert isinstance(mapped, RateLimited)
    assert mapped.retry_after_s == 3.0
    assert str(mapped) == "w: DDoSProtection: binance 429 key=*** sig over ***"


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [({"Retry-After": "7"}, 7.0), ({"retry-after": "0.5"}, 0.5), ({}, None), (None, None),
     ({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, None)],
)  # fmt: skip
def test_retry_after(headers: dict[str, str] | None, seconds: float | None) -> None:
    assert retry_after(headers) == seconds


def test_dec_keeps_venue_strings_exact() -> None:
    from decimal import Decimal

    assert dec("4723846.89208129") == Decimal("4723846.89208129")
    assert dec(0.1) == Decimal("0.1")
    assert dec(None) is None
    assert dec("", Decimal(0)) == 0


def test_the_protocol_is_structural() -> None:
    class Half:
        name = "half"
        testnet = True

        def ping(self) -> bool:
            return True

    assert not isinstance(Half(), BrokerGateway)
