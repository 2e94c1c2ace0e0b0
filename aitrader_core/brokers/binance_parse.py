"""Binance answers, as ccxt parses them, turned into domain types.

ccxt turns Binance's decimal strings into floats; the exact strings stay in
each structure's ``info``, and these functions read amounts from there first
(``origQty``, ``executedQty``, ``cummulativeQuoteQty``, ``qty``, ``commission``),
falling back to ccxt's numbers through ``repr`` only when ``info`` lacks them.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from aitrader_core.brokers._ccxt import dec
from aitrader_core.domain.money import ZERO, Instrument
from aitrader_core.domain.orders import Fill, Order, OrderStatus, OrderType, Side, TimeInForce

# Binance's order types → ours (ccxt folds stop types into market/limit, so read ``info``).
_VENUE_TYPE = {
    "MARKET": OrderType.MARKET,
    "LIMIT": OrderType.LIMIT,
    "LIMIT_MAKER": OrderType.LIMIT,
    "STOP_LOSS": OrderType.STOP,
    "TAKE_PROFIT": OrderType.STOP,
    "STOP_LOSS_LIMIT": OrderType.STOP_LIMIT,
    "TAKE_PROFIT_LIMIT": OrderType.STOP_LIMIT,
}
# ccxt's unified statuses → ours ("open" splits on the filled quantity).
_STATUS = {
    "closed": OrderStatus.FILLED,
    "canceled": OrderStatus.CANCELED,
    "expired": OrderStatus.EXPIRED,
    "rejected": OrderStatus.REJECTED,
}
_OPEN = frozenset({"open", "canceling"})


def instrument_from_market(market: Mapping[str, Any], *, tick_size_mode: bool = True) -> Instrument:
    """An :class:`Instrument` from a ccxt unified market.

    Examples
    --------
    >>> m = {"symbol": "BTC/USDT", "base": "BTC", "quote": "USDT",
    ...      "precision": {"amount": 1e-05, "price": 0.01},
    ...      "limits": {"amount": {"min": 1e-05}, "cost": {"min": 10.0}}}
    >>> i = instrument_from_market(m)
    >>> i.price_tick, i.qty_step, i.min_qty, i.min_notional
    (Decimal('0.01'), Decimal('0.00001'), Decimal('0.00001'), Decimal('10.0'))
    >>> instrument_from_market({**m, "precision": {"amount": 5, "price": 2}},
    ...                        tick_size_mode=False).price_tick
    Decimal('0.01')
    """
    precision = market.get("precision") or {}
    limits = market.get("limits") or {}

    def step(value: object) -> Decimal:
        if value is None:
            return ZERO
        if tick_size_mode:
            return dec(value, ZERO) or ZERO
        return Decimal(1).scaleb(-int(str(value)))

    return Instrument(
        symbol=str(market["symbol"]),
        base=str(market["base"]),
        quote=str(market["quote"]),
        price_tick=step(precision.get("price")),
        qty_step=step(precision.get("amount")),
        min_qty=dec((limits.get("amount") or {}).get("min"), ZERO) or ZERO,
        min_notional=dec((limits.get("cost") or {}).get("min"), ZERO) or ZERO,
    )


def order_from_ccxt(raw: Mapping[str, Any]) -> Order:
    """Our :class:`Order` from a ccxt order parsed from a Binance answer.

    Amounts come from Binance's strings in ``info`` when present. A cancel
    answer names our id ``origClientOrderId`` (its ``clientOrderId`` is the
    cancel request's own).

    Examples
    --------
    >>> raw = {"id": "28", "clientOrderId": "c1", "symbol": "BTC/USDT", "side": "sell",
    ...        "type": "market", "status": "closed", "timestamp": 1507725176595,
    ...        "info": {"type": "MARKET", "origQty": "10.00000000", "executedQty": "10.00000000",
    ...                 "cummulativeQuoteQty": "39985.00000000", "price": "0.00000000"}}
    >>> o = order_from_ccxt(raw)
    >>> o.status, o.filled_qty, o.avg_price, o.price, o.venue_id
    (<OrderStatus.FILLED: 'filled'>, Decimal('10.00000000'), Decimal('3998.5'), None, '28')
    """
    info: Mapping[str, Any] = raw.get("info") or {}
    type_ = _VENUE_TYPE.get(str(info.get("type", "")).upper())
    if type_ is None:
        stop = raw.get("triggerPrice") is not None
        limit = raw.get("type") == "limit"
        type_ = (
            (OrderType.STOP_LIMIT if stop else OrderType.LIMIT)
            if limit
            else (OrderType.STOP if stop else OrderType.MARKET)
        )
    qty = _first(info.get("origQty"), raw.get("amount")) or ZERO
    filled = _first(info.get("executedQty"), raw.get("filled")) or ZERO
    price = _first(info.get("price"), raw.get("price"))
    stop_price = _first(info.get("stopPrice"), raw.get("triggerPrice"))
    quote_qty = dec(info.get("cummulativeQuoteQty"))
    if filled > 0 and quote_qty is not None and quote_qty > 0:
        avg_price: Decimal | None = quote_qty / filled
    else:
        avg_price = dec(raw.get("average")) if filled > 0 else None
    status_text = str(raw.get("status") or "")
    if status_text in _OPEN:
        status = OrderStatus.PARTIALLY_FILLED if filled > 0 else OrderStatus.OPEN
    else:
        status = _STATUS.get(status_text, OrderStatus.UNKNOWN)
    try:
        tif = TimeInForce(str(raw.get("timeInForce") or info.get("timeInForce") or "").lower())
    except ValueError:  # absent, or Binance's post-only "GTX"/ccxt's "PO": rests like GTC
        tif = TimeInForce.GTC
    return Order(
        client_id=str(info.get("origClientOrderId") or raw.get("clientOrderId") or ""),
        symbol=str(raw["symbol"]),
        side=Side(str(raw["side"]).lower()),
        type=type_,
        qty=qty,
        price=None if type_ in (OrderType.MARKET, OrderType.STOP) or not price else price,
        stop_price=stop_price or None,
        tif=tif,
        status=status,
        filled_qty=filled,
        avg_price=avg_price,
        venue_id=None if raw.get("id") is None else str(raw["id"]),
        created_ms=int(raw.get("timestamp") or 0),
    )


def fill_from_ccxt(trade: Mapping[str, Any], client_id: str) -> Fill:
    """Our :class:`Fill` from a ccxt trade parsed from Binance's ``myTrades``.

    Examples
    --------
    >>> t = {"id": "28457", "symbol": "BTC/USDT", "side": "buy", "timestamp": 1499865549590,
    ...      "info": {"price": "4.00000100", "qty": "12.00000000",
    ...               "commission": "10.10000000", "commissionAsset": "BNB"}}
    >>> f = fill_from_ccxt(t, "c1")
    >>> f.qty, f.price, f.fee, f.fee_asset, f.ts_ms
    (Decimal('12.00000000'), Decimal('4.00000100'), Decimal('10.10000000'), 'BNB', 1499865549590)
    """
    info: Mapping[str, Any] = trade.get("info") or {}
    fee: Mapping[str, Any] = trade.get("fee") or {}
    return Fill(
        client_id=client_id,
        trade_id=str(trade["id"]),
        symbol=str(trade["symbol"]),
        side=Side(str(trade["side"]).lower()),
        qty=_first(info.get("qty"), trade.get("amount")) or ZERO,
        price=_first(info.get("price"), trade.get("price")) or ZERO,
        fee=_first(info.get("commission"), fee.get("cost")) or ZERO,
        fee_asset=str(info.get("commissionAsset") or fee.get("currency") or ""),
        ts_ms=int(trade.get("timestamp") or 0),
    )


def _first(*values: object) -> Decimal | None:
    """The first value present, as Decimal."""
    for value in values:
        result = dec(value)
        if result is not None:
            return result
    return None
