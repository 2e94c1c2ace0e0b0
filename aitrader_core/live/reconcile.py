"""Reconciliation: what the journal believes against what the broker reports.

Pure functions over ``Decimal``; the coordinator does the I/O. :func:`diff`
classifies every discrepancy, :func:`plan` answers each with an action under a
:class:`ReconcilePolicy`, and the caller journals :func:`journal_payload` of each
step (kind ``"reconciliation"``) before acting on it. It runs at start, on
demand and periodically; :func:`apply_to_ledger` shows what the ledger becomes.

What :func:`plan` does about each kind of :class:`Discrepancy`:

- ``missing_fill`` (the venue reports a fill the ledger lacks): record it; a fill
  of an external order only under the "adopt" policy, else alert.
- ``unknown_fill`` (a ledger fill the venue does not report within its fill
  window) and ``fill_mismatch`` (same trade id, other content): alert.
- ``unknown_external_order`` (a venue order without our client-id prefix):
  adopt, cancel or report, as the policy says; ``unknown_own_order`` (with our
  prefix, yet not in the ledger): adopt.
- ``missing_order`` (live in the ledger, not listed by the venue): close it as
  "not found at venue" when nothing filled, mark it filled when its fills
  complete it, else alert (a venue query must settle it).
- ``status_mismatch``, ``qty_mismatch``: take the venue's state when the order
  life cycle allows the change, else alert.
- ``balance_drift`` (beyond the absolute or the relative tolerance): alert.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from aitrader_core.domain.money import ZERO
from aitrader_core.domain.orders import (
    Fill,
    InvalidTransition,
    Order,
    OrderStatus,
    check_transition,
)

Kind = Literal["missing_fill", "unknown_fill", "fill_mismatch", "unknown_external_order",
               "unknown_own_order", "missing_order", "status_mismatch", "qty_mismatch",
               "balance_drift"]  # fmt: skip
ORDER_KINDS = frozenset({"unknown_external_order", "unknown_own_order", "missing_order",
                         "status_mismatch", "qty_mismatch"})  # fmt: skip
FILL_KINDS = frozenset({"missing_fill", "unknown_fill", "fill_mismatch"})


@dataclass(frozen=True)
class LedgerView:
    """What our journal and store believe: orders by client id, fills by trade id."""

    orders: Mapping[str, Order] = field(default_factory=dict)
    fills: Mapping[str, Fill] = field(default_factory=dict)
    balances: Mapping[str, Decimal] = field(default_factory=dict)  # expected total per asset


@dataclass(frozen=True)
class BrokerView:
    """What the venue reports: open and recently fetched orders, recent fills, balances.

    ``fills_since_ms`` is where its fill report starts (older ledger fills are not
    compared); ``as_of_ms`` is when it was taken (orders created later are not
    judged missing).
    """

    orders: Mapping[str, Order] = field(default_factory=dict)
    fills: Mapping[str, Fill] = field(default_factory=dict)
    balances: Mapping[str, Decimal] = field(default_factory=dict)
    fills_since_ms: int = 0
    as_of_ms: int | None = None


@dataclass(frozen=True)
class Discrepancy:
    """One disagreement; ``external`` marks an order neither ours nor in the ledger."""

    kind: Kind
    client_id: str | None = None
    trade_id: str | None = None
    asset: str | None = None
    ours: Order | Fill | Decimal | None = None
    theirs: Order | Fill | Decimal | None = None
    detail: str = ""
    external: bool = False


class ReconcilePolicy(BaseModel):
    """How to compensate: external orders, balance tolerances, our client-id prefix.

    ``balance_tolerance`` maps an asset (or ``"*"`` for any other) to an absolute
    tolerance; a drift passes when within it *or* within ``relative_tolerance``
    of the expected balance.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    external_orders: Literal["adopt", "cancel", "report"] = "report"
    our_prefix: str = Field(default="ait-", min_length=1)  # see domain.orders.client_order_id
    balance_tolerance: dict[str, Annotated[Decimal, Field(ge=0)]] = Field(default_factory=dict)
    relative_tolerance: Decimal = Field(default=ZERO, ge=0, lt=1)
    grace_ms: int = Field(default=30_000, ge=0, description="too young to be judged missing")


