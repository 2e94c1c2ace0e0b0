"""The live coordinator on the simulator and a real store (SQLite, and PostgreSQL when set).

Scripted strategies (a target direction from given bar times on) on synthetic
bars make every decision predictable: at bar ``i``'s close the coordinator
decides, a market order fills at bar ``i + 1``'s open, a protective stop rests
from the bar after its entry filled.
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from aitrader_core.backtest import BacktestConfig
from aitrader_core.backtest.config import Exits, FixedQuantity
from aitrader_core.brokers.base import InvalidOrder, RateLimited, Transient
from aitrader_core.brokers.sim_state import count_orders
from aitrader_core.brokers.simulator import Request, SimulatorConfig
from aitrader_core.clock import ReplayClock
from aitrader_core.domain.orders import OrderStatus, OrderType, Side, client_order_id
from aitrader_core.errors import NotFoundError, ValidationError
from aitrader_core.live.account import utc_day
from aitrader_core.live.models import LiveStrategy, RetryPolicy
from aitrader_core.live.state import Role
from aitrader_core.store import make_engine, upgrade

from .conftest import SYMBOL, TF, Rig, ScriptedStrategy, build_rig, flat_bars, push, synthetic
from .conftest import history_of as history
from .conftest import ts_of as ts

QTY = Decimal("0.01")
CFG = BacktestConfig(sizing=FixedQuantity(qty=0.01), exits=Exits(stop_loss=0.02))


def rig_for(engine: Engine, bars: pd.DataFrame, script: dict[int, int], **kwargs: object) -> Rig:
    config = kwargs.pop("config", CFG)
    spec = LiveStrategy(SYMBOL, TF, ScriptedStrategy(script), config, lookback=50)  # type: ignore[arg-type]
    return build_rig(engine, {"s": spec}, history(bars), **kwargs)  # type: ignore[arg-type]


def run(rig: Rig, bars: pd.DataFrame, upto: int, start: int = 0) -> None:
    for i in range(start, upto + 1):
        push(rig, bars, i)


def entry_id(bars: pd.DataFrame, i: int) -> str:
    return client_order_id("s", SYMBOL, ts(bars, i), "entry")


def kinds_for(rig: Rig, client_id: str) -> list[str]:
    return [r.kind for r in rig.records() if r.payload.get("client_id") == client_id]


def venue_orders(rig: Rig, client_id: str) -> int:
    with rig.engine.connect() as conn:
        return count_orders(conn, client_id)


def test_entry_fills_next_open_gets_its_stop_and_exits_on_the_signal(engine: Engine) -> None:
    bars = flat_bars(20)
    rig = rig_for(engine, bars, {ts(bars, 5): 1, ts(bars, 12): 0})
    run(rig, bars, 5)
    entry = rig.state.get_order(entry_id(bars, 5))
    assert entry is not None
    assert entry.status is OrderStatus.OPEN
    assert entry.role is Role.ENTRY
    assert kinds_for(rig, entry.client_id) == ["decision", "intent", "order"]
    push(rig, bars, 6)
    [fill] = rig.state.fills()
    assert (fill.fill.ts_ms, fill.fill.qty, fill.fill.price) == (
        ts(bars, 6),
        QTY,
        Decimal("20000.00"),
    )
    [stop] = rig.state.orders(parent_id=entry.client_id)
    assert (stop.role, stop.order.type, stop.order.side) == (Role.STOP, OrderType.STOP, Side.SELL)
    assert stop.order.stop_price == Decimal("19600.00")
    assert stop.status is OrderStatus.OPEN
    assert rig.state.position("s", SYMBOL).qty == QTY
    run(rig, bars, 13, start=7)
    assert rig.state.get_order(stop.client_id).status is OrderStatus.CANCELED  # type: ignore[union-attr]
    exit_fill = rig.state.fills()[-1]
    expected = (Role.EXIT, Side.SELL, ts(bars, 13))
    assert (exit_fill.role, exit_fill.fill.side, exit_fill.fill.ts_ms) == expected
    assert rig.state.position("s", SYMBOL).qty == 0
    assert [r.payload["trade_id"] for r in rig.records("fill")] == [
        f.fill.trade_id for f in rig.state.fills()
    ]  # each fill journaled once
    assert rig.journal.verify().ok


def test_restart_resumes_from_the_cursor_and_a_replayed_bar_places_no_second_order(
    engine: Engine,
) -> None:
    bars = flat_bars(12)
    script = {ts(bars, 5): 1, ts(bars, 9): 0}
    clock = ReplayClock(0)
    first = rig_for(engine, bars, script, clock=clock)
    run(first, bars, 5)
    cid = entry_id(bars, 5)
    # A new simulator and coordinator on the same store: the bar already done is skipped.
    second = rig_for(engine, bars, script, clock=clock)
    assert not push(second, bars, 5).processed
    # A crash before the cursor moved: the bar comes again and decides the same entry.
    second.state.set_cursor(f"{SYMBOL}|{TF}", ts(bars, 4))
    third = rig_for(engine, bars, script, clock=clock)
    outcome = push(third, bars, 5)
    assert outcome.processed
    assert [o.client_id for o in outcome.orders] == [cid]
    assert venue_orders(third, cid) == 1
    assert kinds_for(third, cid) == ["decision", "intent", "order"]
    run(third, bars, 11, start=6)
    assert [f.role for f in third.state.fills()] == [Role.ENTRY, Role.EXIT]
    assert third.state.position("s", SYMBOL).qty == 0


def test_a_crash_between_intent_and_submit_is_resolved_by_the_replayed_bar(engine: Engine) -> None:
    bars = flat_bars(10)
    script = {ts(bars, 5): 1}
    clock = ReplayClock(0)

    def crash(request: Request) -> None:
        if request.method == "submit":
            raise SystemExit("process killed")  # not a broker error: nothing handles it

    crashing = rig_for(engine, bars, script, clock=clock, fault_hook=crash)
    run(crashing, bars, 4)
    with pytest.raises(SystemExit):
        push(crashing, bars, 5)
    cid = entry_id(bars, 5)
    assert crashing.state.get_order(cid).status is OrderStatus.PENDING  # type: ignore[union-attr]
    assert venue_orders(crashing, cid) == 0
    restarted = rig_for(engine, bars, script, clock=clock)
    push(restarted, bars, 5)  # re-delivered: not yet processed
    assert restarted.state.get_order(cid).status is OrderStatus.OPEN  # type: ignore[union-attr]
    assert venue_orders(restarted, cid) == 1
    assert kinds_for(restarted, cid) == ["decision", "intent", "order"]


@pytest.mark.parametrize("stage", ["received", "accepted"])
def test_a_timeout_on_submit_never_yields_a_second_order(engine: Engine, stage: str) -> None:
    bars = flat_bars(8)
    submits: list[str] = []
    faults = [True]

    def timeout_once(request: Request) -> None:
        if request.method == "submit" and request.stage == "received":
            submits.append(request.client_id or "")
        if request.method == "submit" and request.stage == stage and faults:
            faults.clear()
            raise Transient(f"sim submit: timeout at {stage} (test)")

    rig = rig_for(engine, bars, {ts(bars, 5): 1}, fault_hook=timeout_once)
    run(rig, bars, 6)
    cid = entry_id(bars, 5)
    assert venue_orders(rig, cid) == 1
    order = rig.state.get_order(cid)
    assert order is not None
    assert order.status is OrderStatus.FILLED
    assert kinds_for(rig, cid)[:3] == ["decision", "intent", "order"]
    [outcome] = [r for r in rig.records("order") if r.payload["client_id"] == cid][:1]
    if stage == "received":  # never reached the venue: resolved as absent, resubmitted once
        assert submits[:2] == [cid, cid]
        assert outcome.payload["attempts"] == 2
        assert rig.sleeps == [RetryPolicy().delay(1)]
    else:  # placed, answer lost: resolved and adopted, never submitted again
        assert submits[:2] != [cid, cid]
        assert outcome.payload["attempts"] == 1
        assert rig.sleeps == []


def test_rate_limited_waits_what_the_venue_asks(engine: Engine) -> None:
    bars = flat_bars(8)
    faults = [RateLimited("429 (test)", retry_after_s=7.0)]

    def limited(request: Request) -> None:
        if request.method == "submit" and request.stage == "received" and faults:
            raise faults.pop()

    rig = rig_for(engine, bars, {ts(bars, 5): 1}, fault_hook=limited)
    run(rig, bars, 5)
    assert rig.sleeps == [7.0]
    assert venue_orders(rig, entry_id(bars, 5)) == 1


def test_an_unanswered_order_stays_unknown_until_a_later_bar_resolves_it(engine: Engine) -> None:
    bars = flat_bars(10)
    down = [True]

    def outage(request: Request) -> None:
        if not down:
            return
        if request.method == "resolve" or (request.method == "submit"
                                           and request.stage == "accepted"):  # fmt: skip
            raise Transient(f"sim {request.method}: timeout (test)")

    rig = rig_for(engine, bars, {ts(bars, 5): 1}, fault_hook=outage,
                  retry=RetryPolicy(max_attempts=3, base_s=1.0, cap_s=1.5))  # fmt: skip
    run(rig, bars, 5)
    cid = entry_id(bars, 5)
    order = rig.state.get_order(cid)
    assert order is not None
    assert order.status is OrderStatus.UNKNOWN
    assert "gave up after 3 attempts" in order.order.reason
    assert rig.sleeps == [1.0, 1.5]  # capped exponential back-off, none after the last try
    assert venue_orders(rig, cid) == 1  # placed once (the answers were lost), never twice
    statuses = [r.payload["status"] for r in rig.records("order") if r.payload["client_id"] == cid]
    assert statuses == ["unknown"]
    down.clear()
    push(rig, bars, 6)  # the venue answers again: resolved by querying, adopted (filled at 6)
    order = rig.state.get_order(cid)
    assert order is not None
    assert order.status is OrderStatus.FILLED
    assert venue_orders(rig, cid) == 1
    assert rig.state.position("s", SYMBOL).qty == QTY


def test_a_rejected_submit_is_not_retried(engine: Engine) -> None:
    bars = flat_bars(8)

    def reject(request: Request) -> None:
        if request.method == "submit" and request.stage == "received":
            raise InvalidOrder("filter failure (test)")

    rig = rig_for(engine, bars, {ts(bars, 5): 1}, fault_hook=reject)
    run(rig, bars, 6)
    order = rig.state.get_order(entry_id(bars, 5))
    assert order is not None
    assert order.status is OrderStatus.REJECTED
    assert order.order.reason.startswith("InvalidOrder: filter failure")
    assert rig.sleeps == []


def test_a_denied_order_is_journaled_with_its_reason(engine: Engine) -> None:
    bars = flat_bars(8)
    rig = rig_for(engine, bars, {ts(bars, 5): 1})
    rig.coordinator.set_limits(actor="ops", max_order_notional=Decimal("100"))
    run(rig, bars, 7)
    cid = entry_id(bars, 5)
    [decision] = [r for r in rig.records("decision") if r.payload["client_id"] == cid]
    assert decision.payload["allowed"] is False
    assert decision.payload["rule"] == "max_order_notional"
    assert decision.payload["reason"] == "order notional 200.000000 exceeds the limit 100"
    assert kinds_for(rig, cid) == ["decision"]  # no intent, nothing submitted
    assert venue_orders(rig, cid) == 0
    order = rig.state.get_order(cid)
    assert order is not None
    assert order.status is OrderStatus.REJECTED
    assert order.order.reason.startswith("denied by max_order_notional")
    [config] = rig.records("config")
    assert config.actor == "ops"
    assert config.payload["limits"]["after"]["max_order_notional"] == "100"


def test_kill_switch_blocks_entries_but_lets_exits_through(engine: Engine) -> None:
    bars = flat_bars(16)
    rig = rig_for(engine, bars, {ts(bars, 3): 1, ts(bars, 8): 0, ts(bars, 11): 1})
    run(rig, bars, 5)
    assert rig.state.position("s", SYMBOL).qty == QTY
    rig.coordinator.kill_switch(True, actor="ops")
    assert rig.coordinator.limits().kill_switch
    assert rig.coordinator.status().kill_switch
    run(rig, bars, 13, start=6)
    assert rig.state.position("s", SYMBOL).qty == 0  # the exit passed
    exit_id = client_order_id("s", SYMBOL, ts(bars, 8), "exit")
    [exit_decision] = [r for r in rig.records("decision") if r.payload["client_id"] == exit_id]
    assert exit_decision.payload["allowed"] is True
    [denied] = [r for r in rig.records("decision") if r.payload["client_id"] == entry_id(bars, 11)]
    assert (denied.payload["allowed"], denied.payload["rule"]) == (False, "kill_switch")
    [operator] = rig.records("operator")
    assert operator.actor == "ops"
    assert operator.payload == {"action": "kill_switch", "on": True}


def test_a_disabled_strategy_makes_no_entries(engine: Engine) -> None:
    bars = flat_bars(8)
    rig = rig_for(engine, bars, {ts(bars, 5): 1})
    control = rig.coordinator.set_strategy_control("s", actor="ops", enabled=False)
    assert control.enabled is False
    restarted = rig_for(engine, bars, {ts(bars, 5): 1}, clock=rig.clock)  # persisted, not in memory
    assert restarted.coordinator.strategies()[0].control.enabled is False
    run(restarted, bars, 7)
    [decision] = restarted.records("decision")
    assert (decision.payload["allowed"], decision.payload["rule"]) == (False, "strategy_disabled")
    [config] = restarted.records("config")
    assert config.actor == "ops"
    assert config.payload["after"]["enabled"] is False
    with pytest.raises(NotFoundError):
        restarted.coordinator.set_strategy_control("nope", actor="ops", enabled=False)
    with pytest.raises(ValidationError):
        restarted.coordinator.set_strategy_control("s", actor="ops", max_daily_trades=-1)


def test_day_counters_roll_at_utc_midnight(engine: Engine) -> None:
    bars = flat_bars(30, start="2023-01-10")  # 00:00 on the 10th → 05:00 on the 11th
    script = {ts(bars, 2): 1, ts(bars, 5): 0, ts(bars, 8): 1, ts(bars, 10): 0, ts(bars, 26): 1}
    rig = rig_for(engine, bars, script)
    rig.coordinator.set_limits(actor="ops", max_trades_per_day=1)
    run(rig, bars, 27)
    allowed = [(r.payload["client_id"], r.payload["allowed"], r.payload["rule"])
               for r in rig.records("decision") if r.payload["role"] == "entry"]  # fmt: skip
    assert allowed == [
        (entry_id(bars, 2), True, "ok"),
        (entry_id(bars, 8), False, "max_trades_per_day"),  # the 10th already had its trade
        (entry_id(bars, 26), True, "ok"),  # the 11th starts from zero
    ]
    first, second = rig.state.day("2023-01-10"), rig.state.day("2023-01-11")
    assert (first.trades, second.trades) == (1, 1)
    assert rig.state.day("2023-01-11", "s").trades == 1
    assert first.start_of_day_equity == Decimal("10000")
    assert second.start_of_day_equity is not None
    assert second.start_of_day_equity < Decimal("10000")
    assert rig.coordinator.pnl().day == utc_day(rig.clock.now_ms()) == "2023-01-11"


OCO = BacktestConfig(sizing=FixedQuantity(qty=0.01), exits=Exits(stop_loss=0.02, take_profit=0.05))


@pytest.mark.parametrize(("low", "high", "filled", "cancelled"),
                         [(19_500.0, 20_100.0, Role.STOP, Role.TARGET),
                          (19_900.0, 21_100.0, Role.TARGET, Role.STOP)])  # fmt: skip
def test_one_protective_fill_cancels_the_other(
    engine: Engine, low: float, high: float, filled: Role, cancelled: Role
) -> None:
    quiet = (20_000.0, 20_050.0, 19_950.0, 20_000.0)
    bars = synthetic([quiet] * 6 + [(20_000.0, high, low, 20_000.0)] + [quiet] * 3)
    # Spot: each resting sell reserves its base, so the account holds enough for both legs.
    rig = rig_for(engine, bars, {ts(bars, 2): 1}, config=OCO,
                  start_balances={"USDT": Decimal(10_000), "BTC": QTY})  # fmt: skip
    rig.coordinator.set_limits(actor="ops", max_symbol_exposure=None, max_gross_exposure=None)
    run(rig, bars, 4)
    children = {o.role: o for o in rig.state.orders(parent_id=entry_id(bars, 2))}
    assert children[Role.STOP].order.stop_price == Decimal("19600.00")
    assert children[Role.TARGET].order.price == Decimal("21000.00")
    assert all(o.status is OrderStatus.OPEN for o in children.values())
    run(rig, bars, 7, start=5)
    after = {o.role: o for o in rig.state.orders(parent_id=entry_id(bars, 2))}
    assert after[filled].status is OrderStatus.FILLED
    assert after[cancelled].status is OrderStatus.CANCELED
    assert rig.state.position("s", SYMBOL).qty == 0
    [cancel] = rig.records("cancel")
    assert cancel.payload["client_id"] == after[cancelled].client_id
    assert "one-cancels-other" in cancel.payload["reason"]
    assert rig.broker.open_orders(SYMBOL) == []


def test_on_spot_a_target_the_balance_cannot_cover_is_refused_and_the_stop_stays(
    engine: Engine,
) -> None:
    bars = flat_bars(6)
    rig = rig_for(engine, bars, {ts(bars, 2): 1}, config=OCO)
    run(rig, bars, 4)
    children = {o.role: o for o in rig.state.orders(parent_id=entry_id(bars, 2))}
    assert children[Role.STOP].status is OrderStatus.OPEN
    assert children[Role.TARGET].status is OrderStatus.REJECTED
    assert children[Role.TARGET].order.reason.startswith("InsufficientFunds")


def test_manual_trades_pass_the_guard_and_operators_cancel(engine: Engine) -> None:
    bars = flat_bars(6)
    rig = rig_for(engine, bars, {})
    run(rig, bars, 2)
    coordinator = rig.coordinator
    no_stop = coordinator.manual_trade(SYMBOL, "buy", "0.01", actor="alice")
    assert no_stop.status is OrderStatus.REJECTED
    assert "stop_required" in no_stop.order.reason
    resting = coordinator.manual_trade(SYMBOL, "buy", "0.01", "limit", price="19000",
                                       stop="18500", actor="alice")  # fmt: skip
    assert resting.status is OrderStatus.OPEN
    assert resting.strategy == "manual"
    assert {r.actor for r in rig.records("intent")} == {"alice"}
    again = coordinator.manual_trade(SYMBOL, "buy", "0.01", "limit", price="19000", stop="18500",
                                     actor="alice", client_id=resting.client_id)  # fmt: skip
    assert again.client_id == resting.client_id
    assert venue_orders(rig, resting.client_id) == 1
    cancelled = coordinator.cancel(resting.client_id, actor="bob")
    assert cancelled.status is OrderStatus.CANCELED
    assert [r.kind for r in rig.records("operator", "cancel")] == ["operator", "cancel"]
    assert coordinator.orders(open_only=True) == []
    with pytest.raises(NotFoundError):
        coordinator.cancel("ait-nope", actor="bob")


def test_read_models_and_sync(engine: Engine) -> None:
    bars = flat_bars(10)
    rig = rig_for(engine, bars, {ts(bars, 2): 1})
    run(rig, bars, 5)
    c = rig.coordinator
    status = c.status()
    assert (status.venue, status.testnet, status.strategies) == ("sim", True, ["s"])
    assert status.cursors == {f"{SYMBOL}|{TF}": ts(bars, 5)}
    assert status.open_orders == 1
    assert [o.role for o in c.orders(open_only=True)] == [Role.STOP]
    assert [f.role for f in c.fills()] == [Role.ENTRY]
    [view] = c.strategies()
    assert (view.name, view.position, view.last_bar_ms) == ("s", QTY, ts(bars, 5))
    pnl = c.pnl()
    assert pnl.start_of_day_equity == Decimal("10000")
    assert pnl.trades_today == 1
    assert pnl.realized == Decimal("-0.2000000")  # the entry's fee
    assert pnl.unrealized == 0
    assert pnl.drawdown <= 0
    assert pnl.equity == Decimal("10000") - Decimal("0.2")
    fills_before = len(rig.records("fill"))
    report = c.sync()
    assert report.fills == []
    assert len(rig.records("fill")) == fills_before


@settings(max_examples=12, deadline=None)
@given(
    script=st.lists(st.sampled_from([0, 1]), min_size=10, max_size=10),
    max_notional=st.sampled_from([None, Decimal("100"), Decimal("1000")]),
    max_trades=st.sampled_from([None, 0, 1, 2]),
    kill_at=st.sampled_from([None, 3, 6]),
)
def test_every_venue_order_was_allowed_and_journaled_before_it_left(
    tmp_path_factory: pytest.TempPathFactory,
    script: list[int],
    max_notional: Decimal | None,
    max_trades: int | None,
    kill_at: int | None,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('prop') / 'store.db'}")
    upgrade(engine)
    bars = flat_bars(len(script) + 2)
    rig = rig_for(engine, bars, {ts(bars, i): d for i, d in enumerate(script)})
    rig.coordinator.set_limits(actor="ops", max_order_notional=max_notional,
                               max_trades_per_day=max_trades)  # fmt: skip
    for i in range(len(bars)):
        if i == kill_at:
            rig.coordinator.kill_switch(True, actor="ops")
        push(rig, bars, i)
    records = rig.records()
    first = {}
    for r in records:
        first.setdefault((r.kind, r.payload.get("client_id")), r.seq)
    for live in rig.coordinator.orders():
        cid, sent = live.client_id, venue_orders(rig, live.client_id)
        decision = next(
            r for r in records if r.kind == "decision" and r.payload["client_id"] == cid
        )
        if not decision.payload["allowed"]:
            assert sent == 0
            assert ("intent", cid) not in first
            continue
        assert sent == 1
        assert first[("decision", cid)] < first[("intent", cid)] < first[("order", cid)]
    entries = [o for o in rig.coordinator.orders() if o.role is Role.ENTRY
               and o.status is not OrderStatus.REJECTED]  # fmt: skip
    if max_trades is not None:
        assert len(entries) <= max_trades  # one UTC day of bars
    if max_notional is not None:
        assert all(o.order.qty * Decimal("20000") <= max_notional for o in entries)
    if kill_at is not None:
        assert all(o.bar_ts is not None and o.bar_ts < ts(bars, kill_at) for o in entries)
    engine.dispose()


def test_a_venue_filling_at_once_is_booked_and_protected_in_the_same_bar(engine: Engine) -> None:
    bars = flat_bars(8)
    rig = rig_for(engine, bars, {ts(bars, 5): 1}, sim_config=SimulatorConfig(fill_on="close"))
    outcome = push(rig, bars, 5)
    assert [f.role for f in outcome.fills] == [Role.ENTRY]
    assert outcome.fills[0].fill.ts_ms == ts(bars, 6)  # at the decision close (= next open time)
    assert {o.role for o in rig.coordinator.orders(open_only=True)} == {Role.STOP}
