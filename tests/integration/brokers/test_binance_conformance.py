"""The broker conformance suite against BinanceGateway on the real ccxt.binance class.

Every request goes through ccxt's request building, signing and error mapping
and is answered by :class:`~tests.integration.brokers.binance_venue.BinanceVenue`
from recorded Binance payloads; nothing reaches the network.
"""

from __future__ import annotations

import pytest

from aitrader_core.brokers import BinanceGateway
from aitrader_core.testing.broker_checks import CHECKS, Check, Harness

from .binance_venue import BinanceVenue

SYMBOLS = ("BTC/USDT", "ETH/USDT")


def make_harness() -> Harness:
    venue = BinanceVenue()
    return Harness(venue, lambda: BinanceGateway(venue.exchange(), symbols=SYMBOLS))


@pytest.mark.parametrize("check", CHECKS, ids=str)
def test_conformance(check: Check) -> None:
    check(make_harness())