@dataclass(frozen=True)
class RecordFill:
    """Record a fill the venue reports and the ledger lacks."""

    fill: Fill


@dataclass(frozen=True)
class AdoptOrder:
    """Start tracking a venue order as ours."""

    order: Order


@dataclass(frozen=True)
class CancelOrder:
    """Cancel an external order at the venue."""

    client_id: str
    symbol: str


@dataclass(frozen=True)
class UpdateStatus:
    """Take the venue's state of an order."""

    client_id: str
    status: OrderStatus
    filled_qty: Decimal
    avg_price: Decimal | None


@dataclass(frozen=True)
class MarkLost:
    """Close an order the venue does not know and that never filled."""

    client_id: str
    reason: str = "not found at venue"


@dataclass(frozen=True)
class Alert:
    """Tell an operator: nothing safe to do automatically."""

    discrepancy: Discrepancy


Action = RecordFill | AdoptOrder | CancelOrder | UpdateStatus | MarkLost | Alert
_ORDER = {AdoptOrder: 0, RecordFill: 1, UpdateStatus: 2, MarkLost: 3, CancelOrder: 4, Alert: 5}


def diff(
    ledger: LedgerView,
    broker: BrokerView,
    *,
    tolerance: Mapping[str, Decimal] | Decimal = ZERO,
    relative: Decimal = ZERO,
    grace_ms: int = 0,
    our_prefix: str = "ait-",
) -> list[Discrepancy]:
    """Every discrepancy: orders by client id, then fills by trade id, then balances.

    Examples
    --------
    >>> ledger = LedgerView(balances={"USDT": Decimal("100")})
    >>> broker = BrokerView(balances={"USDT": Decimal("100.5"), "BTC": Decimal("0.1")})
    >>> for d in diff(ledger, broker):
    ...     print(d.kind, d.asset, d.detail)
    balance_drift BTC drift 0.1 beyond 0
    balance_drift USDT drift 0.5 beyond 0
    >>> [d.asset for d in diff(ledger, broker, tolerance={"USDT": Decimal("1")})]
    ['BTC']
    """
    out: list[Discrepancy] = []
    for cid in sorted(ledger.orders.keys() | broker.orders.keys()):
        out += _order_gap(cid, ledger, broker, grace_ms, our_prefix)
    for tid in sorted(ledger.fills.keys() | broker.fills.keys()):
        out += _fill_gap(tid, ledger, broker, our_prefix)
    for asset in sorted(ledger.balances.keys() | broker.balances.keys()):
        ours, theirs = ledger.balances.get(asset, ZERO), broker.balances.get(asset, ZERO)
        if isinstance(tolerance, Decimal):
            absolute = tolerance
        else:
            absolute = tolerance.get(asset, tolerance.get("*", ZERO))
        allowed = max(absolute, relative * abs(ours))
        if abs(theirs - ours) > allowed:
            detail = f"drift {theirs - ours} beyond {allowed}"
            out.append(Discrepancy("balance_drift", None, None, asset, ours, theirs, detail))
    return out


def plan(discrepancies: Iterable[Discrepancy], policy: ReconcilePolicy) -> list[Action]:
    """The actions that compensate, in a safe order: adopt, record, update, close, cancel, alert.

    Examples
    --------
    >>> from aitrader_core.domain.orders import OrderType, Side
    >>> o = Order("bot-1", "BTC/USDT", Side.BUY, OrderType.LIMIT, Decimal("1"), Decimal("100"),
    ...           status=OrderStatus.OPEN)
    >>> d = Discrepancy("unknown_external_order", "bot-1", theirs=o, external=True)
    >>> plan([d], ReconcilePolicy(external_orders="cancel"))
    [CancelOrder(client_id='bot-1', symbol='BTC/USDT')]
    """
    actions = [_answer(d, policy) for d in discrepancies]
    return sorted(actions, key=lambda a: _ORDER[type(a)])


