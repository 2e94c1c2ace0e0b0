"""SimulatedBroker by hand: fill prices, fees, resting orders, partial fills, restarts.

Every expected price is worked out here from the rules of
:mod:`aitrader_core.backtest.fills` (and, where it says so, checked against
``fill_order`` itself on the same bar).
"""

from __future__ import annotations

import contextlib
import math
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlalchemy.pool import StaticPool

from aitrader_core.backtest import fills as fm
from aitrader_core.backtest.config import Costs
from aitrader_core.brokers import make_gateway
from aitrader_core.brokers.base import (
    DuplicateOrder,
    InsufficientFunds,
    InvalidOrder,
    OrderNotFound,
)
from aitrader_core.brokers.simulator import (
    SimulatedBroker,
    SimulatorConfig,
    make_simulated_gateway,
)
from aitrader_core.clock import ReplayClock
from aitrader_core.domain.orders import Balance, Order, OrderStatus, OrderType, Side, TimeInForce
from aitrader_core.errors import ConfigError, ValidationError
from aitrader_core.store import make_engine, upgrade

D = Decimal
T0 = 1_700_000_000_000
HOUR = 3_600_000
BTC = "BTC/USDT"
COSTS = Costs(maker_fee=0.0005, taker_fee=0.001, slippage_bps=10.0)


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    eng = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(eng)
    return eng


@pytest.fixture
def clock() -> ReplayClock:
    return ReplayClock(T0)


def broker(engine: Engine, clock: ReplayClock, **config: object) -> SimulatedBroker:
    cfg = SimulatorConfig(costs=COSTS, **config)
    return SimulatedBroker(engine, config=cfg, clock=clock, start_balances={"USDT": D(10_000)})


def bar(sim: SimulatedBroker, ts: int, o: str, h: str, low: str, c: str, v: str = "1000") -> list:
    return sim.on_bar(BTC, ts, D(o), D(h), D(low), D(c), D(v))


def order(cid: str, side: Side, kind: OrderType, qty: str, price: str | None = None,
          stop: str | None = None, tif: TimeInForce = TimeInForce.GTC) -> Order:  # fmt: skip
    return Order(cid, BTC, side, kind, D(qty), None if price is None else D(price),
                 None if stop is None else D(stop), tif)  # fmt: skip


def test_market_buy_fills_at_the_next_open_plus_slippage_with_the_exact_fee(
    engine: Engine, clock: ReplayClock
) -> None:
    sim = broker(engine, clock)
    bar(sim, T0 - HOUR, "59000", "60100", "58900", "60000")  # the bar that just closed
    placed = sim.submit(order("m1", Side.BUY, OrderType.MARKET, "0.1"))
    assert placed.status is OrderStatus.OPEN
    assert placed.venue_id == "sim-1"
    assert sim.balances()["USDT"].locked == D("6000.000")  # 0.1 at the last close
    assert bar(sim, T0 - HOUR, "1", "1", "1", "1") == []  # a bar that opened before: not used
    clock.advance(HOUR)
    (fill,) = bar(sim, T0, "60050", "60500", "60000", "60400")
    # 60050 * (1 + 10 bps) = 60110.05, on the 0.01 tick; taker fee 0.1 % of 6011.005
    assert (fill.qty, fill.price, fill.fee, fill.fee_asset) == (
        D("0.1"), D("60110.05"), D("6.011005"), "USDT")  # fmt: skip
    assert fill.ts_ms == T0
    got = sim.fetch_order("m1", BTC)
    assert got.status is OrderStatus.FILLED
    assert got.avg_price == D("60110.05")
    usdt, btc = sim.balances()["USDT"], sim.balances()["BTC"]
    assert usdt.free == D(10_000) - D("6011.005") - D("6.011005")
    assert usdt.locked == 0
    assert (btc.free, btc.locked) == (D("0.1"), 0)
    assert sim.open_orders() == []


def test_fill_on_close_fills_at_once_at_the_last_close(engine: Engine, clock: ReplayClock) -> None:
    sim = broker(engine, clock, fill_on="close")
    bar(sim, T0 - HOUR, "59000", "60100", "58900", "60000")
    placed = sim.submit(order("c1", Side.BUY, OrderType.MARKET, "0.1"))
    assert placed.status is OrderStatus.FILLED
    assert placed.avg_price == D("60060.00")  # 60000 + 10 bps


