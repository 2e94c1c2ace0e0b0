"""Sizing models, the cash cap, and the never-more-than-cash property."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aitrader_core.backtest import BacktestConfig, kelly_fraction, run_signals
from aitrader_core.backtest.sizing import kelly_estimate, realised_vol, wilder_atr

from .bars import flat, make_bars

FEE = 0.001


def entry_qty(sizing: dict, rows=None, stop=None, **more: object) -> float:
    rows = rows or flat(100.0, 4)
    bars = make_bars(rows)
    cfg = BacktestConfig.model_validate(
        {"costs": {"taker_fee": FEE, "maker_fee": FEE}, "sizing": sizing} | more
    )
    res = run_signals(bars, [1] * len(rows), cfg, stop=stop)
    return float(res.fills.qty.iloc[0]) if len(res.fills) else float("nan")


def test_fixed_quantity_and_notional() -> None:
    assert entry_qty({"kind": "fixed_quantity", "qty": 2.0}) == 2.0
    assert entry_qty({"kind": "fixed_notional", "notional": 500.0}) == 5.0


def test_percent_of_equity_and_of_cash() -> None:
    assert entry_qty({"kind": "percent_equity", "fraction": 0.5}) == 50.0
    assert entry_qty({"kind": "percent_cash", "fraction": 0.5}) == pytest.approx(
        5000.0 / (1 + FEE) / 100.0, rel=1e-12
    )


def test_risk_per_trade_from_the_stop_distance() -> None:
    # 1% of 10,000 at risk over a 2% stop (2.0 per unit) -> 50 units
    assert entry_qty({"kind": "risk", "risk": 0.01}, exits={"stop_loss": 0.02}) == pytest.approx(
        50.0, rel=1e-12
    )
    # a stop hint at 95 -> 100 / 5 = 20 units
    bars_stop = pd.Series(95.0, index=make_bars(flat(100.0, 4)).index)
    assert entry_qty({"kind": "risk", "risk": 0.01}, stop=bars_stop) == pytest.approx(20.0)


def test_risk_sizing_without_a_stop_is_rejected() -> None:
    bars = make_bars(flat(100.0, 4))
    res = run_signals(bars, [1] * 4, BacktestConfig(sizing={"kind": "risk", "risk": 0.01}))
    assert res.orders.reject_reason.tolist() == ["no_stop"]


def test_kelly_with_given_odds_is_a_capped_fraction_of_equity() -> None:
    f = kelly_fraction(0.55, 1.5, multiplier=0.5)
    assert f == pytest.approx(0.125)
    qty = entry_qty({"kind": "kelly", "win_rate": 0.55, "payoff": 1.5, "cap": 0.25})
    assert qty == pytest.approx(0.125 * 10_000 / 100.0)
    qty = entry_qty({"kind": "kelly", "win_rate": 0.9, "payoff": 3.0, "cap": 0.2})
    assert qty == pytest.approx(0.2 * 10_000 / 100.0)
    assert kelly_fraction(0.3, 1.0) == 0.0  # negative edge: no bet


def test_kelly_estimated_from_trades_uses_the_fallback_first() -> None:
    qty = entry_qty({"kind": "kelly", "fallback": 0.1, "min_trades": 5})
    assert qty == pytest.approx(0.1 * 10_000 / 100.0)
    # 6 wins of +10%, 4 losses of -5%: p = .6, b = 2 -> f = .4, times .5, capped at .25
    assert kelly_estimate(10, 6, 0.6, 0.2, 0.5, 0.25, 5, 0.1) == pytest.approx(0.2)
    assert kelly_estimate(10, 6, 0.6, 0.2, 1.0, 0.25, 5, 0.1) == 0.25
    assert kelly_estimate(3, 2, 0.2, 0.05, 1.0, 1.0, 5, 0.1) == 0.1


def test_vol_target_scales_by_target_over_realised_vol() -> None:
    rng = np.random.default_rng(7)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0, 0.01, 60)))
    rows = [(c, c * 1.001, c * 0.999, c) for c in close]
    sizing = {"kind": "vol_target", "target_vol": 0.2, "lookback": 20, "max_fraction": 5.0}
    bars = make_bars(rows)
    signal = [0] * 40 + [1] * 20
    cfg = BacktestConfig.model_validate({"costs": {"taker_fee": 0.0}, "sizing": sizing})
    entry = run_signals(bars, signal, cfg).fills.iloc[0]
    vol = realised_vol(close, close, close, source="returns", lookback=20, periods_per_year=8760)
    fraction = min(0.2 / vol[40], 5.0)  # read at the signal bar (40), filled at bar 41's open
    expected = min(fraction * 10_000 / rows[41][0], 10_000 / rows[41][0])
    assert entry.qty == pytest.approx(expected, rel=1e-9)


def test_quantity_is_capped_by_cash_after_fees() -> None:
    qty = entry_qty({"kind": "fixed_quantity", "qty": 1000.0})
    assert qty == pytest.approx(10_000 / (1 + FEE) / 100.0, rel=1e-12)


def test_wilder_atr_equals_talib() -> None:
    import talib

    rng = np.random.default_rng(3)
    close = 100 + np.cumsum(rng.normal(0, 1, 300))
    high, low = close + rng.uniform(0, 2, 300), close - rng.uniform(0, 2, 300)
    np.testing.assert_allclose(
        wilder_atr(high, low, close, 14), talib.ATR(high, low, close, 14), rtol=1e-12
    )


# -- property: whatever the prices, signals and sizing, no order spends money it has not got

SIZINGS = [
    {"kind": "fixed_quantity", "qty": 7.0},
    {"kind": "fixed_notional", "notional": 3_000.0},
    {"kind": "percent_equity", "fraction": 1.5},
    {"kind": "percent_cash", "fraction": 1.0},
    {"kind": "risk", "risk": 0.2},
    {"kind": "kelly", "fallback": 0.9, "min_trades": 2, "cap": 1.0, "multiplier": 1.0},
]


@st.composite
def scenarios(draw: st.DrawFn):
    n = draw(st.integers(5, 60))
    steps = draw(st.lists(st.floats(-0.2, 0.2), min_size=n, max_size=n))
    close = 100.0 * np.exp(np.cumsum(steps))
    spread = np.array(draw(st.lists(st.floats(0.0, 0.1), min_size=n, max_size=n)))
    opens = np.concatenate([[100.0], close[:-1]]) * (1 + np.array(steps) / 4)
    high = np.maximum(opens, close) * (1 + spread)
    low = np.minimum(opens, close) * (1 - spread)
    signal = draw(st.lists(st.sampled_from([-1, 0, 1]), min_size=n, max_size=n))
    sizing = draw(st.sampled_from(SIZINGS))
    timing = draw(st.sampled_from(["next_open", "close"]))
    fee = draw(st.sampled_from([0.0, 0.001, 0.01]))
    return list(zip(opens, high, low, close, strict=True)), signal, sizing, timing, fee


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.booleans())
def test_orders_never_spend_more_than_cash_or_free_margin(scenario, allow_short: bool) -> None:
    rows, signal, sizing, timing, fee = scenario
    cfg = BacktestConfig.model_validate(
        {
            "initial_cash": 10_000.0,
            "costs": {"taker_fee": fee, "maker_fee": fee, "slippage_bps": 5},
            "sizing": sizing,
            "exits": {"stop_loss": 0.05, "take_profit": 0.1},
            "execution": {"timing": timing, "allow_short": allow_short},
        }
    )
    res = run_signals(make_bars(rows), signal, cfg)
    cash = 10_000.0
    for row in res.fills.itertuples():
        cost = row.qty * row.price + row.fee
        opening = abs(row.position) > 0
        if row.side == "buy" and opening:
            assert cost <= cash * (1 + 1e-12) + 1e-9  # long entries: cash pays price and fee
        if row.side == "sell" and opening:
            # a short sale from flat is margined by free cash, which is all the cash then
            assert cost <= cash * (1 + 1e-12) + 1e-9
        cash = row.cash
    if not allow_short:
        assert (res.cash >= -1e-9).all()
        assert (res.positions.iloc[:, 0] >= 0).all()
