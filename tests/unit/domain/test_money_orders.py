"""Money snapping, order life cycle and position accounting: invariants by hypothesis."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aitrader_core.domain.money import Instrument, to_decimal
from aitrader_core.domain.orders import (
    ALLOWED,
    Fill,
    InvalidTransition,
    Order,
    OrderStatus,
    OrderType,
    Position,
    Side,
    check_transition,
)
from aitrader_core.errors import ValidationError

BTC = Instrument("BTC/USDT", "BTC", "USDT", Decimal("0.01"), Decimal("0.00001"),
                 Decimal("0.00001"), Decimal("5"))  # fmt: skip
amounts = st.decimals(min_value=Decimal("0.00001"), max_value=Decimal("1000"), places=8)
prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("200000"), places=4)


@given(amounts)
def test_snapped_qty_never_exceeds_and_is_on_the_lot_grid(qty: Decimal) -> None:
    snapped = BTC.snap_qty(qty)
    assert snapped <= qty
    assert qty - snapped < BTC.qty_step
    assert BTC.snap_qty(snapped) == snapped
    assert snapped % BTC.qty_step == 0


@given(prices)
def test_passive_price_snapping(price: Decimal) -> None:
    assert BTC.snap_price(price, side="buy") <= price <= BTC.snap_price(price, side="sell")
    assert abs(BTC.snap_price(price) - price) <= BTC.price_tick / 2


def test_order_checks_name_the_rule() -> None:
    assert BTC.check_order(Decimal("0.001"), Decimal("60000")) is None
    assert "minimum 5" in BTC.check_order(Decimal("0.00005"), Decimal("60000"))
    assert "lot step" in BTC.check_order(Decimal("0.000011"), Decimal("600000"))
    with pytest.raises(ValidationError):
        to_decimal(float("nan"))


def test_final_states_have_no_way_out() -> None:
    for status in OrderStatus:
        if status.is_final:
            assert ALLOWED[status] == frozenset()
            for other in OrderStatus:
                if other != status:
                    with pytest.raises(InvalidTransition):
                        check_transition(status, other)


def test_fills_move_an_order_to_filled_with_average_price() -> None:
    order = Order("c1", "BTC/USDT", Side.BUY, OrderType.LIMIT, Decimal("2"), Decimal("100"))
    order = order.with_status(OrderStatus.OPEN)
    order = order.with_fill(Fill("c1", "t1", "BTC/USDT", Side.BUY, Decimal("0.5"), Decimal("99"),
                                 Decimal("0"), "USDT", 1))  # fmt: skip
    assert order.status is OrderStatus.PARTIALLY_FILLED
    order = order.with_fill(Fill("c1", "t2", "BTC/USDT", Side.BUY, Decimal("1.5"), Decimal("100"),
                                 Decimal("0"), "USDT", 2))  # fmt: skip
    assert order.status is OrderStatus.FILLED
    assert order.avg_price == Decimal("99.75")
    with pytest.raises(InvalidTransition):
        order.with_status(OrderStatus.CANCELED)


trades = st.lists(
    st.tuples(st.sampled_from([Side.BUY, Side.SELL]), amounts, prices,
              st.decimals(min_value=0, max_value=5, places=4)),
    min_size=1, max_size=30,
)  # fmt: skip


@given(trades, prices)
def test_position_pnl_conserves_cash(fills: list, mark: Decimal) -> None:
    """Realised + unrealised PnL equals the cash flows plus the marked position.

    Average-cost accounting divides (the average entry is a ratio), so equality
    holds to Decimal's 28 significant digits, not to the last unit.
    """
    pos = Position("BTC/USDT")
    cash = Decimal(0)
    for side, qty, price, fee in fills:
        pos = pos.apply(side, qty, price, fee)
        cash -= side.sign * qty * price + fee
    assert abs(pos.realized_pnl + pos.unrealized(mark) - (cash + pos.qty * mark)) < Decimal("1e-12")
    assert pos.qty == sum(s.sign * q for s, q, _, _ in fills)
