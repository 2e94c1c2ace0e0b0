"""Prometheus metrics of the order path (in the process' one registry).

Every call to a venue's ``submit`` is timed and counted once by its outcome;
every order the risk guard denies is counted by the rule that denied it. The
label values known in advance are created at import, so each order path is in
``/metrics`` (at 0) before its first order.
"""

from __future__ import annotations

import time

from prometheus_client import Counter, Histogram

from aitrader_core.brokers.base import (
    BrokerError,
    BrokerGateway,
    InsufficientFunds,
    InvalidOrder,
    RateLimited,
    Transient,
)
from aitrader_core.domain.orders import Order, OrderStatus
from aitrader_core.observability import REGISTRY

VENUES = ("sim", "binance")
"""Venue names of the shipped gateways (``BrokerGateway.name``)."""
OUTCOMES = ("accepted", "rejected", "rate_limited", "transient", "unknown", "error")
"""Outcomes of one submit call, see :func:`submit_outcome`."""
RULES = (
    "input",
    "kill_switch",
    "strategy_disabled",
    "max_order_notional",
    "equity",
    "max_daily_loss",
    "max_trades_per_day",
    "strategy_max_daily_trades",
    "stop_required",
    "max_risk_per_trade",
    "max_symbol_exposure",
    "max_gross_exposure",
    "max_open_positions",
)
"""Rules the :class:`~aitrader_core.risk.RiskGuard` denies by (its ``Decision.rule``)."""

ORDERS = Counter(
    "aitrader_orders_total",
    "Order submissions to a venue, one per submit call, by venue and outcome: accepted, "
    "rejected (refused by the venue), rate_limited (retried after a wait), transient "
    "(outcome unknown: resolved by client id), unknown (another venue error: the order is "
    "left unknown), error (not a venue error: a bug or configuration).",
    ["venue", "outcome"],
    registry=REGISTRY,
)
SUBMIT_SECONDS = Histogram(
    "aitrader_order_submit_seconds",
    "Time a venue took to answer one order submission, whatever the answer, by venue.",
    ["venue"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=REGISTRY,
)
RISK_DENIALS = Counter(
    "aitrader_risk_denials_total",
    "Orders denied by the risk guard before reaching a venue, by the rule that denied them.",
    ["rule"],
    registry=REGISTRY,
)

for _venue in VENUES:
    SUBMIT_SECONDS.labels(_venue)
    for _outcome in OUTCOMES:
        ORDERS.labels(_venue, _outcome)
for _rule in RULES:
    RISK_DENIALS.labels(_rule)


def submit_outcome(result: Order | BaseException) -> str:
    """The ``outcome`` label of one submit call: the venue's order or what it raised.

    Examples
    --------
    >>> submit_outcome(RateLimited("429")), submit_outcome(Transient("timeout"))
    ('rate_limited', 'transient')
    >>> submit_outcome(InvalidOrder("min notional")), submit_outcome(KeyError("x"))
    ('rejected', 'error')
    """
    if isinstance(result, Order):
        return "rejected" if result.status is OrderStatus.REJECTED else "accepted"
    if isinstance(result, RateLimited):
        return "rate_limited"
    if isinstance(result, Transient):
        return "transient"
    if isinstance(result, InsufficientFunds | InvalidOrder):
        return "rejected"
    if isinstance(result, BrokerError):
        return "unknown"
    return "error"


def observed_submit(gateway: BrokerGateway, order: Order) -> Order:
    """``gateway.submit(order)``, timed and counted by outcome; raises what it raises.

    Examples
    --------
    >>> from decimal import Decimal
    >>> from aitrader_core.domain.orders import OrderType, Side
    >>> from aitrader_core.observability import sample
    >>> class Venue:
    ...     name = "sim"
    ...     def submit(self, order):
    ...         return order.with_status(OrderStatus.OPEN)
    >>> order = Order("ait-1", "BTC/USDT", Side.BUY, OrderType.LIMIT, Decimal("0.1"),
    ...               Decimal("20000"))
    >>> before = sample("aitrader_orders_total", {"venue": "sim", "outcome": "accepted"})
    >>> observed_submit(Venue(), order).status
    <OrderStatus.OPEN: 'open'>
    >>> sample("aitrader_orders_total", {"venue": "sim", "outcome": "accepted"}) - before
    1.0
    """
    started = time.perf_counter()
    result: Order | BaseException
    try:
        result = gateway.submit(order)
    except BaseException as exc:
        result = exc
        raise
    finally:
        SUBMIT_SECONDS.labels(gateway.name).observe(time.perf_counter() - started)
        ORDERS.labels(gateway.name, submit_outcome(result)).inc()
    return result
