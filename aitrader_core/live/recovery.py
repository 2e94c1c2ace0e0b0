"""Reconciliation runs and startup recovery: the I/O around :mod:`aitrader_core.live.reconcile`.

:class:`Reconciler` reads the ledger (store) and the venue, lets the pure
:func:`~aitrader_core.live.reconcile.reconcile` classify and plan, then for each
step journals it (kind ``reconciliation``) *before* acting on it. Expected
balances are a baseline taken at the first run (the venue's balances minus
the effect of the fills booked so far) plus the effect of every fill booked
since; a deposit, a withdrawal or an untracked trade shows as drift.

:func:`recover` is what a (re)started service does before any strategy trades
again: reconcile, re-place missing protective orders, then resume or flatten
each strategy as its restart policy says.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Literal

from prometheus_client import Counter

from aitrader_core.brokers.base import BrokerError, OrderNotFound
from aitrader_core.domain.money import ZERO, Instrument
from aitrader_core.domain.orders import Fill, Order, OrderStatus, Side
from aitrader_core.live.book import LiveOrder, Role
from aitrader_core.live.coordinator import LiveTradingCoordinator
from aitrader_core.live.reconcile import (
    Action,
    AdoptOrder,
    Alert,
    BrokerView,
    CancelOrder,
    Discrepancy,
    LedgerView,
    MarkLost,
    ReconcilePolicy,
    RecordFill,
    UpdateStatus,
    journal_payload,
    reconcile,
)
from aitrader_core.observability import REGISTRY

log = logging.getLogger(__name__)
BASELINE = "reconcile_baseline"
EXTERNAL = "external"

RUNS = Counter(
    "aitrader_reconciliation_runs_total", "Reconciliation runs", ["reason"], registry=REGISTRY
)
FAILURES = Counter(
    "aitrader_reconciliation_failures_total",
    "Reconciliation runs that left a discrepancy only an operator can settle",
    registry=REGISTRY,
)
FAILURES.inc(0)


@dataclass(frozen=True)
class ReconcileReport:
    """One run: what differed, what was done, and whether anything is left for an operator."""

    reason: str
    discrepancies: list[Discrepancy]
    actions: list[Action]
    alerts: list[Discrepancy]

    @property
    def clean(self) -> bool:
        """True when nothing needs an operator."""
        return not self.alerts


def fill_effect(fills: Iterable[Fill], instruments: Mapping[str, Instrument]) -> dict[str, Decimal]:
    """The change of each asset's total balance that ``fills`` make (fees included).

    Examples
    --------
    >>> from aitrader_core.domain.orders import Fill, Side
    >>> inst = {"BTC/USDT": Instrument("BTC/USDT", "BTC", "USDT", Decimal("0.01"),
    ...                                Decimal("0.001"), Decimal("0.001"), Decimal("5"))}
    >>> f = Fill("c", "t", "BTC/USDT", Side.BUY, Decimal("0.5"), Decimal("100"),
    ...          Decimal("0.05"), "USDT", 0)
    >>> fill_effect([f], inst)
    {'BTC': Decimal('0.5'), 'USDT': Decimal('-50.05')}
    """
    out: dict[str, Decimal] = {}
    for f in fills:
        inst = instruments[f.symbol]
        sign = 1 if f.side is Side.BUY else -1
        out[inst.base] = out.get(inst.base, ZERO) + sign * f.qty
        out[inst.quote] = out.get(inst.quote, ZERO) - sign * f.qty * f.price
        out[f.fee_asset] = out.get(f.fee_asset, ZERO) - f.fee
    return out


class Reconciler:
    """Compare the store with the venue, journal each step, then compensate."""

    def __init__(
        self,
        coordinator: LiveTradingCoordinator,
        policy: ReconcilePolicy | None = None,
        *,
        actor: str = "reconciler",
    ) -> None:
        self.c = coordinator
        self.policy = policy or ReconcilePolicy()
        self.actor = actor

    def run(self, *, reason: str) -> ReconcileReport:
        """Sync, diff, journal and compensate; returns what it found and did."""
        c = self.c
        RUNS.labels(reason=reason).inc()
        c.sync()  # the normal path first: settle unknowns, refresh, book new fills
        instruments = c.gateway.instruments()
        ledger, broker = self._views(instruments)
        found, actions = reconcile(ledger, broker, self.policy)
        c.journal.append(
            "reconciliation",
            {"event": "run", "reason": reason, "discrepancies": len(found),
             "actions": len(actions)},
            actor=self.actor,
        )  # fmt: skip
        for d in found:
            c.journal.append("reconciliation", journal_payload(d), actor=self.actor)
        alerts: list[Discrepancy] = []
        for action in actions:
            c.journal.append("reconciliation", journal_payload(action), actor=self.actor)
            problem = self._apply(action)
            if isinstance(action, Alert):
                alerts.append(action.discrepancy)
            elif problem is not None:
                alerts.append(problem)
        if alerts:
            FAILURES.inc()
        return ReconcileReport(reason, found, actions, alerts)

    # -- views --------------------------------------------------------------------------------
    def _views(self, instruments: Mapping[str, Instrument]) -> tuple[LedgerView, BrokerView]:
        c = self.c
        ours = {o.client_id: o for o in c.state.orders(limit=None)}
        open_ours = [o for o in ours.values() if not o.status.is_final]
        booked = c.state.fills()
        balances, since = self._baseline(instruments)
        expected = dict(balances)
        for asset, change in fill_effect([f.fill for f in booked], instruments).items():
            expected[asset] = expected.get(asset, ZERO) + change
        venue_orders: dict[str, Order] = {o.client_id: o for o in c.gateway.open_orders()}
        for live in open_ours:
            if live.client_id not in venue_orders:
                with contextlib.suppress(OrderNotFound):
                    venue_orders[live.client_id] = c.gateway.fetch_order(
                        live.client_id, live.order.symbol
                    )
        symbols = sorted({s.symbol for s in c.specs.values()} | {o.order.symbol for o in open_ours})
        venue_fills = {f.trade_id: f for s in symbols for f in c.gateway.fills_since(since, s)}
        totals = {a: b.free + b.locked for a, b in c.gateway.balances().items()}
        ledger = LedgerView(
            orders={cid: o.order for cid, o in ours.items()},  # final ones own their fills
            fills={f.fill.trade_id: f.fill for f in booked if f.fill.ts_ms >= since},
            balances=expected,
        )
        broker = BrokerView(
            orders=venue_orders,
            fills=venue_fills,
            balances=totals,
            fills_since_ms=since,
            as_of_ms=c.clock.now_ms(),
        )
        return ledger, broker

    def _baseline(self, instruments: Mapping[str, Instrument]) -> tuple[dict[str, Decimal], int]:
        c = self.c
        saved = c.state.load_snapshot(BASELINE)
        if saved is not None:
            return {k: Decimal(v) for k, v in saved["balances"].items()}, int(saved["since_ms"])
        fills = [f.fill for f in c.state.fills()]
        effect = fill_effect(fills, instruments)
        totals = {a: b.free + b.locked for a, b in c.gateway.balances().items()}
        assets = set(totals) | set(effect)
        base = {a: str(totals.get(a, ZERO) - effect.get(a, ZERO)) for a in sorted(assets)}
        c.state.save_snapshot(BASELINE, {"balances": base, "since_ms": 0})
        c.journal.append("reconciliation", {"event": "baseline", "balances": base},
                         actor=self.actor)  # fmt: skip
        return {k: Decimal(v) for k, v in base.items()}, 0

    # -- compensation -------------------------------------------------------------------------
    def _apply(self, action: Action) -> Discrepancy | None:
        c = self.c
        try:
            if isinstance(action, RecordFill):
                c.record_fill(action.fill, strategy=EXTERNAL)
            elif isinstance(action, AdoptOrder):
                if c.state.get_order(action.order.client_id) is None:
                    c.state.save_order(LiveOrder(action.order, EXTERNAL, Role.MANUAL))
            elif isinstance(action, CancelOrder):
                c.gateway.cancel(action.client_id, action.symbol)
            elif isinstance(action, UpdateStatus):
                live = c.state.get_order(action.client_id)
                if live is not None:
                    order = replace(
                        live.order,
                        status=action.status,
                        filled_qty=action.filled_qty,
                        avg_price=action.avg_price,
                    )
                    c.state.save_order(replace(live, order=order))
            elif isinstance(action, MarkLost):
                live = c.state.get_order(action.client_id)
                if live is not None:
                    order = replace(live.order, status=OrderStatus.CANCELED, reason=action.reason)
                    c.state.save_order(replace(live, order=order))
        except BrokerError as exc:  # the venue refused a compensation: an operator's call
            log.error("reconciliation step %s failed: %s", type(action).__name__, exc)
            c.journal.append("reconciliation", {"event": "step_failed",
                             "step": type(action).__name__, "error": str(exc)},
                             actor=self.actor)  # fmt: skip
            return Discrepancy("status_mismatch", detail=f"compensation failed: {exc}")
        return None


RestartPolicy = Literal["resume", "flatten"]


@dataclass(frozen=True)
class RecoveryReport:
    """What a start did before trading resumed."""

    reconcile: ReconcileReport
    protected: list[LiveOrder]
    flattened: list[LiveOrder]


def recover(
    coordinator: LiveTradingCoordinator,
    reconciler: Reconciler,
    policies: Mapping[str, RestartPolicy] | None = None,
    *,
    actor: str = "autoheal",
) -> RecoveryReport:
    """Reconcile, re-place missing protective orders, then resume or flatten per strategy."""
    policies = dict(policies or {})
    coordinator.journal.append("system", {"event": "recovery_start"}, actor=actor)
    report = reconciler.run(reason="startup")
    protected = coordinator.protect_all()
    flattened: list[LiveOrder] = []
    for name in sorted(coordinator.specs):
        if policies.get(name, "resume") == "flatten":
            flattened += coordinator.flatten(name, actor=actor)
    coordinator.journal.append(
        "system",
        {"event": "recovery_done", "discrepancies": len(report.discrepancies),
         "alerts": len(report.alerts), "protective_placed": [o.client_id for o in protected],
         "flattened": [o.client_id for o in flattened]},
        actor=actor,
    )  # fmt: skip
    return RecoveryReport(report, protected, flattened)
