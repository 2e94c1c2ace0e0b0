"""One conformance suite that every :class:`~aitrader_core.brokers.base.BrokerGateway` passes.

In the spirit of river's ``check_estimator``: a gateway (Binance through ccxt
replaying recorded answers, the simulator, a future venue) is plugged in with
a :class:`Harness`, and every check in :data:`CHECKS` runs against a fresh one.

A harness pairs a way to build gateways with a :class:`VenueDriver`: the test's
hand on the venue, to fill or cancel resting orders, to make the next order
submission fail like the real venue would, and to count what reached it.

Use it from pytest, one test per check::

    @pytest.mark.parametrize("check", CHECKS, ids=str)
    def test_conformance(check: Check) -> None:
        check(make_harness())

or all at once with :func:`run_conformance`.

What a venue driver must offer (see :class:`VenueDriver`):

* a ``symbol`` the venue trades, a ``mark`` price, and an account holding
  quote worth at least ten times the symbol's minimum notional (but little
  enough that three times it is still an order size the venue takes) and
  none of the symbol's base asset;
* ``fill(client_id)`` / ``cancel(client_id)``: the venue fills (at the limit
  price) or cancels a resting order on its own;
* ``fail_next_submit(fault)``: the next order submission that reaches the
  venue fails as :class:`Fault` says;
* ``orders_with_client_id(client_id)``: how many orders the venue holds with
  that client id (over their whole life, final ones too);
* ``requests_seen()``: how many requests reached the venue so far.

Examples
--------
>>> len(CHECKS), CHECKS[0].name, CHECKS[1].doc.split(":")[0]
(18, 'instruments_carry_precision', 'A limit 10 % off the mark rests')
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_UP, Decimal
from enum import StrEnum
from typing import Protocol

from aitrader_core.brokers.base import (
    BrokerError,
    BrokerGateway,
    InsufficientFunds,
    InvalidOrder,
    OrderNotFound,
    RateLimited,
    Transient,
)
from aitrader_core.domain.money import Instrument
from aitrader_core.domain.orders import Order, OrderStatus, OrderType, Side, client_order_id
from aitrader_core.errors import AITraderError


class Fault(StrEnum):
    """How the venue fails the next order submission."""

    REJECT = "reject"
    """Refused as invalid by a venue rule the gateway cannot check (a filter failure)."""
    RATE_LIMIT = "rate_limit"
    """Refused for too many requests; nothing executed."""
    TIMEOUT = "timeout"
    """The request is lost before the venue sees it; the caller gets a timeout."""
    TIMEOUT_AFTER_ACCEPT = "timeout_after_accept"
    """The venue accepts the order, then the answer is lost; the caller gets a timeout."""


class VenueDriver(Protocol):
    """The test's hand on the venue behind a gateway."""

    @property
    def symbol(self) -> str:
        """A symbol the venue trades, in ccxt's unified form."""
        ...

    def mark(self) -> Decimal:
        """The price market orders fill near; limit orders 10 % away rest."""
        ...

    def fill(self, client_id: str) -> None:
        """Fill the resting order with this client id completely, at its limit price."""
        ...

    def cancel(self, client_id: str) -> None:
        """Cancel the resting order with this client id, as the venue itself would."""
        ...

    def fail_next_submit(self, fault: Fault) -> None:
        """Make the next order submission that reaches the venue fail this way."""
        ...

    def orders_with_client_id(self, client_id: str) -> int:
        """How many orders the venue holds (or held) with this client id."""
        ...

    def requests_seen(self) -> int:
        """How many requests have reached the venue."""
        ...


@dataclass(frozen=True)
class Harness:
    """A venue and a way to build gateways on it.

    ``connect()`` returns a *new* gateway on the same venue each call: a second
    call is a process restart, with nothing remembered but what the venue holds.
    """

    venue: VenueDriver
    connect: Callable[[], BrokerGateway]