def test_limit_rests_until_a_bar_low_crosses_it(engine: Engine, clock: ReplayClock) -> None:
    sim = broker(engine, clock)
    sim.submit(order("l1", Side.BUY, OrderType.LIMIT, "0.05", "59000.009"))
    assert sim.balances()["USDT"].locked == D("2950.00000")  # snapped down to 59000.00
    for n, low in enumerate(("59500", "59000.01", "59200")):
        clock.advance(HOUR)
        assert bar(sim, clock.now_ms(), "60000", "60100", low, "60000") == [], n
    assert sim.fetch_order("l1", BTC).status is OrderStatus.OPEN
    clock.advance(HOUR)
    (fill,) = bar(sim, clock.now_ms(), "60000", "60100", "58800", "59900")
    # touched inside the bar: the limit itself, no slippage, maker fee 0.05 %
    assert (fill.price, fill.fee) == (D("59000.00"), D("2950") * D("0.0005"))
    bal = sim.balances()["USDT"]
    assert bal.locked == 0
    assert bal.free == D(10_000) - D(2950) - D("1.475")


def test_a_limit_the_open_gaps_through_fills_at_the_open_as_taker(
    engine: Engine, clock: ReplayClock
) -> None:
    sim = broker(engine, clock)
    sim.submit(order("l2", Side.BUY, OrderType.LIMIT, "0.05", "59000"))
    clock.advance(HOUR)
    (fill,) = bar(sim, clock.now_ms(), "58500", "58700", "58400", "58600")
    assert (fill.price, fill.fee) == (D("58500.00"), D("2925") * D("0.001"))
    # it reserved 0.05 × 59000 and spent less: the difference is free again
    assert sim.balances()["USDT"].free == D(10_000) - D(2925) - D("2.925")


def test_a_stop_gapping_through_fills_at_the_open(engine: Engine, clock: ReplayClock) -> None:
    sim = broker(engine, clock, fill_on="close")
    bar(sim, T0 - HOUR, "60000", "60000", "60000", "60000")
    sim.submit(order("buy", Side.BUY, OrderType.MARKET, "0.1"))
    sim.submit(order("stop", Side.SELL, OrderType.STOP, "0.1", stop="59000"))
    assert sim.balances()["BTC"].locked == D("0.1")
    clock.advance(HOUR)
    assert bar(sim, clock.now_ms(), "59500", "59900", "59100", "59200") == []
    clock.advance(HOUR)
    (fill,) = bar(sim, clock.now_ms(), "58000", "58200", "57500", "57600")
    # the open is below the stop: the open, minus 10 bps slippage, rounded down
    assert fill.price == D("57942.00")
    assert fill.side is Side.SELL
    assert "BTC" not in sim.balances()
    assert sim.positions() == {}


def test_stop_limit_triggered_in_the_bar_then_rests_as_a_limit(
    engine: Engine, clock: ReplayClock
) -> None:
    sim = broker(engine, clock)
    sim.submit(order("sl", Side.BUY, OrderType.STOP_LIMIT, "0.01", "60500", "61000"))
    clock.advance(HOUR)
    # high reaches the stop 61000, but the limit 60500 is below it: now a resting limit
    assert bar(sim, clock.now_ms(), "60000", "61200", "59900", "61100") == []
    assert sim.fetch_order("sl", BTC).status is OrderStatus.OPEN
    clock.advance(HOUR)
    (fill,) = bar(sim, clock.now_ms(), "61000", "61100", "60400", "60600")
    assert fill.price == D("60500.00")  # the limit, touched inside the bar


def test_partial_fills_follow_max_participation(engine: Engine, clock: ReplayClock) -> None:
    sim = broker(engine, clock, max_participation=0.1)
    sim.submit(order("p", Side.BUY, OrderType.LIMIT, "0.12", "59000"))
    qtys = []
    for volume in ("0.5", "0.5", "3"):
        clock.advance(HOUR)
        (fill,) = bar(sim, clock.now_ms(), "60000", "60100", "58900", "60000", volume)
        qtys.append(fill.qty)
        if len(qtys) < 3:
            got = sim.fetch_order("p", BTC)
            assert got.status is OrderStatus.PARTIALLY_FILLED
            assert got.filled_qty == sum(qtys)
            assert sim.balances()["USDT"].locked == (D("0.12") - sum(qtys)) * 59000
    assert qtys == [D("0.05"), D("0.05"), D("0.02")]  # 10 % of 0.5, then the rest
    got = sim.fetch_order("p", BTC)
    assert got.status is OrderStatus.FILLED
    assert got.avg_price == D(59000)
    assert [f.trade_id for f in sim.fills_since(0)] == ["sim-1-1", "sim-1-2", "sim-1-3"]


