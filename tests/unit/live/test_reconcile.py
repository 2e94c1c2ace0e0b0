"""Reconciliation: each discrepancy classified and answered; applying a plan settles it."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from aitrader_core.compliance.journal import canonical_payload
from aitrader_core.domain.orders import Fill, Order, OrderStatus, OrderType, Side
from aitrader_core.live.reconcile import (
    FILL_KINDS,
    ORDER_KINDS,
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
    apply_to_ledger,
    diff,
    journal_payload,
    plan,
    reconcile,
)

D = Decimal
S = OrderStatus
REPORT, ADOPT, CANCEL = (ReconcilePolicy(external_orders=p) for p in ("report", "adopt", "cancel"))


def order(cid: str = "ait-1", status: S = S.OPEN, qty: str = "1", filled: str = "0",
          avg: str | None = None, created: int = 1_000) -> Order:  # fmt: skip
    return Order(cid, "BTC/USDT", Side.BUY, OrderType.LIMIT, D(qty), D(100), status=status,
                 filled_qty=D(filled), avg_price=None if avg is None else D(avg),
                 created_ms=created)  # fmt: skip


def fill(tid: str = "t1", cid: str = "ait-1", qty: str = "1", price: str = "100",
         ts: int = 2_000) -> Fill:  # fmt: skip
    return Fill(cid, tid, "BTC/USDT", Side.BUY, D(qty), D(price), D("0.1"), "USDT", ts)


def by_id(*items: Order | Fill) -> dict:
    return {(i.trade_id if isinstance(i, Fill) else i.client_id): i for i in items}


def one(ledger: LedgerView, broker: BrokerView, policy: ReconcilePolicy = REPORT):
    found, actions = reconcile(ledger, broker, policy)
    assert len(found) == len(actions) == 1, found
    return found[0], actions[0]


# -- fills ------------------------------------------------------------------------------------


def test_missing_fill_is_recorded() -> None:
    f = fill()
    d, a = one(LedgerView(by_id(order())), BrokerView(by_id(order()), by_id(f)))
    assert (d.kind, d.trade_id, d.theirs, d.external) == ("missing_fill", "t1", f, False)
    assert a == RecordFill(f)


def test_missing_fill_of_an_external_order_follows_the_policy() -> None:
    f = fill(cid="web_7")
    d, a = one(LedgerView(), BrokerView(fills=by_id(f)))
    assert (d.kind, d.external, a) == ("missing_fill", True, Alert(d))
    assert one(LedgerView(), BrokerView(fills=by_id(f)), ADOPT)[1] == RecordFill(f)
    adopted_earlier = LedgerView(by_id(order("web_7", S.FILLED, filled="1", avg="100")))
    assert one(adopted_earlier, BrokerView(fills=by_id(f)))[1] == RecordFill(f)


def test_unknown_fill_only_inside_the_venues_report_window() -> None:
    f = fill(ts=5_000)
    d, a = one(LedgerView(fills=by_id(f)), BrokerView(fills_since_ms=5_000))
    assert (d.kind, d.ours, a) == ("unknown_fill", f, Alert(d))
    assert diff(LedgerView(fills=by_id(f)), BrokerView(fills_since_ms=5_001)) == []
    assert diff(LedgerView(fills=by_id(f)), BrokerView(as_of_ms=4_999)) == []


def test_fill_mismatch_is_alerted_and_timestamps_are_not_compared() -> None:
    ours, theirs = fill(qty="1"), fill(qty="0.9")
    d, a = one(LedgerView(fills=by_id(ours)), BrokerView(fills=by_id(theirs)))
    assert (d.kind, a) == ("fill_mismatch", Alert(d))
    assert diff(LedgerView(fills=by_id(ours)), BrokerView(fills=by_id(fill(ts=9)))) == []


# -- orders -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "status", "action"),
    [
        (ADOPT, S.OPEN, AdoptOrder(order("web_7"))),
        (CANCEL, S.OPEN, CancelOrder("web_7", "BTC/USDT")),
        (CANCEL, S.FILLED, None),  # nothing to cancel: report it
        (REPORT, S.OPEN, None),
    ],
)
def test_unknown_external_order_follows_the_policy(policy, status, action) -> None:
    external = order("web_7", status)
    d, a = one(LedgerView(), BrokerView(by_id(external)), policy)
    assert (d.kind, d.external, d.theirs) == ("unknown_external_order", True, external)
    assert a == (action or Alert(d))


def test_unknown_order_with_our_prefix_is_adopted_whatever_the_policy() -> None:
    d, a = one(LedgerView(), BrokerView(by_id(order("ait-9"))), REPORT)
    assert (d.kind, d.external, a) == ("unknown_own_order", False, AdoptOrder(order("ait-9")))
    custom = ReconcilePolicy(our_prefix="bot-")
    assert one(LedgerView(), BrokerView(by_id(order("ait-9"))), custom)[0].external


def test_missing_order_without_fills_is_closed_as_not_found() -> None:
    d, a = one(LedgerView(by_id(order(status=S.PENDING))), BrokerView(as_of_ms=10**9))
    assert (d.kind, d.theirs, a) == ("missing_order", None, MarkLost("ait-1"))
    closed = apply_to_ledger(LedgerView(by_id(order(status=S.PENDING))), [a]).orders["ait-1"]
    assert (closed.status, closed.reason) == (S.CANCELED, "not found at venue")


def test_missing_order_whose_fills_complete_it_becomes_filled() -> None:
    fills = by_id(fill("t1", qty="0.4", price="100"), fill("t2", qty="0.6", price="110"))
    found, actions = reconcile(LedgerView(by_id(order())), BrokerView(fills=fills), REPORT)
    assert [d.kind for d in found] == ["missing_order", "missing_fill", "missing_fill"]
    assert actions[-1] == UpdateStatus("ait-1", S.FILLED, D(1), D(106))


def test_missing_order_partly_filled_needs_a_venue_query() -> None:
    broker = BrokerView(fills=by_id(fill(qty="0.4")))
    _, actions = reconcile(LedgerView(by_id(order())), broker, REPORT)
    assert isinstance(actions[-1], Alert)
    assert actions[-1].discrepancy.kind == "missing_order"


def test_closed_and_young_orders_are_not_judged_missing() -> None:
    assert diff(LedgerView(by_id(order(status=S.FILLED, filled="1"))), BrokerView()) == []
    young = LedgerView(by_id(order(created=100_000)))
    assert diff(young, BrokerView(as_of_ms=120_000), grace_ms=30_000) == []
    assert [d.kind for d in diff(young, BrokerView(as_of_ms=130_000), grace_ms=30_000)] == [
        "missing_order"
    ]


@pytest.mark.parametrize(
    ("ours", "theirs", "kind", "updates"),
    [
        (order(), order(status=S.FILLED, filled="1", avg="100"), "status_mismatch", True),
        (order(status=S.UNKNOWN), order(status=S.CANCELED), "status_mismatch", True),
        (order(status=S.FILLED, filled="1"), order(), "status_mismatch", False),  # backwards
        (order(status=S.PARTIALLY_FILLED, filled="0.3"),
         order(status=S.PARTIALLY_FILLED, filled="0.5", avg="101"), "qty_mismatch", True),
        (order(status=S.PARTIALLY_FILLED, filled="0.5"),
         order(status=S.PARTIALLY_FILLED, filled="0.3"), "qty_mismatch", False),  # shrinking
        (order(qty="1"), order(qty="2"), "qty_mismatch", False),  # amended at the venue?
    ],
)  # fmt: skip
def test_order_state_mismatches(ours, theirs, kind, updates) -> None:
    d, a = one(LedgerView(by_id(ours)), BrokerView(by_id(theirs)))
    assert d.kind == kind
    if updates:
        assert a == UpdateStatus("ait-1", theirs.status, theirs.filled_qty, theirs.avg_price)
        assert apply_to_ledger(LedgerView(by_id(ours)), [a]).orders["ait-1"] == theirs
    else:
        assert a == Alert(d)


# -- balances ---------------------------------------------------------------------------------


def test_balance_drift_beyond_absolute_or_relative_tolerance() -> None:
    ledger = LedgerView(balances={"USDT": D(1000), "BTC": D("0.5")})
    broker = BrokerView(balances={"USDT": D("1000.5"), "BTC": D("0.5"), "ETH": D("0.01")})
    assert [d.asset for d in diff(ledger, broker)] == ["ETH", "USDT"]
    assert [d.asset for d in diff(ledger, broker, tolerance=D("0.5"))] == []
    assert [d.asset for d in diff(ledger, broker, tolerance={"USDT": D(1)})] == ["ETH"]
    assert [d.asset for d in diff(ledger, broker, tolerance={"*": D("0.01"), "USDT": D(0)})] == [
        "USDT"
    ]
    assert [d.asset for d in diff(ledger, broker, relative=D("0.001"))] == ["ETH"]
    d, a = one(ledger, broker, ReconcilePolicy(balance_tolerance={"ETH": D("0.1")}))
    assert (d.kind, d.ours, d.theirs, a) == ("balance_drift", D(1000), D("1000.5"), Alert(d))


def test_policy_validation() -> None:
    for bad in ({"balance_tolerance": {"BTC": "-1"}}, {"external_orders": "ignore"},
                {"our_prefix": ""}, {"relative_tolerance": "1"}, {"tolerance": "1"}):  # fmt: skip
        with pytest.raises(ValidationError):
            ReconcilePolicy(**bad)


# -- order of findings and actions, journal payloads ------------------------------------------


def test_findings_and_actions_come_in_a_fixed_order() -> None:
    ledger = LedgerView(by_id(order("ait-2"), order("ait-1", S.PENDING)), balances={"BTC": D(1)})
    broker = BrokerView(by_id(order("web_1"), order("ait-2", S.FILLED, filled="1", avg="100")),
                        by_id(fill("t9", "ait-2"), fill("t1", "web_1")))  # fmt: skip
    found, actions = reconcile(ledger, broker, ADOPT)
    assert [(d.kind, d.client_id) for d in found] == [
        ("missing_order", "ait-1"),
        ("status_mismatch", "ait-2"),
        ("unknown_external_order", "web_1"),
        ("missing_fill", "web_1"),
        ("missing_fill", "ait-2"),
        ("balance_drift", None),
    ]
    assert [type(a) for a in actions] == [AdoptOrder, RecordFill, RecordFill, UpdateStatus,
                                          MarkLost, Alert]  # fmt: skip
    shuffled = LedgerView(dict(reversed(ledger.orders.items())), balances=ledger.balances)
    assert diff(shuffled, broker) == diff(ledger, broker)


def test_journal_payloads_are_plain_json_with_exact_amounts() -> None:
    ledger = LedgerView(by_id(order(status=S.PARTIALLY_FILLED, filled="0.30")))
    broker = BrokerView(by_id(order("web_1")), by_id(fill("t1", qty="0.30")), {"BTC": D("0.1")})
    found, actions = reconcile(ledger, broker, REPORT)
    for step in [*found, *actions]:
        payload = journal_payload(step)
        assert json.loads(json.dumps(payload)) == payload  # no Decimal, enum or float left
        assert canonical_payload(payload)
    record = journal_payload(RecordFill(fill("t1", qty="0.30")))
    assert record["step"] == "record_fill"
    assert record["fill"] == {"client_id": "ait-1", "trade_id": "t1", "symbol": "BTC/USDT",
                              "side": "buy", "qty": "0.30", "price": "100", "fee": "0.1",
                              "fee_asset": "USDT", "ts_ms": 2_000}  # fmt: skip
    alert = journal_payload(Alert(Discrepancy("balance_drift", asset="BTC", ours=D(0))))
    assert alert["discrepancy"]["step"] == "discrepancy"
    assert alert["discrepancy"]["ours"] == "0"
    assert journal_payload(UpdateStatus("ait-1", S.FILLED, D("1.0"), None))["status"] == "filled"


# -- properties -------------------------------------------------------------------------------

STEP = D("0.001")
statuses = st.sampled_from(S)


@st.composite
def stale_worlds(draw: st.DrawFn) -> tuple[LedgerView, BrokerView]:
    """The venue's truth, and a ledger that missed fills, updates and whole orders."""
    truth_orders, truth_fills, ledger_orders, ledger_fills = {}, {}, {}, {}
    for i in range(draw(st.integers(0, 6))):
        external = draw(st.booleans())
        cid = f"web_{i}" if external else f"ait-{i}"
        units = draw(st.lists(st.integers(1, 1000), max_size=3))
        qty_units = sum(units) + draw(st.sampled_from([0, 0, 1, 500]))  # often completely filled
        qty_units = qty_units or 1
        fills = [Fill(cid, f"t{i}-{j}", "BTC/USDT", Side.BUY, u * STEP,
                      D(draw(st.integers(1, 10**6))) / 100, D(0), "USDT", 2_000 + j)
                 for j, u in enumerate(units)]  # fmt: skip
        filled = sum(units) * STEP
        if sum(units) == qty_units:
            status = S.FILLED
        else:
            status = draw(st.sampled_from([S.PARTIALLY_FILLED if units else S.OPEN, S.CANCELED]))
        truth = replace(order(cid, status, str(qty_units * STEP)), filled_qty=filled,
                        avg_price=_vwap(fills))  # fmt: skip
        truth_fills.update(by_id(*fills))
        if status is S.FILLED or not units:  # the venue may drop these from its listing
            if draw(st.booleans()):
                truth_orders[cid] = truth
        else:
            truth_orders[cid] = truth
        mode = draw(st.sampled_from(["synced", "stale", "absent"]))
        if (external and mode == "stale") or mode == "absent":
            continue  # an order placed elsewhere, or one the ledger lost
        k = len(fills) if mode == "synced" else draw(st.integers(0, len(fills)))
        recorded = fills[:k]
        ledger_fills.update(by_id(*recorded))
        if mode == "synced":
            ledger_orders[cid] = truth
            continue
        got = sum((f.qty for f in recorded), D(0))
        stale = (draw(st.sampled_from([S.PENDING, S.OPEN, S.UNKNOWN])) if not recorded
                 else S.PARTIALLY_FILLED if got < truth.qty else status)  # fmt: skip
        ledger_orders[cid] = replace(truth, status=stale, filled_qty=got, avg_price=_vwap(recorded))
    return (LedgerView(ledger_orders, ledger_fills, {"USDT": D(1)}),
            BrokerView(truth_orders, truth_fills, {"USDT": D(1)}, as_of_ms=10**9))  # fmt: skip