@dataclass(frozen=True)
class Check:
    """One named conformance check; call it with a fresh :class:`Harness`."""

    name: str
    run: Callable[[Harness], None] = field(repr=False)

    def __call__(self, harness: Harness) -> None:
        self.run(harness)

    def __str__(self) -> str:
        return self.name

    @property
    def doc(self) -> str:
        """What the check asserts (its function's docstring)."""
        return (self.run.__doc__ or "").strip()


# --- helpers ---------------------------------------------------------------------------------


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def _raises(error: type[BrokerError], call: Callable[[], object], what: str) -> BrokerError:
    try:
        call()
    except error as exc:
        return exc
    except BrokerError as exc:
        raise AssertionError(f"{what}: expected {error.__name__}, got {exc!r}") from exc
    raise AssertionError(f"{what}: expected {error.__name__}, nothing was raised")


def _cid(tag: str, n: int = 0) -> str:
    return client_order_id("conformance", tag, n)


def _instrument(gw: BrokerGateway, venue: VenueDriver) -> Instrument:
    instruments = gw.instruments()
    _expect(venue.symbol in instruments, f"instruments() lacks {venue.symbol}: {list(instruments)}")
    return instruments[venue.symbol]


def _qty_for(inst: Instrument, price: Decimal, notional_factor: Decimal = Decimal(2)) -> Decimal:
    """The smallest lot-multiple quantity worth ``notional_factor`` × the minimum notional."""
    target = max(inst.min_notional, Decimal(1)) * notional_factor / price
    qty = inst.snap_qty(target)
    if qty < target and inst.qty_step > 0:
        qty = (
            (target / inst.qty_step).to_integral_value(rounding=ROUND_UP) * inst.qty_step
        ).quantize(inst.qty_step)
    return max(qty, inst.min_qty)


def _resting_buy(gw: BrokerGateway, venue: VenueDriver, tag: str, n: int = 0) -> Order:
    """A limit buy 10 % under the mark: it rests."""
    inst = _instrument(gw, venue)
    price = inst.snap_price(venue.mark() * Decimal("0.9"), side="buy")
    return Order(
        _cid(tag, n), venue.symbol, Side.BUY, OrderType.LIMIT, _qty_for(inst, price), price
    )


def _market_buy(gw: BrokerGateway, venue: VenueDriver, tag: str, n: int = 0) -> Order:
    inst = _instrument(gw, venue)
    qty = _qty_for(inst, venue.mark())
    return Order(_cid(tag, n), venue.symbol, Side.BUY, OrderType.MARKET, qty)


def _ids(orders: Iterable[Order]) -> list[str]:
    return [o.client_id for o in orders]


# --- checks ----------------------------------------------------------------------------------


def instruments_carry_precision(h: Harness) -> None:
    """Instruments load with a positive tick and lot step, Decimal minimums, matching names."""
    gw = h.connect()
    inst = _instrument(gw, h.venue)
    _expect(inst.symbol == h.venue.symbol, f"instrument keyed {h.venue.symbol} is {inst.symbol}")
    _expect(f"{inst.base}/{inst.quote}" == inst.symbol, f"base/quote do not make {inst.symbol}")
    for name in ("price_tick", "qty_step", "min_qty", "min_notional"):
        value = getattr(inst, name)
        _expect(isinstance(value, Decimal), f"{name} is {type(value).__name__}, not Decimal")
        _expect(value >= 0, f"{name} is negative: {value}")
    _expect(inst.price_tick > 0 and inst.qty_step > 0, f"tick/step must be positive: {inst}")


