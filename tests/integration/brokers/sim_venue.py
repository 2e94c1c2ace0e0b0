"""The simulated venue for the broker conformance suite: a real store, a replay clock.

The venue's state is the store (SQLite or PostgreSQL) that every
:class:`~aitrader_core.brokers.simulator.SimulatedBroker` it connects shares,
so ``connect()`` is a true restart: a new broker with nothing in memory but
the latest bar, which the (simulated) live feed pushes on connect. The
driver's own hand on the venue is one more broker, without the fault hook, that
fills orders by pushing a bar which reaches their limit, and cancels them.
"""

from __future__ import annotations

from collections import deque
from decimal import Decimal

from sqlalchemy import Engine

from aitrader_core.backtest.config import Costs
from aitrader_core.brokers.base import InvalidOrder, RateLimited, Transient
from aitrader_core.brokers.sim_state import count_orders, get_order
from aitrader_core.brokers.simulator import Request, SimulatedBroker, SimulatorConfig
from aitrader_core.clock import ReplayClock
from aitrader_core.domain.orders import Side
from aitrader_core.store import make_engine, upgrade
from aitrader_core.testing.broker_checks import Fault, Harness

START_MS = 1_700_000_000_000
BAR_MS = 60_000
MARK = Decimal("60741.67")
#: Quote the account starts with: > 10 × BTC/USDT's 5 USDT minimum, 3 × it still tradable.
START_QUOTE = Decimal(1000)
CONFIG = SimulatorConfig(
    costs=Costs(maker_fee=0.001, taker_fee=0.001, slippage_bps=2.0), fill_on="close"
)


class SimVenue:
    """A :class:`~aitrader_core.testing.broker_checks.VenueDriver` for the simulator."""

    symbol = "BTC/USDT"

    def __init__(self, db_url: str, config: SimulatorConfig = CONFIG) -> None:
        self.engine: Engine = make_engine(db_url)
        upgrade(self.engine)
        self.clock = ReplayClock(START_MS)
        self.config = config
        self._faults: deque[Fault] = deque()
        self._lose_answer = False
        self._requests = 0
        self._hand = self._broker(hooked=False)

    # --- the harness ------------------------------------------------------------------------

    def connect(self) -> SimulatedBroker:
        """A fresh broker on the venue (a restart); the feed pushes it the latest bar."""
        broker = self._broker(hooked=True)
        self._push(broker, MARK, MARK, MARK)
        return broker

    def harness(self) -> Harness:
        """This venue with :meth:`connect` as the way to build gateways."""
        return Harness(self, self.connect)

    # --- the VenueDriver protocol -------------------------------------------------------------

    def mark(self) -> Decimal:
        """The close of every bar the feed pushes (until a fill bar reaches a limit)."""
        return MARK

    def fill(self, client_id: str) -> None:
        """Push a bar whose low (buy) or high (sell) reaches the order's limit."""
        with self.engine.connect() as conn:
            sim = get_order(conn, client_id)
        assert sim is not None, f"no order {client_id}"
        limit = sim.order.price
        assert limit is not None, f"{client_id} is not a limit order"
        if sim.order.side is Side.BUY:
            self._push(self._hand, MARK, high=MARK, low=min(limit, MARK))
        else:
            self._push(self._hand, MARK, high=max(limit, MARK), low=MARK)

    def cancel(self, client_id: str) -> None:
        """The venue cancels the order itself."""
        self._hand.cancel(client_id, self.symbol)

    def fail_next_submit(self, fault: Fault) -> None:
        """Queue ``fault`` for the next submission that reaches the venue."""
        self._faults.append(fault)

    def orders_with_client_id(self, client_id: str) -> int:
        """Rows the venue holds with this client id."""
        with self.engine.connect() as conn:
            return count_orders(conn, client_id)

    def requests_seen(self) -> int:
        """Requests that reached the venue through connected gateways."""
        return self._requests

    # --- internals ----------------------------------------------------------------------------

    def _broker(self, *, hooked: bool) -> SimulatedBroker:
        return SimulatedBroker(
            self.engine,
            config=self.config,
            clock=self.clock,
            start_balances={"USDT": START_QUOTE},
            fault_hook=self._hook if hooked else None,
        )

    def _push(self, broker: SimulatedBroker, close: Decimal, high: Decimal, low: Decimal) -> None:
        self.clock.advance(BAR_MS)
        broker.on_bar(self.symbol, self.clock.now_ms(), MARK, high, low, close, 1_000_000)

    def _hook(self, request: Request) -> None:
        if request.stage == "received":
            self._requests += 1
        if request.method != "submit":
            return
        if request.stage == "accepted":
            if self._lose_answer:
                self._lose_answer = False
                raise Transient(f"sim submit {request.client_id}: answer lost (test fault)")
            return
        if not self._faults:
            return
        fault = self._faults.popleft()
        if fault is Fault.REJECT:
            raise InvalidOrder(f"sim submit {request.client_id}: filter failure (test fault)")
        if fault is Fault.RATE_LIMIT:
            raise RateLimited("sim submit: too many requests (test fault)", retry_after_s=1.0)
        if fault is Fault.TIMEOUT:
            raise Transient(f"sim submit {request.client_id}: request lost (test fault)")
        self._lose_answer = True  # TIMEOUT_AFTER_ACCEPT: the order is placed, the answer lost
