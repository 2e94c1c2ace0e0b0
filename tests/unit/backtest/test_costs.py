"""Fees, slippage, minimum notional and exchange precision, end to end."""

from __future__ import annotations

import numpy as np
import pytest

from aitrader_core.backtest import BacktestConfig, run_signals

from .bars import flat, make_bars

SIGNAL = [1, 1, 1, 0, 0, 1, 1, 1, 1, -1, -1, 0, 0, 1, 1]


def wavy_bars(n: int = len(SIGNAL)):
    i = np.arange(n)
    close = 100.0 + 5.0 * np.sin(i / 2.0)
    opens = np.concatenate([[100.0], close[:-1]])
    rows = [(o, max(o, c) + 1.0, min(o, c) - 1.0, c) for o, c in zip(opens, close, strict=True)]
    return make_bars(rows)


def cfg(costs: dict, **more: object) -> BacktestConfig:
    return BacktestConfig.model_validate(
        {"sizing": {"kind": "fixed_quantity", "qty": 3.0}, "costs": costs} | more
    )


@pytest.mark.parametrize("allow_short", [False, True])
def test_fees_reduce_pnl_by_exactly_the_fees(allow_short: bool) -> None:
    execution = {"allow_short": allow_short}
    free = run_signals(
        wavy_bars(), SIGNAL, cfg({"maker_fee": 0, "taker_fee": 0}, execution=execution)
    )
    paid = run_signals(
        wavy_bars(), SIGNAL, cfg({"maker_fee": 0.002, "taker_fee": 0.002}, execution=execution)
    )
    a, b = free.trades, paid.trades
    assert len(a) == len(b) >= 3
    assert (a.entry_price == b.entry_price).all()
    assert (a.exit_price == b.exit_price).all()
    fees = b.entry_fees + b.exit_fees
    np.testing.assert_allclose(a.pnl - b.pnl, fees, rtol=1e-12)
    np.testing.assert_allclose(b.entry_fees, b.qty * b.entry_price * 0.002, rtol=1e-12)
    np.testing.assert_allclose(b.exit_fees, b.qty * b.exit_price * 0.002, rtol=1e-12)
    # and the account lost exactly the fees
    lost = free.equity.iloc[-1] - paid.equity.iloc[-1]
    assert lost == pytest.approx(paid.fills.fee.sum(), rel=1e-12)
    assert paid.summary()["total_fees"] == pytest.approx(fees.sum(), rel=1e-12)


def test_slippage_moves_fills_against_the_trader_and_is_journalled() -> None:
    res = run_signals(wavy_bars(), SIGNAL, cfg({"taker_fee": 0, "slippage_bps": 20}))
    f = res.fills
    buys, sells = f[f.side == "buy"], f[f.side == "sell"]
    np.testing.assert_allclose(buys.price, buys.ref_price * 1.002, rtol=1e-12)
    np.testing.assert_allclose(sells.price, sells.ref_price * 0.998, rtol=1e-12)
    np.testing.assert_allclose(f.slippage, (f.price - f.ref_price).abs() * f.qty, rtol=1e-9)


def test_volume_participation_slippage_grows_with_size() -> None:
    costs = {
        "taker_fee": 0,
        "slippage_bps": 1,
        "volume_impact_bps": 100,
        "volume_impact_exponent": 1.0,
        "max_slippage_bps": 50,
    }
    bars = make_bars(flat(100.0, 4), volume=100.0)

    def entry_price(qty: float) -> float:
        c = BacktestConfig.model_validate(
            {"costs": costs, "sizing": {"kind": "fixed_quantity", "qty": qty}}
        )
        return float(run_signals(bars, [1] * 4, c).fills.price.iloc[0])

    # 1 bp + 100 bp * participation
    assert entry_price(1.0) == pytest.approx(100.0 * (1 + 0.0001 + 0.01 * 0.01), rel=1e-12)
    assert entry_price(10.0) == pytest.approx(100.0 * (1 + 0.0001 + 0.01 * 0.1), rel=1e-12)
    assert entry_price(80.0) == pytest.approx(100.0 * 1.005, rel=1e-12)  # capped at 50 bp


def test_order_below_min_notional_is_rejected_with_the_reason() -> None:
    res = run_signals(
        make_bars(flat(100.0, 4)),
        [1] * 4,
        BacktestConfig.model_validate(
            {"costs": {"min_notional": 10.0}, "sizing": {"kind": "fixed_quantity", "qty": 0.05}}
        ),
    )
    assert res.trades.empty
    rejected = res.orders[res.orders.status == "rejected"]
    assert rejected[["bar", "reject_reason", "qty_requested"]].values.tolist() == [
        [1, "min_notional", 0.05]
    ]


def test_quantity_floors_to_the_lot_and_price_rounds_to_the_tick() -> None:
    rows = [*flat(100.3, 1), (100.3, 101.0, 100.0, 100.7), *flat(100.7, 2)]
    res = run_signals(
        make_bars(rows),
        [1] * 4,
        BacktestConfig.model_validate(
            {"costs": {"taker_fee": 0.001, "slippage_bps": 10, "lot_step": 0.01, "tick_size": 0.5}}
        ),
    )
    entry = res.fills.iloc[0]
    assert entry.price == 100.5  # 100.3 * 1.001 = 100.4003 rounded up to the tick
    assert entry.qty == 99.4  # 10000 / 1.001 / 100.5 = 99.40...: floored to 0.01
    exit_ = res.fills.iloc[-1]
    assert exit_.price == 100.5  # 100.7 * 0.999 = 100.5993 rounded down
    assert exit_.qty == 99.4


def test_min_qty_rejects_small_orders() -> None:
    res = run_signals(
        make_bars(flat(100.0, 4)),
        [1] * 4,
        BacktestConfig.model_validate(
            {"costs": {"min_qty": 1.0}, "sizing": {"kind": "fixed_notional", "notional": 50.0}}
        ),
    )
    assert res.orders.reject_reason.tolist() == ["min_qty"]