def limit_order_rests_then_cancels(h: Harness) -> None:
    """A limit 10 % off the mark rests: OPEN, listed, fetchable; cancel makes it CANCELED."""
    gw = h.connect()
    order = _resting_buy(gw, h.venue, "rest")
    placed = gw.submit(order)
    _expect(placed.status is OrderStatus.OPEN, f"resting limit is {placed.status}, not open")
    _expect(placed.client_id == order.client_id, f"client id came back {placed.client_id}")
    _expect(bool(placed.venue_id), "no venue_id on an acknowledged order")
    _expect(placed.filled_qty == 0, f"a resting order shows {placed.filled_qty} filled")
    _expect(order.client_id in _ids(gw.open_orders(h.venue.symbol)), "not in open_orders(symbol)")
    _expect(order.client_id in _ids(gw.open_orders()), "not in open_orders()")
    fetched = gw.fetch_order(order.client_id, h.venue.symbol)
    _expect(fetched.venue_id == placed.venue_id, "fetch_order found another order")
    _expect(fetched.qty == order.qty and fetched.price == order.price, f"fetched {fetched}")
    canceled = gw.cancel(order.client_id, h.venue.symbol)
    _expect(canceled.status is OrderStatus.CANCELED, f"cancel returned {canceled.status}")
    _expect(canceled.client_id == order.client_id, f"cancel names {canceled.client_id}")
    _expect(order.client_id not in _ids(gw.open_orders(h.venue.symbol)), "still open")
    again = gw.cancel(order.client_id, h.venue.symbol)
    _expect(again.status is OrderStatus.CANCELED, f"a second cancel returned {again.status}")
    status = gw.fetch_order(order.client_id, h.venue.symbol).status
    _expect(status is OrderStatus.CANCELED, f"fetch after cancel is {status}")


def same_client_id_twice_is_one_order(h: Harness) -> None:
    """Submitting one client id twice, then again after a restart, leaves one order at the venue."""
    gw = h.connect()
    order = _resting_buy(gw, h.venue, "twice")
    first = gw.submit(order)
    second = gw.submit(order)
    _expect(second.venue_id == first.venue_id, f"second submit made {second.venue_id}")
    third = h.connect().submit(order)  # a restarted process, nothing remembered
    _expect(third.venue_id == first.venue_id, f"submit after restart made {third.venue_id}")
    count = h.venue.orders_with_client_id(order.client_id)
    _expect(count == 1, f"the venue holds {count} orders with one client id")
    listed = _ids(gw.open_orders(h.venue.symbol)).count(order.client_id)
    _expect(listed == 1, f"open_orders lists the client id {listed} times")


def filled_order_is_not_traded_again(h: Harness) -> None:
    """Resubmitting a filled order's client id (also after a restart) does not trade again."""
    gw = h.connect()
    order = _market_buy(gw, h.venue, "refill")
    first = gw.submit(order)
    _expect(first.status is OrderStatus.FILLED, f"market order is {first.status}")
    for again in (gw.submit(order), h.connect().submit(order)):
        _expect(again.venue_id == first.venue_id, f"resubmit made {again.venue_id}")
        _expect(again.status is OrderStatus.FILLED, f"resubmit returned {again.status}")
    count = h.venue.orders_with_client_id(order.client_id)
    _expect(count == 1, f"the venue holds {count} orders with one client id")


def market_order_fills_and_reports_fills(h: Harness) -> None:
    """A market buy comes back FILLED and its fills, tied to its client id, sum to its quantity."""
    gw = h.connect()
    order = _market_buy(gw, h.venue, "market")
    filled = gw.submit(order)
    _expect(filled.status is OrderStatus.FILLED, f"market order is {filled.status}")
    _expect(filled.filled_qty == order.qty, f"filled {filled.filled_qty} of {order.qty}")
    _expect(filled.avg_price is not None and filled.avg_price > 0, f"avg {filled.avg_price}")
    _expect(filled.price is None, f"a market order reports a limit price {filled.price}")
    fills = [f for f in gw.fills_since(0, h.venue.symbol) if f.client_id == order.client_id]
    _expect(bool(fills), "fills_since has no fill for the market order")
    _expect(sum(f.qty for f in fills) == order.qty, f"fills sum to {sum(f.qty for f in fills)}")
    for f in fills:
        _expect(f.side is Side.BUY and f.symbol == h.venue.symbol, f"fill {f}")
        for name in ("qty", "price", "fee"):
            _expect(isinstance(getattr(f, name), Decimal), f"fill {name} is not Decimal")
        _expect(f.ts_ms > 0 and bool(f.trade_id), f"fill lacks time or id: {f}")
    later = gw.fills_since(max(f.ts_ms for f in fills) + 1, h.venue.symbol)
    _expect(order.client_id not in [f.client_id for f in later], "fills_since ignores since_ms")


