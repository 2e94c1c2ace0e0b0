"""Limit, stop and stop-limit entries through the engine: fills, expiry, cancellation."""

from __future__ import annotations

import pandas as pd
import pytest

from aitrader_core.backtest import BacktestConfig, run, run_signals

from .bars import flat, make_bars


def config(**execution: object) -> BacktestConfig:
    return BacktestConfig.model_validate(
        {
            "initial_cash": 10_000.0,
            "costs": {"maker_fee": 0.0002, "taker_fee": 0.001},
            "execution": execution,
        }
    )


def fills(res) -> pd.DataFrame:
    return res.fills[["bar", "order_type", "side", "price", "reason"]]


def test_limit_entry_waits_for_the_low_and_pays_the_maker_fee() -> None:
    rows = [*flat(100.0, 1), (100.0, 100.5, 99.5, 100.0), (100.0, 100.2, 98.5, 99.0), *flat(99, 2)]
    res = run_signals(
        make_bars(rows), [1] * 5, config(entry_order="limit", entry_offset=0.01, order_ttl_bars=3)
    )
    entry = res.fills.iloc[0]
    assert (entry.bar, entry.order_type, entry.price) == (2, "limit", 99.0)
    assert entry.fee == pytest.approx(entry.qty * 99.0 * 0.0002, rel=1e-12)
    assert entry.qty * 99.0 + entry.fee == pytest.approx(10_000.0, rel=1e-12)


def test_limit_entry_expires_after_its_time_to_live() -> None:
    rows = [*flat(100.0, 1), (100.0, 100.5, 99.5, 100.0), (100.0, 100.2, 98.5, 99.0), *flat(99, 2)]
    res = run_signals(
        make_bars(rows), [1] * 5, config(entry_order="limit", entry_offset=0.01, order_ttl_bars=1)
    )
    assert res.trades.empty
    expired = res.orders[res.orders.status == "expired"]
    assert expired[["bar", "signal_bar", "order_type"]].values.tolist() == [[2, 0, "limit"]]


def test_limit_entry_at_a_given_price() -> None:
    rows = [*flat(100.0, 1), (100.0, 100.5, 98.0, 100.0), *flat(100.0, 2)]
    bars = make_bars(rows)
    res = run(
        bars,
        signal=[1] * 4,
        entry_price=pd.Series(98.2, index=bars.index),
        config=config(entry_order="limit"),
    )
    assert fills(res).iloc[0].tolist() == [1, "limit", "buy", 98.2, "signal"]


def test_exit_signal_cancels_a_resting_entry() -> None:
    rows = [*flat(100.0, 5)]
    res = run_signals(
        make_bars(rows),
        [1, 0, 0, 0, 0],
        config(entry_order="limit", entry_offset=0.05, order_ttl_bars=10),
    )
    cancelled = res.orders[res.orders.status == "cancelled"]
    assert cancelled[["bar", "signal_bar"]].values.tolist() == [[1, 0]]
    assert res.trades.empty


def test_stop_entry_fills_at_the_stop_plus_slippage_and_at_the_open_on_a_gap() -> None:
    rows = [*flat(100.0, 1), (100.0, 101.5, 99.8, 101.2), *flat(101.2, 2)]
    cfg = BacktestConfig.model_validate(
        {
            "costs": {"taker_fee": 0.001, "slippage_bps": 10},
            "execution": {"entry_order": "stop", "entry_offset": 0.01},
        }
    )
    entry = run_signals(make_bars(rows), [1] * 4, cfg).fills.iloc[0]
    assert (entry.bar, entry.order_type) == (1, "stop")
    assert entry.price == pytest.approx(101.0 * 1.001, rel=1e-12)
    gap = [*flat(100.0, 1), (102.0, 102.5, 101.8, 102.2), *flat(102.2, 2)]
    entry = run_signals(make_bars(gap), [1] * 4, cfg).fills.iloc[0]
    assert entry.price == pytest.approx(102.0 * 1.001, rel=1e-12)


def test_stop_limit_entry_fills_at_the_stop_when_triggered_inside_the_bar() -> None:
    rows = [*flat(100.0, 1), (100.0, 101.5, 99.8, 101.2), *flat(101.2, 2)]
    res = run_signals(make_bars(rows), [1] * 4, config(entry_order="stop_limit", entry_offset=0.01))
    assert fills(res).iloc[0].tolist()[:4] == [1, "stop_limit", "buy", 101.0]


def test_stop_limit_gapping_past_its_limit_rests_as_a_limit() -> None:
    # stop 101, limit 101.101; bar 1 opens at 102 (triggered, above the limit) and stays above
    rows = [
        *flat(100.0, 1),
        (102.0, 102.5, 101.5, 102.0),
        (102.0, 102.0, 101.0, 101.5),
        *flat(101.5, 2),
    ]
    res = run_signals(
        make_bars(rows),
        [1] * 5,
        config(entry_order="stop_limit", entry_offset=0.01, order_ttl_bars=3),
    )
    entry = res.fills.iloc[0]
    assert (entry.bar, entry.order_type) == (2, "stop_limit")
    assert entry.price == pytest.approx(101.101, rel=1e-12)
    assert entry.fee == pytest.approx(entry.qty * entry.price * 0.0002, rel=1e-12)  # maker


def test_an_entry_filled_inside_a_bar_can_be_stopped_out_in_that_bar_but_not_take_profit() -> None:
    rows = [*flat(100.0, 1), (100.0, 100.2, 97.9, 99.0), *flat(99.0, 2)]
    cfg = BacktestConfig.model_validate(
        {
            "costs": {"maker_fee": 0.0, "taker_fee": 0.0},
            "exits": {"stop_loss": 0.01, "take_profit": 0.01},
            "execution": {"entry_order": "limit", "entry_offset": 0.01},
        }
    )
    t = run_signals(make_bars(rows), [1] * 4, cfg).trades.iloc[0]
    assert (t.entry_bar, t.entry_price, t.exit_bar, t.exit_reason) == (1, 99.0, 1, "sl")
    assert t.exit_price == pytest.approx(99.0 * 0.99, rel=1e-12)