@st.composite
def any_worlds(draw: st.DrawFn) -> tuple[LedgerView, BrokerView]:
    """Ledger and venue drawn independently over shared ids: anything may disagree."""
    ids = ["ait-0", "ait-1", "ait-2", "web_0", "web_1"]
    views = []
    for _side in range(2):
        orders, fills = {}, {}
        for cid in ids:
            if draw(st.booleans()):
                qty = draw(st.integers(1, 5))
                filled = str(draw(st.integers(0, qty)))
                orders[cid] = order(cid, draw(statuses), str(qty), filled)
        for i, cid in enumerate(ids[:4]):
            if draw(st.booleans()):
                tid = f"t{i}"
                fills[tid] = fill(
                    tid, cid, str(draw(st.integers(1, 3))), ts=draw(st.integers(0, 9))
                )
        views.append((orders, fills, {"BTC": D(draw(st.integers(0, 2)))}))
    since = draw(st.integers(0, 5))
    return LedgerView(*views[0]), BrokerView(*views[1], fills_since_ms=since)


def _vwap(fills: list[Fill]) -> Decimal | None:
    total = sum((f.qty for f in fills), D(0))
    return sum((f.qty * f.price for f in fills), D(0)) / total if total else None


@settings(max_examples=300, deadline=None)
@given(world=any_worlds())
def test_a_view_agrees_with_itself(world) -> None:
    ledger, _ = world
    assert diff(ledger, BrokerView(ledger.orders, ledger.fills, ledger.balances)) == []