def venue_fill_of_resting_order_is_seen(h: Harness) -> None:
    """When the venue fills a resting order, fetch_order says FILLED and fills_since has it."""
    gw = h.connect()
    order = _resting_buy(gw, h.venue, "venuefill")
    gw.submit(order)
    h.venue.fill(order.client_id)
    fetched = gw.fetch_order(order.client_id, h.venue.symbol)
    _expect(fetched.status is OrderStatus.FILLED, f"after the venue's fill: {fetched.status}")
    _expect(fetched.avg_price == order.price, f"filled at {fetched.avg_price}, not {order.price}")
    fills = [f for f in gw.fills_since(0, h.venue.symbol) if f.client_id == order.client_id]
    _expect(sum(f.qty for f in fills) == order.qty, f"fills {fills}")
    _expect(order.client_id not in _ids(gw.open_orders()), "a filled order is still open")


def venue_cancel_is_seen(h: Harness) -> None:
    """When the venue cancels a resting order, fetch_order says CANCELED and cancel() agrees."""
    gw = h.connect()
    order = _resting_buy(gw, h.venue, "venuecancel")
    gw.submit(order)
    h.venue.cancel(order.client_id)
    status = gw.fetch_order(order.client_id, h.venue.symbol).status
    _expect(status is OrderStatus.CANCELED, f"after the venue's cancel: {status}")
    status = gw.cancel(order.client_id, h.venue.symbol).status
    _expect(status is OrderStatus.CANCELED, f"cancel() of a canceled order: {status}")


def unknown_client_id_is_not_found(h: Harness) -> None:
    """An unknown client id: fetch_order and cancel raise OrderNotFound, resolve returns None."""
    gw = h.connect()
    _instrument(gw, h.venue)
    cid = _cid("never-sent")
    _raises(OrderNotFound, lambda: gw.fetch_order(cid, h.venue.symbol), "fetch_order")
    _raises(OrderNotFound, lambda: gw.cancel(cid, h.venue.symbol), "cancel")
    _expect(gw.resolve(cid, h.venue.symbol) is None, "resolve found an order never sent")


def balances_are_decimal(h: Harness) -> None:
    """Balances are keyed by asset, Decimal, non-negative; a resting buy locks quote."""
    gw = h.connect()
    inst = _instrument(gw, h.venue)
    before = gw.balances()
    _expect(inst.quote in before, f"no {inst.quote} balance: {sorted(before)}")
    for asset, b in before.items():
        _expect(b.asset == asset, f"balance keyed {asset} is for {b.asset}")
        _expect(isinstance(b.free, Decimal) and isinstance(b.locked, Decimal), f"{b}")
        _expect(b.free >= 0 and b.locked >= 0, f"negative balance {b}")
    order = _resting_buy(gw, h.venue, "lock")
    gw.submit(order)
    after = gw.balances()[inst.quote]
    locked = after.locked - before[inst.quote].locked
    cost = order.qty * (order.price or 0)
    _expect(locked == cost, f"resting buy locked {locked} {inst.quote}, not {cost}")
    _expect(after.total == before[inst.quote].total, "placing an order changed the quote total")


def positions_come_from_balances(h: Harness) -> None:
    """After a market buy the symbol's position is long the base balance; the quote is cash."""
    gw = h.connect()
    inst = _instrument(gw, h.venue)
    order = _market_buy(gw, h.venue, "position")
    gw.submit(order)
    positions = gw.positions()
    _expect(inst.symbol in positions, f"no position in {inst.symbol}: {positions}")
    position = positions[inst.symbol]
    base = gw.balances()[inst.base].total
    _expect(position.qty == base, f"position {position.qty} != {inst.base} balance {base}")
    _expect(0 < position.qty <= order.qty, f"position {position.qty} after buying {order.qty}")
    _expect(position.avg_entry >= 0, f"avg_entry {position.avg_entry}")
    _expect(all(p.qty != 0 for p in positions.values()), "a zero position is listed")


