"""The risk guard: each limit denies with its reason; no order sequence breaches a limit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aitrader_core.domain.orders import Side
from aitrader_core.risk import Proposal, RiskGuard, RiskLimits, RiskState, StrategyControl

D = Decimal
STATE = RiskState(equity=D(10_000), start_of_day_equity=D(10_000), marks={"BTC/USDT": D(100)})


def buy(qty: str = "1", price: str = "100", stop: str | None = "99", strategy: str = "s",
        symbol: str = "BTC/USDT") -> Proposal:  # fmt: skip
    return Proposal(strategy, symbol, Side.BUY, D(qty), D(price), None if stop is None else D(stop))


@pytest.mark.parametrize(
    ("limits", "proposal", "state", "rule"),
    [
        (RiskLimits(kill_switch=True), buy(), STATE, "kill_switch"),
        (RiskLimits(max_order_notional=D(50)), buy(), STATE, "max_order_notional"),
        (RiskLimits(), buy(stop=None), STATE, "stop_required"),
        (RiskLimits(max_risk_per_trade=D("0.001")), buy(qty="20", stop="90"), STATE,
         "max_risk_per_trade"),
        (RiskLimits(), buy(), RiskState(D(9_400), D(10_000)), "max_daily_loss"),
        (RiskLimits(max_trades_per_day=3), buy(), RiskState(D(10_000), D(10_000), trades_today=3),
         "max_trades_per_day"),
        (RiskLimits(max_symbol_exposure=D("0.05")), buy(qty="6"), STATE, "max_symbol_exposure"),
        (RiskLimits(max_open_positions=1), buy(symbol="ETH/USDT"),
         RiskState(D(10_000), D(10_000), positions={"BTC/USDT": D(1)}, marks={"BTC/USDT": D(100)}),
         "max_open_positions"),
    ],
)  # fmt: skip
def test_each_limit_denies_with_its_rule(limits, proposal, state, rule) -> None:
    decision = RiskGuard(limits).check(proposal, state)
    assert not decision.allowed
    assert decision.rule == rule
    assert decision.reason


def test_strategy_controls() -> None:
    guard = RiskGuard(RiskLimits(), {"off": StrategyControl(enabled=False),
                                      "tight": StrategyControl(max_risk_fraction=D("0.0001"),
                                                               max_daily_trades=1)})  # fmt: skip
    assert guard.check(buy(strategy="off"), STATE).rule == "strategy_disabled"
    assert guard.check(buy(strategy="tight", stop="90"), STATE).rule == "max_risk_per_trade"
    busy = RiskState(D(10_000), D(10_000), strategy_trades_today={"tight": 1})
    assert guard.check(buy(strategy="tight"), busy).rule == "strategy_max_daily_trades"
    assert guard.check(buy(strategy="other"), STATE).allowed


def test_reducing_orders_pass_even_when_breached() -> None:
    held = RiskState(D(9_000), D(10_000), positions={"BTC/USDT": D(5)}, marks={"BTC/USDT": D(100)})
    guard = RiskGuard(RiskLimits(kill_switch=True), {"s": StrategyControl(enabled=False)})
    sell = Proposal("s", "BTC/USDT", Side.SELL, D(2), D(100))
    assert guard.check(sell, held).allowed
    flip = Proposal("s", "BTC/USDT", Side.SELL, D(8), D(100))
    assert not guard.check(flip, held).allowed


orders = st.lists(
    st.tuples(
        st.sampled_from(["BTC/USDT", "ETH/USDT", "SOL/USDT", "XRP/USDT"]),
        st.sampled_from([Side.BUY, Side.SELL]),
        st.decimals(min_value=D("0.01"), max_value=D(50), places=2),
        st.decimals(min_value=D(1), max_value=D(500), places=2),
        st.one_of(  # mostly with a stop, so that many orders pass and limits are exercised
            st.decimals(min_value=D("0.001"), max_value=D("0.02"), places=3),
            st.decimals(min_value=D("0.001"), max_value=D("0.2"), places=3),
            st.none(),
        ),
        st.sampled_from(["a", "b"]),
    ),
    max_size=60,
)
limit_sets = st.builds(
    RiskLimits,
    max_order_notional=st.decimals(min_value=D(100), max_value=D(5000), places=0),
    max_risk_per_trade=st.decimals(min_value=D("0.001"), max_value=D("0.05"), places=3),
    max_daily_loss=st.just(D("0.5")),
    max_trades_per_day=st.integers(0, 30),
    max_gross_exposure=st.decimals(min_value=D("0.1"), max_value=D(2), places=2),
    max_symbol_exposure=st.decimals(min_value=D("0.05"), max_value=D(1), places=2),
    max_open_positions=st.integers(0, 4),
)


@settings(max_examples=200, deadline=None)
@given(limit_sets, orders)
def test_no_sequence_of_orders_breaches_a_limit(limits: RiskLimits, seq: list) -> None:
    guard = RiskGuard(limits, {"b": StrategyControl(max_risk_fraction=D("0.002"),
                                                    max_daily_trades=5)})  # fmt: skip
    equity = D(10_000)
    positions: dict[str, Decimal] = {}
    marks: dict[str, Decimal] = {}
    trades = 0
    risk_trades = 0
    per_strategy: dict[str, int] = {}
    risk_by_strategy: dict[str, int] = {}
    for symbol, side, qty, price, stop_frac, strategy in seq:
        stop = None if stop_frac is None else price * (1 - side.sign * stop_frac)
        state = RiskState(equity, equity, dict(positions), {**marks, symbol: price}, trades,
                          dict(per_strategy))  # fmt: skip
        held = positions.get(symbol, D(0))
        decision = guard.check(Proposal(strategy, symbol, side, qty, price, stop), state)
        if not decision.allowed:
            continue
        marks[symbol] = price
        positions[symbol] = held + side.sign * qty
        trades += 1
        per_strategy[strategy] = per_strategy.get(strategy, 0) + 1
        reduced = abs(positions[symbol]) < abs(held) and positions[symbol] * held >= 0
        if reduced:
            continue
        risk_trades += 1
        risk_by_strategy[strategy] = risk_by_strategy.get(strategy, 0) + 1
        cap = (
            limits.max_risk_per_trade
            if strategy == "a"
            else min(limits.max_risk_per_trade, D("0.002"))
        )
        assert qty * price <= limits.max_order_notional
        assert stop is not None
        assert qty * abs(price - stop) <= cap * equity
        assert abs(positions[symbol]) * price <= limits.max_symbol_exposure * equity
        gross = sum(abs(q) * marks[s] for s, q in positions.items())
        assert gross <= limits.max_gross_exposure * equity
        assert sum(1 for q in positions.values() if q != 0) <= limits.max_open_positions
        assert risk_trades <= limits.max_trades_per_day
    assert risk_by_strategy.get("b", 0) <= 5  # b's daily cap (reductions do not count)