@settings(max_examples=300, deadline=None)
@given(world=stale_worlds())
def test_applying_the_adopt_plan_leaves_no_order_or_fill_discrepancy(world) -> None:
    ledger, broker = world
    found, actions = reconcile(ledger, broker, ADOPT)
    assert not any(isinstance(a, Alert | CancelOrder) for a in actions), found
    settled = apply_to_ledger(ledger, actions)
    assert reconcile(settled, broker, ADOPT) == ([], [])
    for p in (REPORT, CANCEL):  # only what concerns external orders is left
        left = diff(apply_to_ledger(ledger, plan(diff(ledger, broker), p)), broker)
        assert all(d.external for d in left), left


@settings(max_examples=300, deadline=None)
@given(world=any_worlds(), policy=st.sampled_from([REPORT, ADOPT, CANCEL]))
def test_every_discrepancy_gets_one_action_and_only_unsettled_ones_remain(world, policy) -> None:
    ledger, broker = world
    found, actions = reconcile(ledger, broker, policy)
    assert len(actions) == len(found)
    assert diff(ledger, broker) == found  # no snapshot time here, so no grace applies
    settled = apply_to_ledger(ledger, actions)  # never an illegal transition
    left = {_key(d) for d in reconcile(settled, broker, policy)[0]}
    unsettled = {_key(a.discrepancy) for a in actions if isinstance(a, Alert)}
    unsettled |= {("unknown_external_order", a.client_id, None, None)
                  for a in actions if isinstance(a, CancelOrder)}  # fmt: skip
    assert left <= unsettled
    kinds = {d.kind for d in found}
    assert kinds <= ORDER_KINDS | FILL_KINDS | {"balance_drift"}
    for d in found:
        for value in (d.ours, d.theirs):
            assert not isinstance(value, float)


def _key(d: Discrepancy) -> tuple[str, str | None, str | None, str | None]:
    return (d.kind, d.client_id, d.trade_id, d.asset)
