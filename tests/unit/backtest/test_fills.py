"""The fill model, order type by order type, on hand-checked bars."""

from __future__ import annotations

import math

import numpy as np
import pytest

from aitrader_core.backtest.fills import (
    BUY,
    FILLED,
    LIMIT,
    MARKET,
    MARKET_ON_CLOSE,
    NOT_FILLED,
    REJECTED_MIN_NOTIONAL,
    REJECTED_NO_CASH,
    REJECTED_ZERO_QTY,
    SELL,
    STOP,
    STOP_LIMIT,
    TRIGGERED,
    FillCosts,
    fill_order,
    floor_qty,
    match_price,
    round_price,
    slippage_fraction,
)

NAN = math.nan
# open, high, low, close
BAR = (100.0, 105.0, 95.0, 102.0)
NO_COSTS = FillCosts()


def match(order_type: int, side: int, limit: float = NAN, stop: float = NAN, bar=BAR):
    return match_price(order_type, side, limit, stop, *bar)


def test_market_fills_at_the_open_and_moc_at_the_close() -> None:
    assert match(MARKET, BUY) == (FILLED, 100.0, False)
    assert match(MARKET_ON_CLOSE, SELL) == (FILLED, 102.0, False)


@pytest.mark.parametrize(
    ("side", "limit", "expected"),
    [
        (BUY, 97.0, (FILLED, 97.0, True)),  # the low trades through: maker at the limit
        (BUY, 101.0, (FILLED, 100.0, False)),  # opens below the limit: the open, taker
        (BUY, 94.0, (NOT_FILLED, NAN, False)),  # never reached
        (BUY, 95.0, (FILLED, 95.0, True)),  # touching the limit fills
        (SELL, 104.0, (FILLED, 104.0, True)),
        (SELL, 99.0, (FILLED, 100.0, False)),
        (SELL, 106.0, (NOT_FILLED, NAN, False)),
    ],
)
def test_limit_rules(side: int, limit: float, expected: tuple) -> None:
    status, price, maker = match(LIMIT, side, limit=limit)
    assert (status, maker) == (expected[0], expected[2])
    assert price == expected[1] or (math.isnan(price) and math.isnan(expected[1]))


@pytest.mark.parametrize(
    ("side", "stop", "expected_status", "expected_price"),
    [
        (BUY, 103.0, FILLED, 103.0),  # the high reaches the stop
        (BUY, 99.0, FILLED, 100.0),  # gap: already above at the open -> the open
        (BUY, 106.0, NOT_FILLED, NAN),
        (SELL, 96.0, FILLED, 96.0),
        (SELL, 101.0, FILLED, 100.0),  # gap down through a sell stop -> the open
        (SELL, 94.0, NOT_FILLED, NAN),
    ],
)
def test_stop_rules(side: int, stop: float, expected_status: int, expected_price: float) -> None:
    status, price, maker = match(STOP, side, stop=stop)
    assert status == expected_status
    assert not maker
    if expected_status == FILLED:
        assert price == expected_price


def test_stop_limit_triggered_inside_the_bar_fills_at_the_stop_when_the_limit_allows() -> None:
    assert match(STOP_LIMIT, BUY, limit=104.0, stop=103.0) == (FILLED, 103.0, False)
    assert match(STOP_LIMIT, SELL, limit=96.0, stop=97.0) == (FILLED, 97.0, False)


def test_stop_limit_with_limit_behind_the_stop_rests_after_the_trigger() -> None:
    # buy stop 103 / limit 101: the path after the trigger is unknown -> resting limit
    status, _, _ = match(STOP_LIMIT, BUY, limit=101.0, stop=103.0)
    assert status == TRIGGERED


def test_stop_limit_triggered_at_the_open_acts_as_a_limit() -> None:
    gap_up = (104.0, 106.0, 98.0, 100.0)
    # open 104 > limit 103: not marketable at the open, but the low comes back to 103
    assert match(STOP_LIMIT, BUY, limit=103.0, stop=102.0, bar=gap_up) == (FILLED, 103.0, True)
    # open within the limit: the open
    assert match(STOP_LIMIT, BUY, limit=105.0, stop=102.0, bar=gap_up) == (FILLED, 104.0, False)
    # never back to the limit
    far = (104.0, 106.0, 103.5, 105.0)
    assert match(STOP_LIMIT, BUY, limit=103.0, stop=102.0, bar=far)[0] == TRIGGERED


def test_stop_limit_not_triggered() -> None:
    assert match(STOP_LIMIT, BUY, limit=110.0, stop=108.0)[0] == NOT_FILLED