def reconcile(
    ledger: LedgerView, broker: BrokerView, policy: ReconcilePolicy
) -> tuple[list[Discrepancy], list[Action]]:
    """:func:`diff` under the policy's tolerances and prefix, and its :func:`plan`.

    Examples
    --------
    >>> reconcile(LedgerView(), BrokerView(), ReconcilePolicy())
    ([], [])
    """
    found = diff(ledger, broker, tolerance=policy.balance_tolerance,
                 relative=policy.relative_tolerance, grace_ms=policy.grace_ms,
                 our_prefix=policy.our_prefix)  # fmt: skip
    return found, plan(found, policy)


def apply_to_ledger(ledger: LedgerView, actions: Iterable[Action]) -> LedgerView:
    """The ledger after the bookkeeping actions (cancels and alerts change nothing here).

    Balances are left as they are: the accounting that derives them from fills
    is not reconciliation's job.

    Examples
    --------
    >>> from aitrader_core.domain.orders import OrderType, Side
    >>> o = Order("ait-1", "BTC/USDT", Side.BUY, OrderType.MARKET, Decimal("1"))
    >>> after = apply_to_ledger(LedgerView(orders={"ait-1": o}), [MarkLost("ait-1")])
    >>> after.orders["ait-1"].status, after.orders["ait-1"].reason
    (<OrderStatus.CANCELED: 'canceled'>, 'not found at venue')
    """
    orders, fills = dict(ledger.orders), dict(ledger.fills)
    for a in actions:
        if isinstance(a, AdoptOrder):
            orders[a.order.client_id] = a.order
        elif isinstance(a, RecordFill):
            fills[a.fill.trade_id] = a.fill
        elif isinstance(a, UpdateStatus):
            orders[a.client_id] = orders[a.client_id].with_status(
                a.status, filled_qty=a.filled_qty, avg_price=a.avg_price
            )
        elif isinstance(a, MarkLost):
            orders[a.client_id] = orders[a.client_id].with_status(
                OrderStatus.CANCELED, reason=a.reason
            )
    return replace(ledger, orders=orders, fills=fills)


def journal_payload(step: Action | Discrepancy) -> dict[str, Any]:
    """A JSON-ready description of a finding or an action; Decimals as exact strings.

    Examples
    --------
    >>> journal_payload(MarkLost("ait-1"))
    {'step': 'mark_lost', 'client_id': 'ait-1', 'reason': 'not found at venue'}
    >>> journal_payload(Discrepancy("balance_drift", asset="BTC", ours=Decimal("1"),
    ...                             theirs=Decimal("0.9")))["theirs"]
    '0.9'
    """
    name = _STEP_NAMES[type(step)]
    return {"step": name, **{k: _plain(v) for k, v in vars(step).items()}}


# spelled out, not derived from class names: the journal's vocabulary must not drift
_STEP_NAMES: dict[type, str] = {
    Discrepancy: "discrepancy", RecordFill: "record_fill", AdoptOrder: "adopt_order",
    CancelOrder: "cancel_order", UpdateStatus: "update_status", MarkLost: "mark_lost",
    Alert: "alert",
}  # fmt: skip


def _order_gap(
    cid: str, ledger: LedgerView, broker: BrokerView, grace_ms: int, prefix: str
) -> list[Discrepancy]:
    ours, theirs = ledger.orders.get(cid), broker.orders.get(cid)
    if ours is None and theirs is not None:
        own = cid.startswith(prefix)
        kind: Kind = "unknown_own_order" if own else "unknown_external_order"
        what = f"venue {theirs.status} {theirs.side} {theirs.qty} {theirs.symbol}, unknown here"
        return [Discrepancy(kind, cid, theirs=theirs, detail=what, external=not own)]
    if ours is not None and theirs is None:
        if ours.status.is_final or _after(ours.created_ms + grace_ms, broker):
            return []  # venues drop closed orders; a young order may not be listed yet
        implied = _implied(ours, [*ledger.fills.values(), *broker.fills.values()])
        what = f"{ours.status} here, not listed by the venue"
        return [Discrepancy("missing_order", cid, ours=ours, theirs=implied, detail=what)]
    if ours is None or theirs is None:
        return []
    if ours.status != theirs.status:
        what = f"{ours.status} here, {theirs.status} at the venue"
        return [Discrepancy("status_mismatch", cid, ours=ours, theirs=theirs, detail=what)]
    if ours.filled_qty != theirs.filled_qty or ours.qty != theirs.qty:
        what = f"filled {ours.filled_qty} of {ours.qty} here, {theirs.filled_qty} of {theirs.qty}"
        return [Discrepancy("qty_mismatch", cid, ours=ours, theirs=theirs, detail=what)]
    return []


