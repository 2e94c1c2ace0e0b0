"""The live state repository on a real store: exact decimals, idempotent upserts, validation."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import Engine, func, select, update

from aitrader_core.clock import ReplayClock
from aitrader_core.domain.orders import Fill, Order, OrderStatus, OrderType, Position, Side
from aitrader_core.errors import ConfigError
from aitrader_core.live.state import ACCOUNT, LiveFill, LiveOrder, LiveStateRepository, Role
from aitrader_core.live.tables import live_orders, live_risk_limits
from aitrader_core.risk import RiskLimits, StrategyControl
from aitrader_core.store import make_engine

T0 = 1_700_000_000_000


@pytest.fixture
def repo(engine: Engine) -> LiveStateRepository:
    return LiveStateRepository(engine, ReplayClock(T0))


def order(cid: str, **changes: object) -> LiveOrder:
    base = Order(cid, "BTC/USDT", Side.BUY, OrderType.MARKET, Decimal("0.01000"), created_ms=T0)
    return LiveOrder(replace(base, **changes), "s", Role.ENTRY, None, T0 - 3_600_000)  # type: ignore[arg-type]


def test_the_repository_needs_migration_0005() -> None:
    with pytest.raises(ConfigError, match="migration 0005"):
        LiveStateRepository(make_engine("sqlite://"), ReplayClock(0))


def test_orders_round_trip_and_upsert_in_place(repo: LiveStateRepository) -> None:
    entry = repo.save_order(order("a"))
    assert entry.order == order("a").order
    assert entry.updated_ms == T0
    stop = LiveOrder(Order("b", "BTC/USDT", Side.SELL, OrderType.STOP, Decimal("0.01"),
                           stop_price=Decimal("19600.00"), created_ms=T0 + 1),
                     "s", Role.STOP, parent_id="a")  # fmt: skip
    repo.save_order(stop)
    repo.save_order(order("c", status=OrderStatus.REJECTED, reason="denied"))
    assert [o.client_id for o in repo.orders(open_only=True)] == ["b", "a"]  # newest first
    assert [o.client_id for o in repo.orders(parent_id="a")] == ["b"]
    filled = replace(entry.order, status=OrderStatus.FILLED, filled_qty=Decimal("0.01000"),
                     avg_price=Decimal("20000.10"), venue_id="sim-1")  # fmt: skip
    repo.clock.advance(5)  # type: ignore[attr-defined]
    again = repo.save_order(replace(entry, order=filled))
    assert again.order == filled
    assert again.updated_ms == T0 + 5
    with repo.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(live_orders)).scalar_one() == 3
    assert repo.get_order("zzz") is None
    assert [o.client_id for o in repo.orders(strategy="s", symbol="BTC/USDT", limit=1)] == ["b"]


def test_a_fill_is_recorded_once_with_its_order_and_position(repo: LiveStateRepository) -> None:
    live = repo.save_order(order("a"))
    fill = Fill("a", "sim-1-1", "BTC/USDT", Side.BUY, Decimal("0.01000"), Decimal("20000.00"),
                Decimal("0.2000000"), "USDT", T0)  # fmt: skip
    position = Position("BTC/USDT").apply(Side.BUY, fill.qty, fill.price, fill.fee)
    after = replace(live, order=replace(live.order, status=OrderStatus.FILLED,
                                        filled_qty=fill.qty, avg_price=fill.price))  # fmt: skip
    assert repo.apply_fill(LiveFill(fill, "s", Role.ENTRY), after, position)
    assert not repo.apply_fill(LiveFill(fill, "s", Role.ENTRY), after, position)
    assert [f.fill for f in repo.fills()] == [fill]
    assert repo.fills(client_id="a") == repo.fills(strategy="s") == repo.fills(since_ms=T0)
    assert repo.fills(since_ms=T0 + 1) == []
    assert repo.position("s", "BTC/USDT") == position
    assert repo.positions() == {("s", "BTC/USDT"): position}
    assert repo.position("s", "ETH/USDT") == Position("ETH/USDT")
    assert repo.get_order("a").status is OrderStatus.FILLED  # type: ignore[union-attr]


def test_controls_and_limits_persist_and_are_validated_on_read(repo: LiveStateRepository) -> None:
    assert repo.control("s") == StrategyControl()
    assert repo.controls() == {}
    repo.set_control("s", StrategyControl(enabled=False, max_risk_fraction=Decimal("0.005")),
                     actor="ops")  # fmt: skip
    fresh = LiveStateRepository(repo.engine, ReplayClock(T0))
    assert fresh.control("s") == StrategyControl(enabled=False, max_risk_fraction=Decimal("0.005"))
    assert fresh.limits() == RiskLimits()
    fresh.set_limits(RiskLimits(kill_switch=True, max_order_notional=None), actor="ops")
    assert repo.limits() == RiskLimits(kill_switch=True, max_order_notional=None)
    with repo.engine.begin() as conn:  # someone edits the row by hand, badly
        conn.execute(update(live_risk_limits).values(limits='{"max_daily_loss": "2"}'))
    with pytest.raises(PydanticValidationError):
        repo.limits()


def test_day_counters_keep_the_start_and_follow_the_peak(repo: LiveStateRepository) -> None:
    day = repo.open_day("2023-01-10", Decimal("10000"))
    assert (day.start_of_day_equity, day.peak_equity) == (Decimal("10000"), Decimal("10000"))
    repo.open_day("2023-01-10", Decimal("10100"))
    day = repo.open_day("2023-01-10", Decimal("9900"))
    assert (day.start_of_day_equity, day.peak_equity) == (Decimal("10000"), Decimal("10100"))
    repo.count_trade("2023-01-10", "s")
    repo.count_trade("2023-01-10", "t")
    assert repo.day("2023-01-10").trades == 2
    assert repo.day("2023-01-10", "s").trades == 1
    assert repo.day("2023-01-10").peak_equity == Decimal("10100")  # kept by the count
    assert set(repo.days("2023-01-10")) == {ACCOUNT, "s", "t"}
    assert repo.day("2023-01-11").trades == 0
    assert repo.days("2023-01-11") == {}


def test_cursors_and_snapshots(repo: LiveStateRepository) -> None:
    repo.set_cursor("BTC/USDT|1h", 5)
    repo.set_cursor("BTC/USDT|1h", 7)
    assert repo.cursor("BTC/USDT|1h") == 7
    assert repo.cursors() == {"BTC/USDT|1h": 7}
    state = {"executor": "grid", "levels": [1, 2], "qty": "0.1"}
    repo.save_snapshot("grid-1", state)
    repo.save_snapshot("grid-0", {})
    assert repo.load_snapshot("grid-1") == state
    assert repo.load_snapshot("none") is None
    assert repo.snapshot_names() == ["grid-0", "grid-1"]


amounts = st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal("1e9"), places=8)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(qty=amounts, price=amounts, filled=amounts, times=st.integers(1, 3))
def test_amounts_are_exact_and_upserts_idempotent(
    repo: LiveStateRepository, qty: Decimal, price: Decimal, filled: Decimal, times: int
) -> None:
    cid = f"h-{qty}-{price}-{filled}"
    live = order(cid, type=OrderType.LIMIT, qty=qty, price=price, filled_qty=filled,
                 avg_price=price, status=OrderStatus.PARTIALLY_FILLED)  # fmt: skip
    for _ in range(times):
        repo.save_order(live)
    back = repo.get_order(cid)
    assert back is not None
    assert back.order == live.order
    assert str(back.order.qty) == str(qty)  # the exact text, trailing zeros too
    with repo.engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(live_orders)
                         .where(live_orders.c.client_id == cid)).scalar_one()  # fmt: skip
    assert n == 1
