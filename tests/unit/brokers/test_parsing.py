"""ccxt's parsed Binance answers turned into domain types: statuses, types, exact amounts.

The raw orders are ccxt's own parse of recorded Binance payloads (run offline),
so the mapping is tested against what ccxt really produces.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import ccxt
import pytest

from aitrader_core.brokers import BinanceGateway, BrokerGateway
from aitrader_core.brokers.binance import (
    binance_exchange,
    fill_from_ccxt,
    instrument_from_market,
    order_from_ccxt,
)
from aitrader_core.domain.orders import OrderStatus, OrderType, Side, TimeInForce
from aitrader_core.testing.ccxt_replay import CcxtReplayer

BINANCE = Path(__file__).resolve().parents[2] / "data" / "binance"
DOCS = BINANCE / "docs_examples"
EXCHANGE_INFO = BINANCE / "live_spot_2021-10-22" / "http_spot_market_exchange_info.json"
MARKET = {
    "id": "BTCUSDT", "symbol": "BTC/USDT", "base": "BTC", "quote": "USDT", "baseId": "BTC",
    "quoteId": "USDT", "type": "spot", "spot": True, "active": True,
    "precision": {"amount": 1e-05, "price": 0.01},
    "limits": {"amount": {"min": 1e-05}, "cost": {"min": 10.0}},
}  # fmt: skip


@pytest.fixture(scope="module")
def ex() -> Any:
    """A testnet ccxt binance with the markets of the recorded exchangeInfo (loaded offline)."""
    exchange = binance_exchange()
    CcxtReplayer().on_json_file("GET", "/api/v3/exchangeInfo", EXCHANGE_INFO).install(exchange)
    exchange.load_markets()
    return exchange


def parsed(ex: Any, **changes: object) -> dict[str, Any]:
    """ccxt's parse of the documented order answer, with Binance fields changed."""
    raw = json.loads((DOCS / "spot_order_response.json").read_text())
    raw.update(symbol="BTCUSDT", **changes)
    result: dict[str, Any] = ex.parse_order(raw)
    return result


@pytest.mark.parametrize(
    ("binance_status", "executed", "ours"),
    [
        ("NEW", "0.0", OrderStatus.OPEN),
        ("PARTIALLY_FILLED", "0.4", OrderStatus.PARTIALLY_FILLED),
        ("PENDING_CANCEL", "0.0", OrderStatus.OPEN),
        ("FILLED", "1.0", OrderStatus.FILLED),
        ("CANCELED", "0.4", OrderStatus.CANCELED),
        ("EXPIRED", "0.0", OrderStatus.EXPIRED),
        ("EXPIRED_IN_MATCH", "0.0", OrderStatus.EXPIRED),
        ("REJECTED", "0.0", OrderStatus.REJECTED),
        ("SOMETHING_NEW", "0.0", OrderStatus.UNKNOWN),
    ],
)
def test_status(ex: Any, binance_status: str, executed: str, ours: OrderStatus) -> None:
    quote = "0.04" if executed != "0.0" else "0.0"
    raw = parsed(ex, status=binance_status, executedQty=executed, cummulativeQuoteQty=quote)
    order = order_from_ccxt(raw)
    assert order.status is ours
    assert order.filled_qty == Decimal(executed)


@pytest.mark.parametrize(
    ("binance_type", "ours"),
    [
        ("LIMIT", OrderType.LIMIT),
        ("LIMIT_MAKER", OrderType.LIMIT),
        ("MARKET", OrderType.MARKET),
        ("STOP_LOSS", OrderType.STOP),
        ("TAKE_PROFIT", OrderType.STOP),
        ("STOP_LOSS_LIMIT", OrderType.STOP_LIMIT),
        ("TAKE_PROFIT_LIMIT", OrderType.STOP_LIMIT),
    ],
)
def test_type(ex: Any, binance_type: str, ours: OrderType) -> None:
    order = order_from_ccxt(parsed(ex, type=binance_type, stopPrice="0.09"))
    assert order.type is ours
    assert order.stop_price == Decimal("0.09")
    assert (order.price is None) == (ours in (OrderType.MARKET, OrderType.STOP))