def test_latency_delays_eligibility(engine: Engine, clock: ReplayClock) -> None:
    sim = broker(engine, clock, latency_ms=90_000)
    sim.submit(order("lat", Side.BUY, OrderType.LIMIT, "0.01", "59000"))
    assert bar(sim, T0 + 60_000, "58000", "58100", "57900", "58000") == []
    assert len(bar(sim, T0 + 120_000, "58000", "58100", "57900", "58000")) == 1


@pytest.mark.parametrize(
    ("side", "kind", "price", "stop", "ohlc"),
    [
        (Side.BUY, OrderType.MARKET, None, None, ("60013.37", "60100", "59000", "59500")),
        (Side.BUY, OrderType.LIMIT, "59500", None, ("60000", "60100", "59000", "59500")),
        (Side.BUY, OrderType.LIMIT, "59500", None, ("59123.45", "59800", "59000", "59500")),
        (Side.BUY, OrderType.STOP, None, "60050", ("60000", "60300", "59900", "60200")),
        (Side.BUY, OrderType.STOP_LIMIT, "60100", "60050", ("60000", "60300", "59900", "60200")),
        (Side.SELL, OrderType.LIMIT, "60500", None, ("60000", "60600", "59900", "60200")),
        (Side.SELL, OrderType.STOP, None, "59500", ("59333.33", "59400", "59000", "59100")),
    ],
)
def test_fills_reproduce_the_backtest_fill_model(
    engine: Engine,
    clock: ReplayClock,
    side: Side,
    kind: OrderType,
    price: str | None,
    stop: str | None,
    ohlc: tuple[str, str, str, str],
) -> None:
    costs = Costs(maker_fee=0.0004, taker_fee=0.00075, slippage_bps=3.0, volume_impact_bps=20.0)
    sim = SimulatedBroker(engine, clock=clock, config=SimulatorConfig(costs=costs),
                         start_balances={"USDT": D(100_000), "BTC": D(1)})  # fmt: skip
    bar(sim, T0 - HOUR, "60000", "60000", "60000", "60000", "40")
    sim.submit(order("x", side, kind, "0.25", price, stop))
    clock.advance(HOUR)
    (fill,) = bar(sim, clock.now_ms(), *ohlc, "40")
    code = {"market": fm.MARKET, "limit": fm.LIMIT, "stop": fm.STOP, "stop_limit": fm.STOP_LIMIT}
    fc = costs.fill_costs()._replace(tick_size=0.01, lot_step=0.00001)
    want = fm.fill_order(code[kind.value], fm.BUY if side is Side.BUY else fm.SELL, 0.25,
                         math.nan if price is None else float(price),
                         math.nan if stop is None else float(stop),
                         *map(float, ohlc), 40.0, fc)  # fmt: skip
    assert want[0] == fm.FILLED
    assert float(fill.qty) == want[1]
    assert float(fill.price) == pytest.approx(want[2], rel=1e-15)  # the same tick
    assert float(fill.fee) == pytest.approx(want[3], rel=1e-12)


def test_restart_keeps_balances_orders_fills_and_positions(
    engine: Engine, clock: ReplayClock
) -> None:
    sim = broker(engine, clock, fill_on="close")
    bar(sim, T0 - HOUR, "60000", "60000", "60000", "60000")
    sim.submit(order("b1", Side.BUY, OrderType.MARKET, "0.1"))
    sim.submit(order("b2", Side.BUY, OrderType.LIMIT, "0.02", "50000"))
    sim.submit(order("s1", Side.SELL, OrderType.LIMIT, "0.04", "70000"))
    clock.advance(HOUR)
    bar(sim, clock.now_ms(), "60000", "60000", "60000", "60000")
    seen = (sim.balances(), sim.open_orders(), sim.fills_since(0), sim.positions())
    reborn = broker(engine, clock)  # start balances are not applied twice
    assert (reborn.balances(), reborn.open_orders(), reborn.fills_since(0),
            reborn.positions()) == seen  # fmt: skip
    assert reborn.positions()[BTC].qty == D("0.1")
    assert reborn.positions()[BTC].avg_entry == D("60060.00")
    assert [o.client_id for o in reborn.open_orders()] == ["b2", "s1"]
    # the same bar again (a second feed, a replayed bar) changes nothing
    assert bar(reborn, clock.now_ms(), "40000", "80000", "40000", "60000") == []
    clock.advance(HOUR)
    fills = bar(reborn, clock.now_ms(), "60000", "71000", "49000", "60000")
    assert sorted(f.client_id for f in fills) == ["b2", "s1"]
    assert broker(engine, clock).balances()["BTC"].total == D("0.08")


