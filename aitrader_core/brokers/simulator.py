"""Paper trading: a :class:`~aitrader_core.brokers.base.BrokerGateway` over the backtest fill model.

An adapter, not a flag (STYLE.md): the simulator decides every fill with
:func:`aitrader_core.backtest.fills.fill_order`, bar by bar, so paper trading
prices orders exactly as a backtest does. Market data comes in through
:meth:`SimulatedBroker.on_bar` (the latest *closed* bar, from the live feed or
a replay); the account (orders, fills, balances) lives in the store, so a
restarted simulator carries on where it stopped.

Rules, per order and bar:

* An order is matched against a bar at most once, and only against bars that
  open at or after its submission plus ``latency_ms`` (by the injected clock).
  A market order thus fills at the *next* bar's open plus slippage; with
  ``fill_on="close"`` (and no latency) it fills at once at the last close.
* Limit, stop and stop-limit orders rest until a bar crosses them; the fill
  price, the maker/taker fee and slippage are ``fill_order``'s.
* ``max_participation`` caps each bar's fill at that share of the bar's volume
  (the rest waits for later bars: partial fills).
* A buy reserves ``qty × price`` quote (its limit, stop, or the last close for
  a market order) and needs that plus the taker fee free at submission; a sell
  reserves its base quantity. Fees are charged in the quote asset, as the
  backtest charges them. A buy whose fee the free quote cannot cover when it
  fills is cut to what the cash buys (``fill_order``'s cash cap) and the rest
  expires.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Literal, NamedTuple, Protocol

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError

from aitrader_core.backtest import fills as fm
from aitrader_core.backtest.config import Costs
from aitrader_core.brokers import sim_state as state
from aitrader_core.brokers.base import (
    DuplicateOrder,
    InsufficientFunds,
    InvalidOrder,
    OrderNotFound,
)
from aitrader_core.brokers.sim_state import SimOrder
from aitrader_core.clock import Clock, SystemClock
from aitrader_core.domain.money import ZERO, Instrument, to_decimal
from aitrader_core.domain.orders import (
    Balance,
    Fill,
    Order,
    OrderStatus,
    OrderType,
    Position,
    Side,
    TimeInForce,
)
from aitrader_core.errors import ValidationError
from aitrader_core.store.engine import make_engine

log = logging.getLogger(__name__)

_D = Decimal
#: Spot markets the simulator trades unless told otherwise (Binance-like filters).
DEFAULT_INSTRUMENTS: tuple[Instrument, ...] = (
    Instrument("BTC/USDT", "BTC", "USDT", _D("0.01"), _D("0.00001"), _D("0.00001"), _D("5")),
    Instrument("ETH/USDT", "ETH", "USDT", _D("0.01"), _D("0.0001"), _D("0.0001"), _D("5")),
    Instrument("SOL/USDT", "SOL", "USDT", _D("0.01"), _D("0.001"), _D("0.001"), _D("5")),
)
#: The account a new simulator database starts with.
DEFAULT_START_BALANCES: Mapping[str, Decimal] = {"USDT": Decimal(10_000)}
_INF = Decimal("Infinity")


class SimulatorConfig(BaseModel):
    """How the simulator fills: costs, market-order timing, participation, latency.

    Examples
    --------
    >>> SimulatorConfig(fill_on="close", max_participation=0.1).latency_ms
    0
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    costs: Costs = Costs()
    """Fees and slippage (the instrument supplies tick and lot)."""
    fill_on: Literal["next_open", "close"] = "next_open"
    """Market orders fill at the next bar's open, or at once at the last close."""
    max_participation: float | None = Field(default=None, gt=0.0, le=1.0)
    """At most this share of a bar's volume fills per order and bar (None: no cap)."""
    latency_ms: int = Field(default=0, ge=0)
    """Orders may only fill in bars opening this long after their submission."""


class Bar(NamedTuple):
    """One closed OHLCV bar (``ts_ms``: its open, epoch ms UTC)."""

    ts_ms: int
    open: float
    high: float
    low: float
    close: float
    volume: float


