"""Pick the broker gateway that Settings name: the simulator or Binance (testnet by default).

Real money needs two deliberate settings: ``AITRADER_TESTNET=false`` *and*
``AITRADER_LIVE_CONFIRM=I-understand``. Anything less is a
:class:`~aitrader_core.errors.ConfigError` saying exactly what to set.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import Protocol

from pydantic import SecretStr

from aitrader_core.brokers.base import BrokerGateway
from aitrader_core.errors import ConfigError

#: The value ``live_confirm`` must hold before a gateway may trade on mainnet.
LIVE_CONFIRMATION = "I-understand"
BROKERS = ("sim", "binance")
#: Module and factory the simulated broker provides (``make_simulated_gateway(settings)``).
SIMULATOR_MODULE = "aitrader_core.brokers.simulator"
SIMULATOR_FACTORY = "make_simulated_gateway"

LIVE_REFUSED = (
    "live trading on Binance mainnet is refused: set AITRADER_LIVE_CONFIRM=I-understand "
    "to trade real money, or AITRADER_TESTNET=true to use the testnet"
)
KEYS_MISSING = (
    "the binance broker needs AITRADER_BINANCE_API_KEY and AITRADER_BINANCE_API_SECRET "
    "in the environment (testnet keys come from https://testnet.binance.vision)"
)


class BrokerSettings(Protocol):
    """The settings a gateway is chosen from (a subset of ``aitrader_core.Settings``)."""

    @property
    def broker(self) -> str:
        """``"sim"`` or ``"binance"``."""
        ...

    @property
    def testnet(self) -> bool:
        """Use the exchange's testnet (default true)."""
        ...

    @property
    def live_confirm(self) -> str | None:
        """Must equal :data:`LIVE_CONFIRMATION` for mainnet."""
        ...

    @property
    def binance_api_key(self) -> SecretStr | None:
        """From ``AITRADER_BINANCE_API_KEY``."""
        ...

    @property
    def binance_api_secret(self) -> SecretStr | None:
        """From ``AITRADER_BINANCE_API_SECRET``."""
        ...


def make_gateway(
    settings: BrokerSettings, *, symbols: Iterable[str] | None = None
) -> BrokerGateway:
    """Build the gateway ``settings.broker`` names; nothing is sent to a venue yet.

    ``symbols`` are the markets to trade (Binance reads fills per symbol).

    Raises
    ------
    aitrader_core.errors.ConfigError
        Unknown broker; Binance keys missing; mainnet without the live
        confirmation; the simulator not installed.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> keys = dict(binance_api_key=SecretStr("k"), binance_api_secret=SecretStr("s"))
    >>> gw = make_gateway(SimpleNamespace(broker="binance", testnet=True, live_confirm=None,
    ...                                   **keys))
    >>> gw.name, gw.testnet
    ('binance', True)
    >>> try:
    ...     make_gateway(SimpleNamespace(broker="binance", testnet=False, live_confirm="yes",
    ...                                  **keys))
    ... except ConfigError as exc:
    ...     print(exc)  # doctest: +ELLIPSIS
    live trading on Binance mainnet is refused: set AITRADER_LIVE_CONFIRM=I-understand ...
    """
    broker = settings.broker.strip().lower()
    if broker == "binance":
        return _binance(settings, symbols)
    if broker == "sim":
        return _simulator(settings)
    raise ConfigError(
        f"unknown broker {settings.broker!r}: AITRADER_BROKER must be one of {BROKERS}"
    )


def _binance(settings: BrokerSettings, symbols: Iterable[str] | None) -> BrokerGateway:
    if not settings.testnet and settings.live_confirm != LIVE_CONFIRMATION:
        raise ConfigError(LIVE_REFUSED)
    key, secret = settings.binance_api_key, settings.binance_api_secret
    if not key or not secret or not key.get_secret_value() or not secret.get_secret_value():
        raise ConfigError(KEYS_MISSING)
    from aitrader_core.brokers.binance import BinanceGateway, binance_exchange

    exchange = binance_exchange(testnet=settings.testnet, api_key=key, api_secret=secret)
    return BinanceGateway(exchange, testnet=settings.testnet, symbols=symbols)


def _simulator(settings: BrokerSettings) -> BrokerGateway:
    try:
        module = importlib.import_module(SIMULATOR_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != SIMULATOR_MODULE:
            raise  # the simulator exists but something it imports does not
        raise ConfigError(
            "the simulated broker (AITRADER_BROKER=sim) is not available yet: "
            f"{SIMULATOR_MODULE} is missing; use AITRADER_BROKER=binance with testnet keys"
        ) from None
    factory = getattr(module, SIMULATOR_FACTORY, None)
    if factory is None:
        raise ConfigError(f"{SIMULATOR_MODULE} has no {SIMULATOR_FACTORY}(settings)")
    gateway: BrokerGateway = factory(settings)
    return gateway