def test_cancel_unlocks_and_refusals_store_nothing(engine: Engine, clock: ReplayClock) -> None:
    sim = broker(engine, clock)
    sim.submit(order("r", Side.BUY, OrderType.LIMIT, "0.1", "50000"))
    assert sim.balances()["USDT"].locked == D(5000)
    with pytest.raises(DuplicateOrder):
        sim.submit(order("r", Side.BUY, OrderType.LIMIT, "0.2", "50000"))
    assert sim.submit(order("r", Side.BUY, OrderType.LIMIT, "0.1", "50000")).venue_id == "sim-1"
    assert sim.cancel("r", BTC).status is OrderStatus.CANCELED
    assert sim.balances()["USDT"] == Balance("USDT", D(10_000))
    with pytest.raises(InsufficientFunds):
        sim.submit(order("nobtc", Side.SELL, OrderType.LIMIT, "0.1", "70000"))
    with pytest.raises(InsufficientFunds):  # 0.1612 × 62000 = 9994.4, with the fee 10004.39
        sim.submit(order("rich", Side.BUY, OrderType.LIMIT, "0.1612", "62000"))
    with pytest.raises(InvalidOrder, match="below the minimum"):
        sim.submit(order("tiny", Side.BUY, OrderType.LIMIT, "0.00005", "50000"))
    with pytest.raises(InvalidOrder, match="no price"):  # no bar yet: nothing to lock against
        sim.submit(order("mkt", Side.BUY, OrderType.MARKET, "0.01"))
    with pytest.raises(InvalidOrder, match="does not trade"):
        sim.submit(Order("doge", "DOGE/USDT", Side.BUY, OrderType.MARKET, D(1)))
    for cid in ("nobtc", "rich", "tiny", "mkt", "doge"):
        assert sim.resolve(cid, BTC) is None
        with pytest.raises(OrderNotFound):
            sim.fetch_order(cid, BTC)
    assert sim.resolve("r", "ETH/USDT") is None  # a client id is looked up per symbol


def test_a_buy_whose_fee_the_cash_cannot_cover_is_cut_and_expires(
    engine: Engine, clock: ReplayClock
) -> None:
    costs = Costs(maker_fee=0.001, taker_fee=0.001)
    sim = SimulatedBroker(engine, clock=clock, config=SimulatorConfig(costs=costs),
                         start_balances={"USDT": D("5005.21")})  # fmt: skip
    sim.submit(order("all", Side.BUY, OrderType.LIMIT, "0.1", "50000"))  # locks 5000, 5 spare
    sim.submit(order("eat", Side.BUY, OrderType.LIMIT, "0.00013", "40000"))  # takes the spare
    assert sim.balances()["USDT"].free == D("0.01")
    clock.advance(HOUR)
    (fill,) = bar(sim, clock.now_ms(), "55000", "55000", "49000", "50000")  # only "all" crosses
    # fill_order's cash cap: 5000.01 / 1.001 / 50000 = 0.099900..., floored to the lot
    assert (fill.client_id, fill.qty, fill.fee) == ("all", D("0.09990"), D("4.995"))
    got = sim.fetch_order("all", BTC)
    assert got.status is OrderStatus.EXPIRED
    assert "insufficient funds" in got.reason
    usdt = sim.balances()["USDT"]
    assert usdt.free == D("0.015")
    assert usdt.locked == D("5.2")


