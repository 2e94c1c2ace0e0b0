"""Broker gateways: one protocol, domain types in and out, one error hierarchy.

:class:`BrokerGateway` is what the live coordinator trades through;
:func:`make_gateway` picks the simulator or Binance (testnet unless live
trading is confirmed) from Settings. The Binance half imports ccxt, which is
slow to import, so it is loaded on first use.

Examples
--------
>>> from aitrader_core.brokers import BrokerError, Transient
>>> issubclass(Transient, BrokerError)
True
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from aitrader_core.brokers.base import (
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
from aitrader_core.brokers.registry import LIVE_CONFIRMATION, BrokerSettings, make_gateway

if TYPE_CHECKING:
    from aitrader_core.brokers.binance import BinanceGateway, binance_exchange
    from aitrader_core.brokers.simulator import (
        SimulatedBroker,
        SimulatorConfig,
        make_simulated_gateway,
    )

__all__ = [
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
    "SimulatedBroker",
    "SimulatorConfig",
    "Transient",
    "UnknownBrokerError",
    "binance_exchange",
    "make_gateway",
    "make_simulated_gateway",
]

_LAZY = {
    "BinanceGateway": "aitrader_core.brokers.binance",
    "binance_exchange": "aitrader_core.brokers.binance",
    "SimulatedBroker": "aitrader_core.brokers.simulator",
    "SimulatorConfig": "aitrader_core.brokers.simulator",
    "make_simulated_gateway": "aitrader_core.brokers.simulator",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