def ping_answers(h: Harness) -> None:
    """ping() is True when the venue answers."""
    _expect(h.connect().ping() is True, "ping() is not True")


def insufficient_funds_is_refused(h: Harness) -> None:
    """A buy costing three times the free quote raises InsufficientFunds and places nothing."""
    gw = h.connect()
    inst = _instrument(gw, h.venue)
    free = gw.balances()[inst.quote].free
    price = inst.snap_price(h.venue.mark() * Decimal("0.9"), side="buy")
    qty = max(inst.snap_qty(free * 3 / price), _qty_for(inst, price))
    order = Order(_cid("broke"), h.venue.symbol, Side.BUY, OrderType.LIMIT, qty, price)
    _raises(InsufficientFunds, lambda: gw.submit(order), "an unaffordable buy")
    _expect(gw.resolve(order.client_id, h.venue.symbol) is None, "a refused order exists")


def venue_rejection_is_invalid_order(h: Harness) -> None:
    """An order the venue refuses under its own rules raises InvalidOrder, and nothing rests."""
    gw = h.connect()
    order = _resting_buy(gw, h.venue, "rejected")
    h.venue.fail_next_submit(Fault.REJECT)
    _raises(InvalidOrder, lambda: gw.submit(order), "a venue rejection")
    _expect(order.client_id not in _ids(gw.open_orders()), "a rejected order is open")


def rate_limit_is_rate_limited(h: Harness) -> None:
    """Too many requests raises RateLimited; the same order later is placed exactly once."""
    gw = h.connect()
    order = _resting_buy(gw, h.venue, "throttled")
    h.venue.fail_next_submit(Fault.RATE_LIMIT)
    _raises(RateLimited, lambda: gw.submit(order), "a rate-limited submit")
    placed = gw.submit(order)
    _expect(placed.status is OrderStatus.OPEN, f"after the rate limit: {placed.status}")
    count = h.venue.orders_with_client_id(order.client_id)
    _expect(count == 1, f"the venue holds {count} orders")


def lost_request_resolves_to_nothing(h: Harness) -> None:
    """A submit lost on the way raises Transient; resolve says None; the retry places one order."""
    gw = h.connect()
    order = _resting_buy(gw, h.venue, "lost")
    h.venue.fail_next_submit(Fault.TIMEOUT)
    _raises(Transient, lambda: gw.submit(order), "a timed-out submit")
    _expect(gw.resolve(order.client_id, h.venue.symbol) is None, "resolve found a lost order")
    placed = gw.submit(order)
    _expect(placed.status is OrderStatus.OPEN, f"retry gave {placed.status}")
    count = h.venue.orders_with_client_id(order.client_id)
    _expect(count == 1, f"the venue holds {count} orders")


def lost_answer_resolves_to_the_order(h: Harness) -> None:
    """A submit whose answer is lost raises Transient; resolve finds it; a retry reuses it."""
    gw = h.connect()
    order = _resting_buy(gw, h.venue, "accepted")
    h.venue.fail_next_submit(Fault.TIMEOUT_AFTER_ACCEPT)
    _raises(Transient, lambda: gw.submit(order), "a submit whose answer is lost")
    found = gw.resolve(order.client_id, h.venue.symbol)
    if found is None or found.status is not OrderStatus.OPEN:
        raise AssertionError(f"resolve gave {found}")
    again = gw.submit(order)
    _expect(again.venue_id == found.venue_id, f"retry made {again.venue_id}")
    again = h.connect().submit(order)
    _expect(again.venue_id == found.venue_id, f"retry after restart made {again.venue_id}")
    count = h.venue.orders_with_client_id(order.client_id)
    _expect(count == 1, f"the venue holds {count} orders")