def test_slippage_fixed_plus_volume_participation_capped() -> None:
    costs = FillCosts(slippage=0.0005, impact=0.01, impact_exponent=0.5, max_slippage=0.002)
    # 1% of the bar's volume: 5 bps + 1% * sqrt(0.01) = 5 + 10 bps
    assert slippage_fraction(10.0, 1000.0, costs) == pytest.approx(0.0015, rel=1e-12)
    # larger orders slip more, up to the cap
    assert slippage_fraction(20.0, 1000.0, costs) > slippage_fraction(10.0, 1000.0, costs)
    assert slippage_fraction(500.0, 1000.0, costs) == 0.002
    # no volume: the cap
    assert slippage_fraction(1.0, 0.0, costs) == 0.002
    # without an impact model the volume is irrelevant
    assert slippage_fraction(1e9, 1.0, FillCosts(slippage=0.0005)) == 0.0005


def test_price_rounds_to_the_tick_against_the_trader() -> None:
    assert round_price(100.003, BUY, 0.01) == 100.01
    assert round_price(100.007, SELL, 0.01) == 100.0
    assert round_price(100.0, BUY, 0.5) == 100.0
    assert round_price(0.1 + 0.2, SELL, 0.1) == 0.3  # snapped, not floored to 0.2
    assert round_price(123.456, BUY, 0.0) == 123.456


def test_quantity_floors_to_the_lot_step() -> None:
    assert floor_qty(1.23456, 0.001) == 1.234
    assert floor_qty(0.7, 0.1) == 0.7
    assert floor_qty(0.0999, 0.1) == 0.0
    assert floor_qty(5.5, 0.0) == 5.5


def test_market_fill_with_fee_and_slippage() -> None:
    costs = FillCosts(maker_fee=0.0002, taker_fee=0.001, slippage=0.001)
    status, qty, price, fee, slip = fill_order(MARKET, BUY, 2.0, NAN, NAN, *BAR, 1e6, costs)
    assert status == FILLED
    assert qty == 2.0
    assert price == pytest.approx(100.1, rel=1e-15)
    assert fee == pytest.approx(2.0 * 100.1 * 0.001, rel=1e-15)
    assert slip == pytest.approx(0.2, rel=1e-12)
    # a sell slips down
    _, _, price, _, _ = fill_order(MARKET, SELL, 2.0, NAN, NAN, *BAR, 1e6, costs)
    assert price == pytest.approx(99.9, rel=1e-15)


def test_limit_fill_pays_maker_fee_and_no_slippage() -> None:
    costs = FillCosts(maker_fee=0.0002, taker_fee=0.001, slippage=0.01)
    status, qty, price, fee, slip = fill_order(LIMIT, BUY, 1.0, 97.0, NAN, *BAR, 1e6, costs)
    assert (status, qty, price, slip) == (FILLED, 1.0, 97.0, 0.0)
    assert fee == pytest.approx(97.0 * 0.0002, rel=1e-15)


def test_stop_limit_slippage_is_capped_at_the_limit() -> None:
    costs = FillCosts(slippage=0.01)
    _, _, price, _, _ = fill_order(STOP_LIMIT, BUY, 1.0, 103.5, 103.0, *BAR, 1e6, costs)
    assert price == 103.5  # 103 * 1.01 = 104.03 would exceed the limit


def test_min_notional_rejects_with_a_reason() -> None:
    costs = FillCosts(min_notional=10.0)
    status, *_ = fill_order(MARKET, BUY, 0.05, NAN, NAN, *BAR, 1e6, costs)  # 5 < 10
    assert status == REJECTED_MIN_NOTIONAL
    status, *_ = fill_order(MARKET, BUY, 0.2, NAN, NAN, *BAR, 1e6, costs)
    assert status == FILLED


def test_lot_rounding_can_leave_nothing() -> None:
    costs = FillCosts(lot_step=1.0)
    status, *_ = fill_order(MARKET, BUY, 0.4, NAN, NAN, *BAR, 1e6, costs)
    assert status == REJECTED_ZERO_QTY


def test_cash_limit_caps_a_buy_fee_included() -> None:
    costs = FillCosts(taker_fee=0.01, lot_step=0.001, tick_size=0.01)
    status, qty, price, fee, _ = fill_order(MARKET, BUY, np.inf, NAN, NAN, *BAR, 1e6, costs, 1000.0)
    assert status == FILLED
    assert qty == 9.9  # 1000 / 1.01 / 100 = 9.90099 -> 9.900
    assert qty * price + fee <= 1000.0
    status, *_ = fill_order(MARKET, BUY, 1.0, NAN, NAN, *BAR, 1e6, costs, 0.0)
    assert status == REJECTED_NO_CASH


def test_unfilled_order_reports_no_quantity() -> None:
    status, qty, _, fee, _ = fill_order(LIMIT, BUY, 1.0, 50.0, NAN, *BAR, 1e6, NO_COSTS)
    assert (status, qty, fee) == (NOT_FILLED, 0.0, 0.0)