def test_documented_order_in_full(ex: Any) -> None:
    order = order_from_ccxt(parsed(ex))
    assert order.client_id == "myOrder1"
    assert order.venue_id == "1"
    assert (order.side, order.qty, order.price) == (Side.BUY, Decimal("1.0"), Decimal("0.1"))
    assert order.stop_price is None  # Binance writes "0.0" for none
    assert order.avg_price is None
    assert order.tif is TimeInForce.GTC
    assert order.created_ms == 1499827319559


@pytest.mark.parametrize(("tif", "ours"), [("IOC", "ioc"), ("FOK", "fok"), ("GTX", "gtc")])
def test_time_in_force(ex: Any, tif: str, ours: str) -> None:
    assert order_from_ccxt(parsed(ex, timeInForce=tif)).tif == TimeInForce(ours)


def test_average_price_from_quote_quantity(ex: Any) -> None:
    order = order_from_ccxt(
        parsed(ex, status="PARTIALLY_FILLED", executedQty="0.3", cummulativeQuoteQty="0.0301")
    )
    assert order.avg_price == Decimal("0.1003333333333333333333333333")


def test_cancel_answer_names_our_id_as_orig_client_order_id(ex: Any) -> None:
    raw = json.loads((DOCS / "spot_cancel_order_response.json").read_text())
    order = order_from_ccxt(ex.parse_order({**raw, "symbol": "BTCUSDT"}))
    assert order.client_id == "myOrder1"  # not "cancelMyOrder1", the cancel's own id
    assert order.status is OrderStatus.CANCELED


def test_without_binance_fields_ccxt_numbers_are_used() -> None:
    raw = {"id": 7, "clientOrderId": "c", "symbol": "BTC/USDT", "side": "buy", "type": "limit",
           "status": "open", "amount": 0.3, "filled": 0.1, "price": 100.5, "average": 100.25,
           "triggerPrice": 99.5, "timestamp": 5}  # fmt: skip
    order = order_from_ccxt(raw)
    assert order.type is OrderType.STOP_LIMIT
    assert (order.qty, order.filled_qty, order.price, order.stop_price, order.avg_price) == (
        Decimal("0.3"), Decimal("0.1"), Decimal("100.5"), Decimal("99.5"), Decimal("100.25")
    )  # fmt: skip
    assert order.status is OrderStatus.PARTIALLY_FILLED
    assert order.venue_id == "7"


def test_documented_trade(ex: Any) -> None:
    raw = json.loads((DOCS / "spot_account_trades_response.json").read_text())[0]
    fill = fill_from_ccxt(ex.parse_trade({**raw, "symbol": "BTCUSDT"}), "c1")
    assert (fill.trade_id, fill.symbol, fill.side) == ("28457", "BTC/USDT", Side.BUY)
    assert (fill.qty, fill.price, fill.fee, fill.fee_asset) == (
        Decimal("12.00000000"), Decimal("4.00000100"), Decimal("10.10000000"), "BNB"
    )  # fmt: skip
    assert fill.ts_ms == 1499865549590


def test_instrument_precision_modes() -> None:
    inst = instrument_from_market(MARKET)
    assert inst.snap_qty(Decimal("0.123456789")) == Decimal("0.12345")
    assert inst.snap_price(Decimal("61000.129"), side="sell") == Decimal("61000.13")
    places = instrument_from_market(
        {**MARKET, "precision": {"amount": 3, "price": 1}}, tick_size_mode=False
    )
    assert (places.qty_step, places.price_tick) == (Decimal("0.001"), Decimal("0.1"))
    bare = instrument_from_market({"symbol": "X/Y", "base": "X", "quote": "Y"})
    assert (bare.qty_step, bare.price_tick, bare.min_notional) == (0, 0, 0)


def test_binance_gateway_is_a_broker_gateway(ex: Any) -> None:
    gw = BinanceGateway(ex)
    assert isinstance(gw, BrokerGateway)
    assert (gw.name, gw.testnet) == ("binance", True)
    assert repr(gw) == "BinanceGateway(testnet=True, symbols=None)"
    assert isinstance(ex, ccxt.binance)