def test_on_bar_refuses_what_is_not_a_bar(engine: Engine, clock: ReplayClock) -> None:
    sim = broker(engine, clock)
    with pytest.raises(ValidationError):
        bar(sim, T0, "100", "99", "98", "100")  # high below the open
    with pytest.raises(ValidationError):
        sim.on_bar("XRP/USDT", T0, 1, 1, 1, 1, 1)


def test_ioc_expires_after_its_first_bar(engine: Engine, clock: ReplayClock) -> None:
    sim = broker(engine, clock)
    sim.submit(order("ioc", Side.BUY, OrderType.LIMIT, "0.01", "50000", tif=TimeInForce.IOC))
    clock.advance(HOUR)
    assert bar(sim, clock.now_ms(), "60000", "60100", "59900", "60000") == []
    assert sim.fetch_order("ioc", BTC).status is OrderStatus.EXPIRED
    assert sim.balances()["USDT"].locked == 0


def test_factory_and_registry_build_the_simulator(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sim.db'}"
    settings = SimpleNamespace(database_url=url, sim_start_balance="2500", broker="sim")
    with pytest.raises(ConfigError, match="aitrader db upgrade"):
        make_simulated_gateway(settings)
    upgrade(make_engine(url))
    gw = make_gateway(settings)
    assert isinstance(gw, SimulatedBroker)
    assert (gw.name, gw.testnet) == ("sim", True)
    assert gw.balances()["USDT"].free == D(2500)
    assert gw.ping() is True
    assert make_simulated_gateway(SimpleNamespace(database_url=url)).balances() == gw.balances()


_PRICES = st.integers(50_000, 70_000)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(["buy", "sell", "cancel", "bar"]),
            st.sampled_from(list(OrderType)),
            st.integers(1, 40),  # quantity in 0.001 BTC
            _PRICES,
            st.tuples(_PRICES, _PRICES, st.integers(0, 3)),  # bar: open, close, volume
        ),
        min_size=5,
        max_size=30,
    ),
    participation=st.sampled_from([None, 0.5]),
)
def test_the_account_never_overdraws_and_locks_match_open_orders(
    steps: list[tuple[str, OrderType, int, int, tuple[int, int, int]]],
    participation: float | None,
) -> None:
    engine = make_engine("sqlite://", poolclass=StaticPool)
    upgrade(engine)
    clock = ReplayClock(T0)
    cfg = SimulatorConfig(costs=COSTS, max_participation=participation)
    sim = SimulatedBroker(engine, config=cfg, clock=clock, start_balances={"USDT": D(3000)})
    sim.on_bar(BTC, T0 - HOUR, 60_000, 60_000, 60_000, 60_000, 1)
    for n, (action, kind, lots, px, (op, cl, vol)) in enumerate(steps):
        clock.advance(HOUR)
        if action == "bar":
            sim.on_bar(BTC, clock.now_ms(), op, max(op, cl) + 500, min(op, cl) - 500, cl, vol)
        elif action == "cancel":
            for first in sim.open_orders()[:1]:
                sim.cancel(first.client_id, BTC)
        else:
            price = str(px) if kind in (OrderType.LIMIT, OrderType.STOP_LIMIT) else None
            stop = str(px + 100) if kind in (OrderType.STOP, OrderType.STOP_LIMIT) else None
            qty = str(D(lots) / 1000)
            with contextlib.suppress(InsufficientFunds):
                sim.submit(order(f"o{n}", Side(action), kind, qty, price, stop))
        bals = sim.balances()
        assert all(b.free >= 0 and b.locked >= 0 for b in bals.values()), bals
        resting = sim.open_orders()
        quote_locked = sum(
            (o.remaining * (o.price or o.stop_price or D(0)) for o in resting
             if o.side is Side.BUY and o.type is not OrderType.MARKET), D(0),
        )  # fmt: skip
        base_locked = sum((o.remaining for o in resting if o.side is Side.SELL), D(0))
        usdt = bals.get("USDT", Balance("USDT", D(0)))
        market_buys = [o for o in resting if o.side is Side.BUY and o.type is OrderType.MARKET]
        if not market_buys:  # a market buy reserves at the close it saw: not in the order
            assert usdt.locked == quote_locked
        assert bals.get("BTC", Balance("BTC", D(0))).locked == base_locked
    fills = sim.fills_since(0)
    bought = sum((f.qty * f.side.sign for f in fills), D(0))
    assert bals.get("BTC", Balance("BTC", D(0))).total == bought