@dataclass(frozen=True)
class Request:
    """A request reaching the simulated venue, as the fault hook sees it.

    ``stage`` is ``"received"`` before the venue acts and, for ``submit``,
    ``"accepted"`` once the order is stored (a fault then loses the answer).
    """

    method: str
    stage: Literal["received", "accepted"]
    client_id: str | None = None


FaultHook = Callable[[Request], None]
"""Called on every venue request; tests raise broker errors from it to simulate faults."""


class SimSettings(Protocol):
    """The settings :func:`make_simulated_gateway` reads."""

    @property
    def database_url(self) -> str:
        """The store's SQLAlchemy URL."""
        ...


class SimulatedBroker:
    """A paper-trading venue: the backtest fill model behind the gateway protocol.

    Parameters
    ----------
    engine
        The store (migrated to 0004); the account lives there.
    instruments
        Tradable instruments (default :data:`DEFAULT_INSTRUMENTS`).
    config
        Costs and fill timing (default :class:`SimulatorConfig`).
    clock
        Time of submissions and latency (default the wall clock).
    start_balances
        Funds of a *new* account; an account already in the store is kept.
    fault_hook
        Test hook called on every venue request (see :class:`Request`).

    Examples
    --------
    >>> from aitrader_core.clock import ReplayClock
    >>> from aitrader_core.store import make_engine, upgrade
    >>> from aitrader_core.domain.orders import client_order_id
    >>> from sqlalchemy.pool import StaticPool
    >>> engine = make_engine("sqlite://", poolclass=StaticPool)  # one in-memory database
    >>> upgrade(engine)
    >>> clock = ReplayClock(1_700_000_000_000)
    >>> sim = SimulatedBroker(engine, clock=clock)
    >>> _ = sim.on_bar("BTC/USDT", clock.now_ms() - 3_600_000, 100, 101, 99, 100, 50)
    >>> cid = client_order_id("doc", 1)
    >>> sim.submit(Order(cid, "BTC/USDT", Side.BUY, OrderType.MARKET, Decimal("0.1"))).status
    <OrderStatus.OPEN: 'open'>
    >>> [(f.qty, f.price, f.fee) for f in sim.on_bar("BTC/USDT", clock.now_ms(),
    ...                                              102, 103, 101, 102, 50)]
    [(Decimal('0.10000'), Decimal('102.00'), Decimal('0.0102000000'))]
    >>> sim.balances()["USDT"].free == Decimal("10000") - Decimal("10.2") - Decimal("0.0102")
    True
    """

    name = "sim"
    testnet = True

    def __init__(
        self,
        engine: Engine,
        *,
        instruments: Iterable[Instrument] | None = None,
        config: SimulatorConfig | None = None,
        clock: Clock | None = None,
        start_balances: Mapping[str, Decimal] | None = None,
        fault_hook: FaultHook | None = None,
    ) -> None:
        state.require_tables(engine)
        self._engine = engine
        chosen = DEFAULT_INSTRUMENTS if instruments is None else tuple(instruments)
        self._instruments = {inst.symbol: inst for inst in chosen}
        self._config = config or SimulatorConfig()
        self._clock: Clock = clock or SystemClock()
        self._fault_hook = fault_hook
        self._last: dict[str, Bar] = {}
        costs = self._config.costs
        self._maker_fee = to_decimal(costs.maker_fee)
        self._taker_fee = to_decimal(costs.taker_fee)
        start = DEFAULT_START_BALANCES if start_balances is None else start_balances
        with engine.begin() as conn:
            if state.seed_balances(conn, start):
                log.info("simulated account funded with %s", dict(start))

    # --- market data -------------------------------------------------------------------------

    def on_bar(
        self,
        symbol: str,
        ts_ms: int,
        open: float | Decimal,
        high: float | Decimal,
        low: float | Decimal,
        close: float | Decimal,
        volume: float | Decimal,
    ) -> list[Fill]:
        """Match the resting orders of ``symbol`` against a newly closed bar.

        Returns the fills the bar produced. A bar already applied to an order
        (the same bar pushed twice, or by two simulators) is not applied again.

        Raises
        ------
        aitrader_core.errors.ValidationError
            Unknown symbol, or prices that do not make a bar.
        """
        if symbol not in self._instruments:
            raise ValidationError(f"the simulator does not trade {symbol}", field="symbol")
        bar = Bar(int(ts_ms), float(open), float(high), float(low), float(close), float(volume))
        prices = (bar.open, bar.high, bar.low, bar.close)
        if not all(math.isfinite(p) and p > 0 for p in prices) or not (
            bar.low <= min(bar.open, bar.close) <= max(bar.open, bar.close) <= bar.high
        ):
            raise ValidationError(f"not a bar: {bar}", field="bar")
        if not (math.isfinite(bar.volume) and bar.volume >= 0):
            raise ValidationError(f"bad volume {bar.volume}", field="volume")
        last = self._last.get(symbol)
        if last is None or bar.ts_ms >= last.ts_ms:
            self._last[symbol] = bar
        ready = bar.ts_ms - self._config.latency_ms
        fills: list[Fill] = []
        with self._engine.begin() as conn:
            for sim in state.open_orders(conn, symbol, for_update=True):
                if sim.last_bar_ts < bar.ts_ms and sim.order.created_ms <= ready:
                    fills.extend(self._match(conn, sim, bar))
        return fills

    # --- the gateway protocol ----------------------------------------------------------------

    def instruments(self) -> dict[str, Instrument]:
        """Tradable symbols with their tick, lot step and minimums."""
        self._request("instruments")
        return dict(self._instruments)

    def submit(self, order: Order) -> Order:
        """Place ``order`` (snapped to the instrument); an existing client id returns that order.

        Raises
        ------
        InvalidOrder
            Unknown symbol, missing or superfluous prices, below the minimums
            (nothing reaches the venue), or a market order before any bar.
        DuplicateOrder
            The client id belongs to an order with another intent.
        InsufficientFunds
            The free balance does not cover the order; nothing is stored.
        """
        prepared = self._prepare(order)
        self._request("submit", order.client_id)
        try:
            with self._engine.begin() as conn:
                placed = self._place(conn, prepared)
        except IntegrityError:  # another process stored the same client id first
            with self._engine.begin() as conn:
                existing = state.get_order(conn, prepared.client_id)
            if existing is None:
                raise
            placed = _same_intent(existing.order, prepared)
        self._request("submit", order.client_id, stage="accepted")
        return placed

    def cancel(self, client_id: str, symbol: str) -> Order:
        """Cancel an open order and unlock what it reserved; a final order is returned as is."""
        self._request("cancel", client_id)
        with self._engine.begin() as conn:
            sim = self._find(conn, client_id, symbol, for_update=True)
            if sim.order.status.is_final:
                return sim.order
            return self._close(conn, sim, OrderStatus.CANCELED, "canceled").order

    def fetch_order(self, client_id: str, symbol: str) -> Order:
        """The order with this client id; :class:`OrderNotFound` if there is none."""
        self._request("fetch_order", client_id)
        with self._engine.connect() as conn:
            return self._find(conn, client_id, symbol).order

    def resolve(self, client_id: str, symbol: str) -> Order | None:
        """The order with this client id, or ``None`` if the venue never took it."""
        self._request("resolve", client_id)
        with self._engine.connect() as conn:
            sim = state.get_order(conn, client_id)
        return None if sim is None or sim.order.symbol != symbol else sim.order

    def open_orders(self, symbol: str | None = None) -> list[Order]:
        """Resting orders, oldest first (for one symbol, or all)."""
        self._request("open_orders")
        with self._engine.connect() as conn:
            return [sim.order for sim in state.open_orders(conn, symbol)]

    def fills_since(self, since_ms: int, symbol: str | None = None) -> list[Fill]:
        """Executions at or after ``since_ms`` (epoch ms UTC), oldest first."""
        self._request("fills_since")
        with self._engine.connect() as conn:
            return state.fills_since(conn, since_ms, symbol)

    def balances(self) -> dict[str, Balance]:
        """Non-zero balances by asset, free and locked."""
        self._request("balances")
        with self._engine.connect() as conn:
            rows = state.balances(conn)
        return {asset: b for asset, b in rows.items() if b.total != 0}

    def positions(self) -> dict[str, Position]:
        """Long positions from base balances; average entry and PnL replayed from the fills.

        Base held without fills (a starting balance) shows with the fills'
        average entry, or zero when there are none.
        """
        self._request("positions")
        with self._engine.connect() as conn:
            rows = state.balances(conn)
            fills = state.fills_since(conn, 0)
        out: dict[str, Position] = {}
        for inst in self._instruments.values():
            held = rows.get(inst.base, Balance(inst.base, ZERO)).total
            if held == 0:
                continue
            position = Position(inst.symbol)
            for f in fills:
                if f.symbol == inst.symbol:
                    position = position.apply(f.side, f.qty, f.price, f.fee)
            if position.qty != held:
                entry = position.avg_entry if position.qty > 0 else ZERO
                position = replace(position, qty=held, avg_entry=entry)
            out[inst.symbol] = position
        return out

    def ping(self) -> bool:
        """True: the simulator always answers (unless a test hook says otherwise)."""
        self._request("ping")
        return True

    # --- submission ----------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        client_id: str | None = None,
        *,
        stage: Literal["received", "accepted"] = "received",
    ) -> None:
        if self._fault_hook is not None:
            self._fault_hook(Request(method, stage, client_id))

    def _instrument(self, symbol: str) -> Instrument:
        try:
            return self._instruments[symbol]
        except KeyError:
            raise InvalidOrder(f"sim does not trade {symbol}") from None

    def _reference(self, symbol: str) -> Decimal | None:
        """The last close, snapped to the tick (None before the first bar)."""
        bar = self._last.get(symbol)
        if bar is None:
            return None
        return self._instruments[symbol].snap_price(to_decimal(bar.close))

    def _prepare(self, order: Order) -> Order:
        """Snap and check an order locally; what fails here never reaches the venue."""
        inst = self._instrument(order.symbol)
        kind, side = order.type, order.side.value
        price = stop = None
        if kind in (OrderType.LIMIT, OrderType.STOP_LIMIT):
            if order.price is None:
                raise InvalidOrder(f"sim {order.client_id}: a {kind} order needs a price")
            price = inst.snap_price(order.price, side=side)
        elif order.price is not None:
            raise InvalidOrder(f"sim {order.client_id}: a {kind} order takes no limit price")
        if kind in (OrderType.STOP, OrderType.STOP_LIMIT):
            if order.stop_price is None:
                raise InvalidOrder(f"sim {order.client_id}: a {kind} order needs a stop price")
            stop = inst.snap_price(order.stop_price)
        elif order.stop_price is not None:
            raise InvalidOrder(f"sim {order.client_id}: a {kind} order takes no stop price")
        qty = inst.snap_qty(order.qty)
        ref = _first(price, stop, self._reference(order.symbol))
        problem = inst.check_order(qty, _INF if ref is None else ref)
        if problem is not None:
            raise InvalidOrder(f"sim {order.client_id}: {problem}")
        return replace(
            order, qty=qty, price=price, stop_price=stop, status=OrderStatus.OPEN,
            filled_qty=ZERO, avg_price=None, venue_id=None, created_ms=self._clock.now_ms(),
            reason="",
        )  # fmt: skip

    def _place(self, conn: Connection, order: Order) -> Order:
        existing = state.get_order(conn, order.client_id)
        if existing is not None:
            return _same_intent(existing.order, order)
        inst = self._instruments[order.symbol]
        if order.side is Side.SELL:
            asset, unit, need = inst.base, Decimal(1), order.qty
        else:
            ref = _first(order.price, order.stop_price, self._reference(order.symbol))
            if ref is None:
                raise InvalidOrder(f"sim has no price for {order.symbol} yet (no bar)")
            asset, unit = inst.quote, ref
            need = order.qty * ref * (1 + max(self._taker_fee, self._maker_fee))
        rows = state.balances(conn, for_update=True)
        have = rows.get(asset, Balance(asset, ZERO))
        if have.free < need:
            raise InsufficientFunds(
                f"sim {order.client_id}: needs {need} {asset} free, has {have.free}"
            )
        lock = order.qty * unit
        state.save_balances(conn, {asset: Balance(asset, have.free - lock, have.locked + lock)},
                            rows)  # fmt: skip
        sim = state.insert_order(conn, order, lock_asset=asset, lock_price=unit)
        bar = self._last.get(order.symbol)
        now = (order.type is OrderType.MARKET and self._config.fill_on == "close"
               and self._config.latency_ms == 0 and bar is not None)  # fmt: skip
        if now and bar is not None:
            self._match(conn, sim, bar)
            found = state.get_order(conn, order.client_id)
            assert found is not None  # noqa: S101 - stored above, in this transaction
            sim = found
        return sim.order

    def _find(
        self, conn: Connection, client_id: str, symbol: str, *, for_update: bool = False
    ) -> SimOrder:
        sim = state.get_order(conn, client_id, for_update=for_update)
        if sim is None or sim.order.symbol != symbol:
            raise OrderNotFound(f"sim has no order {client_id} for {symbol}")
        return sim

    # --- matching ------------------------------------------------------------------------------

    def _match(self, conn: Connection, sim: SimOrder, bar: Bar) -> list[Fill]:
        """Apply one bar to one open order through ``fill_order``; store the outcome."""
        order = sim.order
        inst = self._instruments[order.symbol]
        qty = self._bar_quantity(inst, order.remaining, bar)
        fills: list[Fill] = []
        all_or_none = order.tif is TimeInForce.FOK and qty < order.remaining
        if qty > 0 and not all_or_none:
            code, limit_px, stop_px = self._model_type(sim)
            side = fm.BUY if order.side is Side.BUY else fm.SELL
            cash = math.inf
            if order.side is Side.BUY:
                free = state.balances(conn).get(inst.quote, Balance(inst.quote, ZERO)).free
                cash = float(free + qty * sim.lock_price)
            costs = self._config.costs.fill_costs()._replace(
                tick_size=float(inst.price_tick), lot_step=float(inst.qty_step),
                min_notional=0.0, min_qty=0.0,
            )  # fmt: skip
            bar_args = (bar.open, bar.high, bar.low, bar.close)
            result = fm.fill_order(code, side, float(qty), limit_px, stop_px, *bar_args,
                                   bar.volume, costs, cash)  # fmt: skip
            status = int(result[0])
            if status == fm.TRIGGERED:
                sim = replace(sim, triggered=True)
            elif status == fm.FILLED:
                maker = bool(fm.match_price(code, side, limit_px, stop_px, *bar_args)[2])
                fill = self._book_fill(conn, sim, qty, float(result[1]), float(result[2]),
                                       maker, bar)  # fmt: skip
                if fill is not None:
                    fills.append(fill)
                    sim = sim.after_fill(fill)
                if fill is None or fill.qty < qty:  # the cash cap cut it
                    sim = self._close(conn, sim, OrderStatus.EXPIRED, "insufficient funds at fill")
            elif status in (fm.REJECTED_NO_CASH, fm.REJECTED_ZERO_QTY):
                sim = self._close(conn, sim, OrderStatus.EXPIRED, "insufficient funds at fill")
        if order.tif is not TimeInForce.GTC and not sim.order.status.is_final:
            sim = self._close(conn, sim, OrderStatus.EXPIRED, f"{order.tif} not filled in the bar")
        state.save_order(conn, replace(sim, last_bar_ts=bar.ts_ms))
        return fills

    def _model_type(self, sim: SimOrder) -> tuple[int, float, float]:
        """The fill model's order type code, limit and stop price for this order now."""
        order = sim.order
        limit_px = math.nan if order.price is None else float(order.price)
        stop_px = math.nan if order.stop_price is None else float(order.stop_price)
        if order.type is OrderType.MARKET:
            close = self._config.fill_on == "close"
            return int(fm.MARKET_ON_CLOSE if close else fm.MARKET), math.nan, math.nan
        if order.type is OrderType.LIMIT or (order.type is OrderType.STOP_LIMIT and sim.triggered):
            return int(fm.LIMIT), limit_px, math.nan
        if order.type is OrderType.STOP:
            return int(fm.STOP), math.nan, stop_px
        return int(fm.STOP_LIMIT), limit_px, stop_px

    def _bar_quantity(self, inst: Instrument, remaining: Decimal, bar: Bar) -> Decimal:
        """What may fill in this bar: the remainder, capped by ``max_participation``."""
        share = self._config.max_participation
        if share is None:
            return remaining
        cap = inst.snap_qty(to_decimal(share) * to_decimal(bar.volume))
        return min(remaining, cap)

    def _book_fill(
        self,
        conn: Connection,
        sim: SimOrder,
        asked: Decimal,
        model_qty: float,
        model_px: float,
        maker: bool,
        bar: Bar,
    ) -> Fill | None:
        """Turn the fill model's answer into an exact fill and move the balances."""
        order = sim.order
        inst = self._instruments[order.symbol]
        price = to_decimal(model_px).quantize(inst.price_tick)
        qty = min(asked, to_decimal(model_qty).quantize(inst.qty_step))
        rate = self._maker_fee if maker else self._taker_fee
        rows = state.balances(conn, for_update=True)
        quote = rows.get(inst.quote, Balance(inst.quote, ZERO))
        base = rows.get(inst.base, Balance(inst.base, ZERO))
        if order.side is Side.BUY:
            # The cash fill_order was given: the free quote plus this chunk's reservation
            # (what a cut fill does not use is released when the rest expires). Its cap
            # works in floats: never let the exact cost exceed it.
            cash = quote.free + asked * sim.lock_price
            while qty > 0 and qty * price * (1 + rate) > cash:
                qty -= inst.qty_step
        if qty <= 0:
            return None
        notional, release = qty * price, qty * sim.lock_price
        fee = notional * rate
        if order.side is Side.BUY:
            quote = Balance(quote.asset, quote.free + release - notional - fee,
                            quote.locked - release)  # fmt: skip
            base = Balance(base.asset, base.free + qty, base.locked)
        else:
            base = Balance(base.asset, base.free, base.locked - release)
            quote = Balance(quote.asset, quote.free + notional - fee, quote.locked)
        state.save_balances(conn, {quote.asset: quote, base.asset: base}, rows)
        fill = Fill(
            client_id=order.client_id,
            trade_id=f"{order.venue_id}-{sim.fill_count + 1}",
            symbol=order.symbol,
            side=order.side,
            qty=qty,
            price=price,
            fee=fee,
            fee_asset=inst.quote,
            ts_ms=max(bar.ts_ms, order.created_ms),
        )
        state.insert_fill(conn, sim, fill)
        return fill

    def _close(self, conn: Connection, sim: SimOrder, status: OrderStatus, reason: str) -> SimOrder:
        """End an open order (canceled or expired), unlocking what it still reserves."""
        release = sim.reserved
        if release:
            rows = state.balances(conn, for_update=True)
            held = rows[sim.lock_asset]
            freed = Balance(held.asset, held.free + release, held.locked - release)
            state.save_balances(conn, {held.asset: freed}, rows)
        closed = replace(sim, order=sim.order.with_status(status, reason=reason))
        state.save_order(conn, closed)
        return closed


