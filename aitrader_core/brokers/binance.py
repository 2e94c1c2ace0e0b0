"""Binance spot as a :class:`~aitrader_core.brokers.base.BrokerGateway`, through ccxt.

Amounts are snapped in one place: the :class:`~aitrader_core.domain.money.Instrument`
built from ccxt's market (tick, lot step, minimum quantity and notional), then
ccxt's own ``amount_to_precision``/``price_to_precision`` format what is sent.
Orders below the instrument's minimums never leave the process.

Idempotency rests on Binance's ``newClientOrderId``, which is our client id.
Binance refuses a second *open* order with the same id (``-2010 Duplicate order
sent.``) but accepts the id again once the first order is final, so ``submit``
first asks for the id (``GET /api/v3/order?origClientOrderId=``, weight 4) and
posts only when Binance has no such order; a duplicate refusal (a race with
another process) is answered by fetching the existing order. After a timeout
the outcome is unknown: ``submit`` raises
:class:`~aitrader_core.brokers.base.Transient` and never retries by itself;
:meth:`BinanceGateway.resolve` (or the next ``submit`` of that id) looks first.

Money comes from Binance's own decimal strings (``origQty``, ``executedQty``,
``commission``, ``free``...) kept by ccxt in ``info``, not from ccxt's floats
(see :mod:`aitrader_core.brokers.binance_parse`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from pydantic import SecretStr

from aitrader_core.brokers._ccxt import CcxtClient, Json, dec
from aitrader_core.brokers.base import (
    BrokerError,
    DuplicateOrder,
    InvalidOrder,
    OrderNotFound,
)
from aitrader_core.brokers.binance_parse import (
    fill_from_ccxt,
    instrument_from_market,
    order_from_ccxt,
)
from aitrader_core.domain.money import ZERO, Instrument
from aitrader_core.domain.orders import Balance, Fill, Order, OrderType, Position
from aitrader_core.errors import ConfigError

log = logging.getLogger(__name__)

#: What Binance accepts as ``newClientOrderId`` (its -1100 error quotes this pattern).
CLIENT_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,36}$")
#: Trades per ``myTrades`` request (Binance's maximum) and the most pages read per call.
FILLS_PAGE = 1000
MAX_FILL_PAGES = 50

# Ours → ccxt's unified type. Stops go as Binance STOP_LOSS / STOP_LOSS_LIMIT (a buy
# triggers at or above the stop, a sell at or below): ccxt picks them from
# ``stopLossPrice`` on a market / limit order.
_CCXT_TYPE = {
    OrderType.MARKET: "market",
    OrderType.LIMIT: "limit",
    OrderType.STOP: "market",
    OrderType.STOP_LIMIT: "limit",
}


def binance_exchange(
    *,
    testnet: bool = True,
    api_key: SecretStr | None = None,
    api_secret: SecretStr | None = None,
    markets: dict[str, Any] | None = None,
) -> Any:
    """A ccxt ``binance`` for spot trading, on the testnet unless told otherwise.

    Keys arrive as ``SecretStr`` (from ``AITRADER_BINANCE_API_KEY`` /
    ``AITRADER_BINANCE_API_SECRET`` through Settings) and are unwrapped only
    into ccxt's config. Markets are loaded for spot only, without the private
    currencies call.

    Examples
    --------
    >>> ex = binance_exchange(api_key=SecretStr("k"), api_secret=SecretStr("s"))
    >>> ex.urls["api"]["private"], ex.apiKey
    ('https://testnet.binance.vision/api/v3', 'k')
    """
    from aitrader_core.ingest.exchange import make_exchange

    config: dict[str, Any] = {
        "options": {
            "defaultType": "spot",
            "fetchMarkets": {"types": ["spot"]},
            "fetchCurrencies": False,
        }
    }
    if api_key is not None:
        config["apiKey"] = api_key.get_secret_value()
    if api_secret is not None:
        config["secret"] = api_secret.get_secret_value()
    return make_exchange("binance", sandbox=testnet, markets=markets, config=config)


class BinanceGateway:
    """Binance spot orders, balances and fills in domain types.

    Parameters
    ----------
    exchange
        A ccxt ``binance`` instance (see :func:`binance_exchange`), in sandbox
        mode exactly when ``testnet`` is true.
    testnet
        Must match the exchange's sandbox mode (a mismatch is a
        :class:`~aitrader_core.errors.ConfigError`, so a "testnet" gateway can
        never talk to mainnet).
    symbols
        The markets this gateway trades (``"BTC/USDT"``...). :meth:`instruments`
        lists only these, and :meth:`fills_since` without a symbol reads their
        trades (Binance serves trades one symbol per request). ``None``: every
        spot market; then ``fills_since`` needs a symbol.
    quote
        The account's cash asset: :meth:`positions` reports each held base asset
        against it (``BTC`` → ``BTC/USDT``).

    Notes
    -----
    Not thread-safe: one coordinator drives one gateway. Spot positions come
    from balances, so ``avg_entry`` is ``0`` (Binance does not know an entry
    price; the journal does).

    Examples
    --------
    >>> from aitrader_core.domain.orders import Side
    >>> from aitrader_core.testing.ccxt_replay import CcxtReplayer
    >>> market = {"id": "BTCUSDT", "symbol": "BTC/USDT", "base": "BTC", "quote": "USDT",
    ...           "type": "spot", "spot": True, "active": True,
    ...           "precision": {"amount": 1e-05, "price": 0.01},
    ...           "limits": {"amount": {"min": 1e-05}, "cost": {"min": 10.0}}}
    >>> gw = BinanceGateway(binance_exchange(markets={"BTC/USDT": market}))
    >>> replay = CcxtReplayer()
    >>> _ = replay.install(gw.exchange)
    >>> order = Order("ait-doc-1", "BTC/USDT", Side.BUY, OrderType.LIMIT,
    ...               Decimal("0.0001"), price=Decimal("60000"))
    >>> try:
    ...     gw.submit(order)
    ... except InvalidOrder as exc:
    ...     print(exc)
    binance submit ait-doc-1: notional 6.0000000 below the minimum 10.0
    >>> replay.requests  # refused before anything was sent
    ()
    """

    name = "binance"

    def __init__(
        self,
        exchange: Any,
        *,
        testnet: bool = True,
        symbols: Iterable[str] | None = None,
        quote: str = "USDT",
    ) -> None:
        if getattr(exchange, "id", None) != "binance":
            raise ConfigError(f"BinanceGateway needs a ccxt binance exchange, got {exchange!r}")
        self._client = CcxtClient(exchange)
        if self._client.sandbox != testnet:
            where = "the testnet" if self._client.sandbox else "mainnet"
            raise ConfigError(f"BinanceGateway(testnet={testnet}) given an exchange on {where}")
        self._client.allow_open_orders_without_symbol()
        self.exchange = exchange
        self.testnet = testnet
        self.quote = quote
        self._symbols = tuple(symbols) if symbols is not None else None
        self._instruments: dict[str, Instrument] | None = None
        self._sent: dict[str, str] = {}  # client id → symbol: acknowledged by the venue
        self._client_ids: dict[tuple[str, str], str] = {}  # (symbol, venue id) → client id

    def __repr__(self) -> str:
        return f"BinanceGateway(testnet={self.testnet}, symbols={self._symbols!r})"

    # --- instruments --------------------------------------------------------------------

    def instruments(self) -> dict[str, Instrument]:
        """Spot instruments from ccxt's markets (loaded once)."""
        if self._instruments is None:
            with self._client.errors("binance load markets"):
                markets = self._client.load_markets()
            ticks = self._client.tick_size_mode
            found = {
                symbol: instrument_from_market(market, tick_size_mode=ticks)
                for symbol, market in markets.items()
                if market.get("spot") and market.get("active") is not False
            }
            if self._symbols is not None:
                missing = [s for s in self._symbols if s not in found]
                if missing:
                    raise ConfigError(f"binance has no spot market {', '.join(missing)}")
                found = {s: found[s] for s in self._symbols}
            self._instruments = found
        return dict(self._instruments)

    def _instrument(self, symbol: str, what: str) -> Instrument:
        instrument = self.instruments().get(symbol)
        if instrument is None:
            raise InvalidOrder(f"{what}: binance has no spot market {symbol!r} here")
        return instrument

    # --- orders -------------------------------------------------------------------------

    def submit(self, order: Order) -> Order:
        """Place ``order`` once: if Binance already has its client id, return that order.

        Raises
        ------
        InvalidOrder
            Before sending: unknown symbol, bad client id, missing price, a
            quantity or notional below the instrument's minimums. From the
            venue: a filter failure. ``DuplicateOrder`` if the client id is
            taken by a different order.
        InsufficientFunds, RateLimited
            The venue refused; nothing was executed.
        Transient
            The outcome is unknown: call :meth:`resolve` before submitting again.
        """
        cid, symbol = order.client_id, order.symbol
        what = f"binance submit {cid}"
        instrument = self._instrument(symbol, what)
        if not CLIENT_ID_PATTERN.match(cid):
            raise InvalidOrder(f"{what}: client id must match {CLIENT_ID_PATTERN.pattern}")
        type_, amount, price, params = self._request(order, instrument, what)
        # Binance takes a client id again once its first order is final: look before posting.
        existing = self.resolve(cid, symbol)
        if existing is not None:
            return self._same_intent(order, existing, what)
        if cid in self._sent:
            raise InvalidOrder(f"{what}: acknowledged before, unknown to the venue now; not resent")
        log.info(
            "binance submit %s %s %s %s qty=%s price=%s params=%s",
            cid, symbol, order.side, order.type, amount, price, params,
        )  # fmt: skip
        try:
            with self._client.errors(what):
                raw = self._client.create_order(
                    symbol, type_, order.side.value, amount, price, params
                )
        except DuplicateOrder:
            # Placed between our look and our post (another process): that one is the answer.
            return self._same_intent(order, self.fetch_order(cid, symbol), what)
        return self._remember(self._to_order(raw))

    def resolve(self, client_id: str, symbol: str) -> Order | None:
        """The order if Binance has it (queried by ``origClientOrderId``), else ``None``."""
        try:
            return self.fetch_order(client_id, symbol)
        except OrderNotFound:
            return None

    def fetch_order(self, client_id: str, symbol: str) -> Order:
        """Binance's view of the order with this client id (``OrderNotFound`` if none)."""
        what = f"binance fetch_order {client_id}"
        self._instrument(symbol, what)
        with self._client.errors(what):
            raw = self._client.fetch_order(symbol, client_id=client_id)
        return self._remember(self._to_order(raw))

    def cancel(self, client_id: str, symbol: str) -> Order:
        """Cancel by client id; an order already filled or canceled is returned as it is.

        Binance answers ``-2011 Unknown order sent.`` both for an id it never
        saw and for an order that is no longer open; the gateway then queries
        the order, so only a truly unknown id raises ``OrderNotFound``.
        """
        what = f"binance cancel {client_id}"
        self._instrument(symbol, what)
        log.info("binance cancel %s %s", client_id, symbol)
        try:
            with self._client.errors(what):
                raw = self._client.cancel_order(symbol, client_id)
        except OrderNotFound:
            return self.fetch_order(client_id, symbol)
        return self._remember(self._to_order(raw))

    def open_orders(self, symbol: str | None = None) -> list[Order]:
        """Open orders for ``symbol``, or for the whole account (costlier at Binance)."""
        what = f"binance open_orders {symbol or '(all)'}"
        if symbol is not None:
            self._instrument(symbol, what)
        with self._client.errors(what):
            raws = self._client.fetch_open_orders(symbol)
        return [self._remember(self._to_order(raw)) for raw in raws]

    # --- fills, balances, positions -----------------------------------------------------

    def fills_since(self, since_ms: int, symbol: str | None = None) -> list[Fill]:
        """Trades at or after ``since_ms``, oldest first, each tied to its client id.

        Binance's trades name the venue order id only; ids of orders this
        gateway has seen are known, others are looked up once per order.

        Raises
        ------
        aitrader_core.errors.ConfigError
            No ``symbol`` given and the gateway was built without ``symbols``.
        """
        if symbol is not None:
            symbols: tuple[str, ...] = (symbol,)
        elif self._symbols is not None:
            symbols = self._symbols
        else:
            raise ConfigError(
                "binance fills_since needs a symbol, or BinanceGateway(symbols=...) to read"
            )
        fills: list[Fill] = []
        for sym in symbols:
            self._instrument(sym, f"binance fills_since {sym}")
            fills.extend(self._fill(sym, trade) for trade in self._trades(sym, since_ms))
        return sorted(fills, key=lambda f: (f.ts_ms, f.trade_id.zfill(24)))  # ids are integers

    def balances(self) -> dict[str, Balance]:
        """Non-zero spot balances, from Binance's decimal strings."""
        with self._client.errors("binance balances"):
            raw = self._client.fetch_balance()
        rows = (raw.get("info") or {}).get("balances")
        out: dict[str, Balance] = {}
        if isinstance(rows, list):
            for row in rows:
                free = dec(row.get("free"), ZERO) or ZERO
                locked = dec(row.get("locked"), ZERO) or ZERO
                if free or locked:
                    out[str(row["asset"])] = Balance(str(row["asset"]), free, locked)
            return out
        for asset, free in (raw.get("free") or {}).items():  # no raw rows: ccxt's numbers
            locked = dec((raw.get("used") or {}).get(asset), ZERO) or ZERO
            free_dec = dec(free, ZERO) or ZERO
            if free_dec or locked:
                out[asset] = Balance(asset, free_dec, locked)
        return out

    def positions(self) -> dict[str, Position]:
        """Held base assets as long positions against :attr:`quote` (``avg_entry`` 0)."""
        held = self.balances()
        out: dict[str, Position] = {}
        for symbol, instrument in self.instruments().items():
            balance = held.get(instrument.base)
            if instrument.quote == self.quote and balance is not None and balance.total:
                out[symbol] = Position(symbol, qty=balance.total)
        return out

    def ping(self) -> bool:
        """True when Binance answers ``GET /api/v3/ping``; errors are logged, not raised."""
        try:
            with self._client.errors("binance ping"):
                self._client.ping()
        except BrokerError as exc:
            log.warning("%s", exc)
            return False
        return True

    # --- helpers ------------------------------------------------------------------------

    def _request(
        self, order: Order, instrument: Instrument, what: str
    ) -> tuple[str, str, str | None, dict[str, str]]:
        """Snap and check ``order``; return ccxt's (type, amount, price, params)."""
        symbol = order.symbol
        qty = instrument.snap_qty(order.qty)
        price: Decimal | None = None
        if order.type in (OrderType.LIMIT, OrderType.STOP_LIMIT):
            if order.price is None:
                raise InvalidOrder(f"{what}: a {order.type} order needs a price")
            price = instrument.snap_price(order.price, side=order.side)
        stop: Decimal | None = None
        if order.type in (OrderType.STOP, OrderType.STOP_LIMIT):
            if order.stop_price is None:
                raise InvalidOrder(f"{what}: a {order.type} order needs a stop price")
            stop = instrument.snap_price(order.stop_price)
        # Market orders are checked for notional against order.price when given (a
        # reference price, never sent); the venue checks them against its average price.
        reference = price or stop or order.price
        problem = (
            instrument.check_order(qty, reference)
            if reference is not None
            else _quantity_problem(instrument, qty)
        )
        if problem:
            raise InvalidOrder(f"{what}: {problem}")
        params = {"newClientOrderId": order.client_id}
        with self._client.errors(what):
            amount = self._client.amount_to_precision(symbol, qty)
            price_text = None if price is None else self._client.price_to_precision(symbol, price)
            if stop is not None:
                params["stopLossPrice"] = self._client.price_to_precision(symbol, stop)
        if price is not None:  # limit and stop-limit rest: they carry a time in force
            params["timeInForce"] = order.tif.value.upper()
        return _CCXT_TYPE[order.type], amount, price_text, params

    def _same_intent(self, order: Order, existing: Order, what: str) -> Order:
        """``existing`` if it is ``order`` (same side, type and snapped quantity)."""
        qty = self._instrument(order.symbol, what).snap_qty(order.qty)
        if (existing.side, existing.type, existing.qty) != (order.side, order.type, qty):
            raise DuplicateOrder(
                f"{what}: client id already used at binance by {existing.side} "
                f"{existing.type} {existing.qty} (asked {order.side} {order.type} {qty})"
            )
        log.info("binance submit %s: already at the venue as %s", order.client_id, existing.status)
        return existing

    def _remember(self, order: Order) -> Order:
        self._sent[order.client_id] = order.symbol
        if order.venue_id is not None:
            self._client_ids[(order.symbol, order.venue_id)] = order.client_id
        return order

    def _to_order(self, raw: Json) -> Order:
        return order_from_ccxt(raw)

    def _trades(self, symbol: str, since_ms: int) -> list[Json]:
        """Every trade from ``since_ms`` on: the first page by time, the next ones by trade id.

        Paging by id cannot stall on more than a page of trades in one millisecond.
        """
        out: list[Json] = []
        from_id: str | None = None
        for _ in range(MAX_FILL_PAGES):
            with self._client.errors(f"binance fills_since {symbol}"):
                if from_id is None:
                    page = self._client.fetch_my_trades(symbol, FILLS_PAGE, since_ms=since_ms)
                else:
                    page = self._client.fetch_my_trades(symbol, FILLS_PAGE, from_id=from_id)
            out.extend(page)
            if len(page) < FILLS_PAGE:
                break
            from_id = str(max(int(t["id"]) for t in page) + 1)
        else:
            log.warning("binance fills_since %s: stopped after %d pages", symbol, MAX_FILL_PAGES)
        return out

    def _fill(self, symbol: str, trade: Json) -> Fill:
        venue_id = str(trade.get("order") or (trade.get("info") or {}).get("orderId") or "")
        client_id = self._client_ids.get((symbol, venue_id))
        if client_id is None:
            with self._client.errors(f"binance fills_since {symbol} order {venue_id}"):
                raw = self._client.fetch_order(symbol, venue_id=venue_id)
            client_id = self._remember(self._to_order(raw)).client_id
        return fill_from_ccxt(trade, client_id)


def _quantity_problem(instrument: Instrument, qty: Decimal) -> str | None:
    if qty <= 0:
        return f"quantity must be positive (after snapping to the lot step {instrument.qty_step})"
    if qty < instrument.min_qty:
        return f"quantity {qty} below the minimum {instrument.min_qty}"
    return None
