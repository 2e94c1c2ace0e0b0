"""Reconciliation finds and journals what the normal path missed (issue 7).

A paper desk on real BTC/ETH candles; then, behind the coordinator's back: an
order opened directly at the venue (no client-id prefix of ours), a deposit
(balance drift), and one of our fills the recorder skipped. Each is found,
classified, journaled before anything is done, and compensated per policy.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import update

from aitrader_core.app import App
from aitrader_core.brokers.simulator import SimulatedBroker
from aitrader_core.domain.orders import Order, OrderStatus, OrderType, Side
from aitrader_core.live.reconcile import ReconcilePolicy
from aitrader_core.live.recovery import Reconciler
from aitrader_core.settings import Settings
from aitrader_core.store.schema import sim_balances
from tests.conftest import SAMPLE

TOKEN = "reconcile-test-token"  # noqa: S105 - a test credential


@pytest.fixture
def desk(db_url: str, tmp_path: Path) -> Iterator[App]:
    app = App.from_settings(Settings(home=tmp_path, db_url=db_url, api_token=TOKEN, _env_file=None))
    app.upgrade_db()
    for pair, name in (("BTC/USDT", "BTCUSDT"), ("ETH/USDT", "ETHUSDT")):
        frame = pd.read_csv(SAMPLE / f"{name}_1h_20230101_20240110.csv.gz")
        window = frame[(frame["timestamp"] >= "2023-07-01") & (frame["timestamp"] < "2023-10-01")]
        app.store_candles("binance", pair, "1h", window)
    app.live.recover()
    for _ in range(3):
        app.live.step()
    yield app
    app.close()


def _records(app: App, kind: str = "reconciliation") -> list[dict]:
    return [r.payload for r in app.journal.records() if r.kind == kind]


def _sim(app: App) -> SimulatedBroker:
    gateway = app.live.gateway
    assert isinstance(gateway, SimulatedBroker)
    return gateway


def test_a_clean_start_finds_nothing(desk: App) -> None:
    report = desk.live.reconcile()
    assert report.clean
    assert report.discrepancies == []


def test_external_order_is_reported_then_cancelled_by_policy(desk: App) -> None:
    sim = _sim(desk)
    mark = desk.live.call(lambda c: c.status().marks["BTC/USDT"])
    price = (mark * Decimal("0.5")).quantize(Decimal("0.01"))
    external = Order(
        "by-hand-at-the-venue-1", "BTC/USDT", Side.BUY, OrderType.LIMIT, Decimal("0.001"), price
    )
    sim.submit(external)
    report = desk.live.reconcile()
    kinds = {d.kind for d in report.discrepancies}
    assert "unknown_external_order" in kinds
    assert not report.clean  # "report" policy: an operator decides
    journaled = _records(desk)
    assert any(p.get("kind") == "unknown_external_order" for p in journaled), journaled[-5:]
    assert sim.fetch_order(external.client_id, "BTC/USDT").status is OrderStatus.OPEN

    coordinator = desk.live.build()
    cancelling = Reconciler(coordinator, ReconcilePolicy(external_orders="cancel"))
    with desk.live.locked():
        second = cancelling.run(reason="test")
    assert any(type(a).__name__ == "CancelOrder" for a in second.actions)
    assert sim.fetch_order(external.client_id, "BTC/USDT").status is OrderStatus.CANCELED


def test_a_deposit_is_balance_drift(desk: App) -> None:
    desk.live.reconcile()  # baseline taken
    with desk.engine.begin() as conn:
        row = conn.execute(sim_balances.select().where(sim_balances.c.asset == "USDT")).one()
        conn.execute(
            update(sim_balances)
            .where(sim_balances.c.asset == "USDT")
            .values(free=str(Decimal(row.free) + Decimal("250")))
        )
    report = desk.live.reconcile()
    drift = [d for d in report.discrepancies if d.kind == "balance_drift"]
    assert len(drift) == 1
    assert drift[0].asset == "USDT"
    assert Decimal(str(drift[0].theirs)) - Decimal(str(drift[0].ours)) == Decimal("250")
    assert drift[0] in report.alerts
    assert any(p.get("kind") == "balance_drift" for p in _records(desk))


def test_a_fill_the_journal_lacks_is_recorded(desk: App) -> None:
    desk.live.reconcile()
    coordinator = desk.live.build()
    order = desk.live.call(
        lambda c: c.manual_trade(
            "BTC/USDT", "buy", "0.002", stop="20000", actor="test", client_id="manual-reconcile-01"
        )
    )
    assert order.status is OrderStatus.OPEN
    # The recorder's watermark jumps past the coming fill: the normal path will miss it.
    far = 10**13
    coordinator.state.set_cursor("fills|BTC/USDT", far)
    coordinator._fills._watermarks["fills|BTC/USDT"] = far
    desk.live.step()  # the venue fills the market order on the next bar
    assert [f for f in coordinator.fills() if f.fill.client_id == order.client_id] == []
    journal_fills = len(_records(desk, "fill"))

    report = desk.live.reconcile()
    missing = [d for d in report.discrepancies if d.kind == "missing_fill"]
    assert [d.trade_id for d in missing]
    booked = [f for f in coordinator.fills() if f.fill.client_id == order.client_id]
    assert {f.fill.trade_id for f in booked} == {d.trade_id for d in missing}
    assert len(_records(desk, "fill")) == journal_fills + len(missing)
    seq = [r for r in desk.journal.records() if r.kind in ("reconciliation", "fill")]
    first_step = next(i for i, r in enumerate(seq) if r.payload.get("kind") == "missing_fill")
    first_fill = next(i for i, r in enumerate(seq) if r.kind == "fill" and i > first_step)
    assert first_step < first_fill  # journaled before it was acted on
    assert desk.live.reconcile().discrepancies == []  # nothing left
    assert desk.verify_journal().ok