def _fill_gap(tid: str, ledger: LedgerView, broker: BrokerView, prefix: str) -> list[Discrepancy]:
    ours, theirs = ledger.fills.get(tid), broker.fills.get(tid)
    if ours is None and theirs is not None:
        cid = theirs.client_id
        external = cid not in ledger.orders and not cid.startswith(prefix)
        what = f"venue fill {theirs.qty} @ {theirs.price}, not in the ledger"
        return [Discrepancy("missing_fill", cid, tid, None, None, theirs, what, external)]
    if ours is not None and theirs is None:
        if ours.ts_ms < broker.fills_since_ms or _after(ours.ts_ms, broker):
            return []  # outside what the venue reported
        what = "the venue does not report this fill"
        return [Discrepancy("unknown_fill", ours.client_id, tid, ours=ours, detail=what)]
    if ours is not None and theirs is not None and replace(ours, ts_ms=theirs.ts_ms) != theirs:
        what = f"{ours.qty} @ {ours.price} here, {theirs.qty} @ {theirs.price} at the venue"
        return [Discrepancy("fill_mismatch", ours.client_id, tid, None, ours, theirs, what)]
    return []


def _answer(d: Discrepancy, policy: ReconcilePolicy) -> Action:
    ours, theirs, adopt = d.ours, d.theirs, policy.external_orders == "adopt"
    if d.kind == "missing_fill" and isinstance(theirs, Fill) and (adopt or not d.external):
        return RecordFill(theirs)
    if d.kind in ("unknown_own_order", "unknown_external_order") and isinstance(theirs, Order):
        if adopt or not d.external:
            return AdoptOrder(theirs)
        if policy.external_orders == "cancel" and not theirs.status.is_final:
            return CancelOrder(theirs.client_id, theirs.symbol)
    if d.kind == "missing_order" and isinstance(ours, Order) and theirs is None:
        return MarkLost(ours.client_id)  # nothing filled anywhere: close it
    if (
        isinstance(ours, Order)
        and isinstance(theirs, Order)
        and (d.kind != "missing_order" or theirs.status is OrderStatus.FILLED)
    ):
        return _update(ours, theirs) or Alert(d)
    return Alert(d)


def _update(ours: Order, theirs: Order) -> UpdateStatus | None:
    """The venue's state, unless it would move the order backwards (a bug to look at)."""
    if ours.qty != theirs.qty or theirs.filled_qty < ours.filled_qty:
        return None
    try:
        check_transition(ours.status, theirs.status)
    except InvalidTransition:
        return None
    return UpdateStatus(ours.client_id, theirs.status, theirs.filled_qty, theirs.avg_price)


def _implied(order: Order, fills: Sequence[Fill]) -> Order | None:
    """The order as its known fills describe it, or None when nothing filled."""
    mine = {f.trade_id: f for f in fills if f.client_id == order.client_id}.values()
    filled = sum((f.qty for f in mine), ZERO)
    if filled == 0:
        return None
    avg = sum((f.qty * f.price for f in mine), ZERO) / filled
    status = OrderStatus.FILLED if filled == order.qty else order.status
    return replace(order, status=status, filled_qty=filled, avg_price=avg)


def _after(ts_ms: int, broker: BrokerView) -> bool:
    return broker.as_of_ms is not None and ts_ms > broker.as_of_ms


def _plain(value: object) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Discrepancy):
        return journal_payload(value)
    if isinstance(value, Order | Fill):
        return {k: _plain(v) for k, v in asdict(value).items()}
    return value