def _first(*values: Decimal | None) -> Decimal | None:
    return next((v for v in values if v is not None), None)


def _same_intent(existing: Order, order: Order) -> Order:
    """The stored order when ``order`` repeats it; :class:`DuplicateOrder` when it differs."""
    keys = ("symbol", "side", "type", "qty", "price", "stop_price")
    differs = [k for k in keys if getattr(existing, k) != getattr(order, k)]
    if differs:
        raise DuplicateOrder(
            f"sim client id {order.client_id} already names another order (differs in {differs})"
        )
    return existing


def make_simulated_gateway(settings: SimSettings) -> SimulatedBroker:
    """The simulator on the store ``settings.database_url`` names (migrated to 0004).

    A new account starts with ``settings.sim_start_balance`` USDT when that
    setting exists, else 10,000 USDT.

    Raises
    ------
    aitrader_core.errors.ConfigError
        The database is not reachable as a URL, or lacks the simulator's tables.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> make_simulated_gateway(SimpleNamespace(database_url="sqlite://"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    aitrader_core.errors.ConfigError: the simulated broker needs the tables ...
    """
    start = getattr(settings, "sim_start_balance", None)
    balances = DEFAULT_START_BALANCES if start is None else {"USDT": to_decimal(start)}
    return SimulatedBroker(make_engine(settings.database_url), start_balances=balances)