def amounts_are_snapped(h: Harness) -> None:
    """Quantity and prices off the lot/tick are snapped: qty down, buy price down, sell price up."""
    gw = h.connect()
    inst = _instrument(gw, h.venue)
    mark = h.venue.mark()
    funding = Order(_cid("snap-funding"), h.venue.symbol, Side.BUY, OrderType.MARKET,
                    _qty_for(inst, mark, Decimal(4)))  # fmt: skip
    gw.submit(funding)  # base to sell
    for n, (side, factor) in enumerate(((Side.BUY, "0.9"), (Side.SELL, "1.1"))):
        raw_price = mark * Decimal(factor) + inst.price_tick * Decimal("0.37")
        qty = _qty_for(inst, raw_price, Decimal("1.5")) + inst.qty_step * Decimal("0.61")
        order = Order(_cid("snap", n), h.venue.symbol, side, OrderType.LIMIT, qty, raw_price)
        placed = gw.submit(order)
        want_price = inst.snap_price(raw_price, side=side.value)
        _expect(placed.qty == inst.snap_qty(qty), f"{side} qty {placed.qty} from {qty}")
        _expect(placed.price == want_price, f"{side} price {placed.price}, want {want_price}")
        seen = gw.fetch_order(order.client_id, h.venue.symbol)
        _expect((seen.qty, seen.price) == (placed.qty, placed.price), f"venue holds {seen}")
        _expect(inst.check_order(seen.qty, want_price) is None, "snapped order breaks rules")


def below_minimums_never_leave(h: Harness) -> None:
    """Orders under the minimum notional, snapping to nothing or missing a price raise InvalidOrder.

    None of them may cause a single request to the venue.
    """
    gw = h.connect()
    inst = _instrument(gw, h.venue)
    price = inst.snap_price(h.venue.mark() * Decimal("0.9"), side="buy")
    one_lot = max(inst.qty_step, inst.min_qty)
    _expect(one_lot * price < inst.min_notional, "premise: one lot must be below min notional")
    symbol = h.venue.symbol
    cases = [
        Order(_cid("tiny", 0), symbol, Side.BUY, OrderType.LIMIT, one_lot, price),
        Order(_cid("tiny", 1), symbol, Side.BUY, OrderType.LIMIT, inst.qty_step / 3, price),
        Order(_cid("tiny", 2), symbol, Side.BUY, OrderType.LIMIT, _qty_for(inst, price)),
    ]
    seen = h.venue.requests_seen()
    for order in cases:
        _raises(InvalidOrder, functools.partial(gw.submit, order), f"submit {order}")
    _expect(h.venue.requests_seen() == seen, f"{h.venue.requests_seen() - seen} request(s) sent")


CHECKS: tuple[Check, ...] = tuple(
    Check(fn.__name__, fn)
    for fn in (
        instruments_carry_precision,
        limit_order_rests_then_cancels,
        same_client_id_twice_is_one_order,
        filled_order_is_not_traded_again,
        market_order_fills_and_reports_fills,
        venue_fill_of_resting_order_is_seen,
        venue_cancel_is_seen,
        unknown_client_id_is_not_found,
        balances_are_decimal,
        positions_come_from_balances,
        ping_answers,
        insufficient_funds_is_refused,
        venue_rejection_is_invalid_order,
        rate_limit_is_rate_limited,
        lost_request_resolves_to_nothing,
        lost_answer_resolves_to_the_order,
        amounts_are_snapped,
        below_minimums_never_leave,
    )
)
"""Every conformance check, in a stable order."""


def run_conformance(
    make_harness: Callable[[], Harness], *, checks: Iterable[Check] = CHECKS
) -> list[str]:
    """Run ``checks``, each on a fresh harness; return their names or raise listing failures.

    Raises
    ------
    AssertionError
        One or more checks failed; the message names each with its reason.
    """
    passed: list[str] = []
    failed: list[str] = []
    for check in checks:
        try:
            check(make_harness())
        except (AssertionError, AITraderError) as exc:
            failed.append(f"{check.name}: {type(exc).__name__}: {exc}")
        else:
            passed.append(check.name)
    if failed:
        raise AssertionError(f"{len(failed)} conformance check(s) failed:\n" + "\n".join(failed))
    return passed
