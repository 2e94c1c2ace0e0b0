"""Journal first, then act: the one path every live order takes to the venue.

For each order :class:`OrderExecutor` asks the risk guard and journals the
``decision`` (a denial is journaled with its rule and reason, stored as a
rejected order, and goes no further); an allowed order is journaled as an
``intent`` *before* it is submitted with its idempotent client id, and the
venue's answer is journaled as an ``order`` record and stored.

Errors follow the gateway's contract (:mod:`aitrader_core.brokers.base`):
``RateLimited`` waits ``retry_after_s`` (or the back-off) and tries again;
``Transient`` makes the outcome unknown, so the order is *resolved* by client
id before anything else (adopted if the venue has it, submitted again with the
same id only if it does not); ``InsufficientFunds`` and ``InvalidOrder`` reject
the order without a retry. When the attempts run out the order is stored as
``unknown`` and the next bar or sync resolves it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from aitrader_core.brokers.base import (
    BrokerError,
    BrokerGateway,
    InsufficientFunds,
    InvalidOrder,
    OrderNotFound,
    RateLimited,
    Transient,
)
from aitrader_core.compliance.journal import Journal
from aitrader_core.domain.orders import Order, OrderStatus
from aitrader_core.live.crash import crashpoint
from aitrader_core.live.metrics import RISK_DENIALS, observed_submit
from aitrader_core.live.models import RetryPolicy
from aitrader_core.live.state import LiveOrder, LiveStateRepository
from aitrader_core.risk import Proposal, RiskGuard, RiskState

log = logging.getLogger(__name__)

Sleeper = Callable[[float], None]
_UNSETTLED = (OrderStatus.PENDING, OrderStatus.UNKNOWN)


def _describe(live: LiveOrder) -> dict[str, Any]:
    o = live.order
    return {
        "client_id": o.client_id, "strategy": live.strategy, "role": live.role,
        "parent_id": live.parent_id, "symbol": o.symbol, "side": o.side, "type": o.type,
        "qty": o.qty, "price": o.price, "stop_price": o.stop_price, "tif": o.tif,
        "bar_ts": live.bar_ts,
    }  # fmt: skip


class OrderExecutor:
    """Guard, journal, submit (with retries and resolution), store: one order at a time."""

    def __init__(
        self,
        gateway: BrokerGateway,
        journal: Journal,
        state: LiveStateRepository,
        retry: RetryPolicy,
        sleep: Sleeper,
    ) -> None:
        self.gateway = gateway
        self.journal = journal
        self.state = state
        self.retry = retry
        self.sleep = sleep

    # --- placing ---------------------------------------------------------------------------------

    def place(
        self,
        live: LiveOrder,
        proposal: Proposal,
        risk: RiskState,
        guard: RiskGuard,
        *,
        actor: str,
    ) -> LiveOrder:
        """Take ``live`` through the guard, the journal and the venue; return where it ended.

        A client id the store already holds is not decided again: a settled
        order is returned as it is, a pending or unknown one is resolved (and
        submitted only if the venue never took it). That makes a re-delivered
        bar, or a restart in the middle of one, harmless.
        """
        existing = self.state.get_order(live.client_id)
        if existing is not None:
            if existing.status in _UNSETTLED:
                return self.settle(existing, resubmit=True, actor=actor)
            return existing
        decision = guard.check(proposal, risk)
        self.journal.append(
            "decision",
            {
                **_describe(live),
                "allowed": decision.allowed,
                "rule": decision.rule,
                "reason": decision.reason,
                "mark": proposal.price,
                "risk_stop": proposal.stop_price,
            },
            actor=actor,
        )
        if not decision.allowed:
            RISK_DENIALS.labels(decision.rule).inc()
            denied = live.order.with_status(
                OrderStatus.REJECTED, reason=f"denied by {decision.rule}: {decision.reason}"
            )
            return self.state.save_order(replace(live, order=denied))
        self.journal.append("intent", _describe(live), actor=actor)
        crashpoint("after_intent")
        pending = self.state.save_order(live)
        crashpoint("before_submit")
        return self._submit(pending, actor=actor)

    def settle(self, live: LiveOrder, *, resubmit: bool, actor: str) -> LiveOrder:
        """Resolve a pending or unknown order by its client id, never by a blind resubmit.

        Found at the venue: adopted. Not found: submitted again with the same
        id when ``resubmit``, else rejected as never placed. Still unanswered:
        left unknown for the next try.
        """
        try:
            found = self.gateway.resolve(live.client_id, live.order.symbol)
        except (Transient, RateLimited) as exc:
            log.warning("resolving %s failed: %s", live.client_id, exc)
            return self._unknown(live, f"resolve failed: {exc}", attempts=1, actor=actor)
        if found is not None:
            return self._outcome(live, found, attempts=1, actor=actor)
        if resubmit:
            return self._submit(live, actor=actor)
        why = "the venue never took it (outcome was unknown); not resubmitted"
        lost = replace(live.order, status=OrderStatus.REJECTED, reason=why)
        return self._record(replace(live, order=lost), attempts=1, actor=actor)

    def _submit(self, live: LiveOrder, *, actor: str) -> LiveOrder:
        order = replace(live.order, status=OrderStatus.PENDING, reason="")
        must_resolve = False
        problem = ""
        for attempt in range(1, self.retry.max_attempts + 1):
            if must_resolve:
                try:
                    found = self.gateway.resolve(order.client_id, order.symbol)
                except (Transient, RateLimited) as exc:
                    problem = f"resolve: {exc}"
                    self._wait(exc, attempt)
                    continue
                if found is not None:
                    return self._outcome(live, found, attempts=attempt, actor=actor)
                must_resolve = False  # the venue never took it: the same id cannot duplicate
            try:
                placed = observed_submit(self.gateway, order)  # timed, counted by outcome
            except RateLimited as exc:
                problem = f"rate limited: {exc}"
                self._wait(exc, attempt)
                continue
            except Transient as exc:
                problem = f"outcome unknown: {exc}"
                must_resolve = True
                try:  # at once: the order may well be there
                    found = self.gateway.resolve(order.client_id, order.symbol)
                except (Transient, RateLimited):
                    found = None
                else:
                    if found is None:
                        must_resolve = False
                if found is not None:
                    return self._outcome(live, found, attempts=attempt, actor=actor)
                self._wait(exc, attempt)
                continue
            except (InsufficientFunds, InvalidOrder) as exc:
                rejected = replace(order, status=OrderStatus.REJECTED,
                                   reason=f"{type(exc).__name__}: {exc}")  # fmt: skip
                return self._record(replace(live, order=rejected), attempts=attempt, actor=actor)
            except BrokerError as exc:  # UnknownBrokerError and the like: an operator's call
                log.error("submit %s: %s", order.client_id, exc)
                return self._unknown(live, f"{type(exc).__name__}: {exc}", attempt, actor=actor)
            crashpoint("after_submit")
            return self._outcome(live, placed, attempts=attempt, actor=actor)
        return self._unknown(live, f"gave up after {self.retry.max_attempts} attempts: {problem}",
                             self.retry.max_attempts, actor=actor)  # fmt: skip

    def _wait(self, exc: BrokerError, attempt: int) -> None:
        if attempt >= self.retry.max_attempts:
            return
        delay = self.retry.delay(attempt)
        if isinstance(exc, RateLimited) and exc.retry_after_s is not None:
            delay = max(delay, exc.retry_after_s)
        self.sleep(delay)

    # --- cancelling and refreshing ---------------------------------------------------------------

    def cancel(self, live: LiveOrder, *, reason: str, actor: str) -> LiveOrder:
        """Journal the cancel request, cancel at the venue (retrying: cancels are idempotent)."""
        self.journal.append("cancel", {"client_id": live.client_id, "symbol": live.order.symbol,
                                       "reason": reason}, actor=actor)  # fmt: skip
        problem = ""
        for attempt in range(1, self.retry.max_attempts + 1):
            try:
                venue = self.gateway.cancel(live.client_id, live.order.symbol)
            except OrderNotFound:
                if live.status in _UNSETTLED:
                    return self.settle(live, resubmit=False, actor=actor)
                return live
            except (Transient, RateLimited) as exc:
                problem = str(exc)
                self._wait(exc, attempt)
                continue
            except BrokerError as exc:
                problem = str(exc)
                break
            return self._outcome(live, venue, attempts=attempt, actor=actor)
        log.error("cancel %s failed: %s", live.client_id, problem)
        return live

    def refresh(self, live: LiveOrder, *, actor: str) -> LiveOrder:
        """The venue's current view of an open order (stored and journaled when it changed)."""
        try:
            venue = self.gateway.fetch_order(live.client_id, live.order.symbol)
        except OrderNotFound:
            return self.settle(live, resubmit=False, actor=actor)
        except (Transient, RateLimited) as exc:
            log.warning("refreshing %s failed: %s", live.client_id, exc)
            return live
        same = (venue.status, venue.filled_qty) == (live.status, live.order.filled_qty)
        if same:
            return live
        return self._outcome(live, venue, attempts=1, actor=actor)

    # --- outcomes --------------------------------------------------------------------------------

    def _outcome(self, live: LiveOrder, venue: Order, *, attempts: int, actor: str) -> LiveOrder:
        """Adopt the venue's view of the order (the venue is the truth about its orders)."""
        merged = replace(live.order, status=venue.status, filled_qty=venue.filled_qty,
                         avg_price=venue.avg_price, venue_id=venue.venue_id,
                         reason=venue.reason, qty=venue.qty, price=venue.price,
                         stop_price=venue.stop_price)  # fmt: skip
        return self._record(replace(live, order=merged), attempts=attempts, actor=actor)

    def _unknown(self, live: LiveOrder, reason: str, attempts: int, *, actor: str) -> LiveOrder:
        lost = replace(live.order, status=OrderStatus.UNKNOWN, reason=reason)
        return self._record(replace(live, order=lost), attempts=attempts, actor=actor)

    def _record(self, live: LiveOrder, *, attempts: int, actor: str) -> LiveOrder:
        o = live.order
        self.journal.append(
            "order",
            {
                "client_id": o.client_id,
                "strategy": live.strategy,
                "role": live.role,
                "status": o.status,
                "venue_id": o.venue_id,
                "qty": o.qty,
                "filled_qty": o.filled_qty,
                "avg_price": o.avg_price,
                "reason": o.reason,
                "attempts": attempts,
            },
            actor=actor,
        )
        return self.state.save_order(live)
