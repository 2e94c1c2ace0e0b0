"""Protective exits on hand-checked bars: stop vs target, gaps, trailing, time, end."""

from __future__ import annotations

import pandas as pd
import pytest

from aitrader_core.backtest import BacktestConfig, run_signals

from .bars import flat, make_bars

NO_FEES = {"maker_fee": 0.0, "taker_fee": 0.0}


def config(**parts: object) -> BacktestConfig:
    return BacktestConfig.model_validate({"initial_cash": 10_000.0, "costs": NO_FEES} | parts)


def only_trade(res) -> pd.Series:
    assert len(res.trades) == 1
    return res.trades.iloc[0]


def long_from_bar0(rows: list[tuple[float, float, float, float]], cfg: BacktestConfig):
    """Signal long on bar 0 (filled at bar 1's open with the default timing), held."""
    return run_signals(make_bars(rows), [1] * len(rows), cfg)


# bar 0 signal, bar 1 entry at the open (100), bar 2 reaches both 98 (SL 2%) and 102 (TP 2%)
BOTH_IN_ONE_BAR = [*flat(100.0, 2), (100.0, 103.0, 97.0, 100.0), *flat(100.0, 2)]


@pytest.mark.parametrize(
    ("intrabar", "price", "reason"),
    [("pessimistic", 98.0, "sl"), ("vectorbt", 98.0, "sl"), ("optimistic", 102.0, "tp")],
)
def test_stop_and_target_in_one_bar(intrabar: str, price: float, reason: str) -> None:
    cfg = config(exits={"stop_loss": 0.02, "take_profit": 0.02}, execution={"intrabar": intrabar})
    t = only_trade(long_from_bar0(BOTH_IN_ONE_BAR, cfg))
    assert (t.entry_bar, t.entry_price) == (1, 100.0)
    assert (t.exit_bar, t.exit_price, t.exit_reason) == (2, pytest.approx(price), reason)


def test_gap_through_the_stop_fills_at_the_open_not_the_stop() -> None:
    rows = [*flat(100.0, 2), (95.0, 96.0, 94.0, 95.5), *flat(95.0, 2)]
    cfg = config(exits={"stop_loss": 0.02})
    t = only_trade(long_from_bar0(rows, cfg))
    assert (t.exit_bar, t.exit_price, t.exit_reason) == (2, 95.0, "sl")
    assert t.pnl == pytest.approx(t.qty * (95.0 - 100.0))


def test_gap_through_the_stop_pays_slippage_unless_exact() -> None:
    rows = [*flat(100.0, 2), (95.0, 96.0, 94.0, 95.5), *flat(95.0, 2)]
    costs = NO_FEES | {"slippage_bps": 10.0}
    market = only_trade(long_from_bar0(rows, config(costs=costs, exits={"stop_loss": 0.02})))
    exact = only_trade(
        long_from_bar0(
            rows,
            config(costs=costs, exits={"stop_loss": 0.02}, execution={"stop_fill": "exact"}),
        )
    )
    assert market.exit_price == pytest.approx(95.0 * 0.999, rel=1e-12)
    assert exact.exit_price == 95.0


def test_target_gapping_favourably_fills_at_the_open() -> None:
    # opens at 104 above the 102 target; later in the bar also below the 98 stop
    rows = [*flat(100.0, 2), (104.0, 105.0, 97.0, 100.0), *flat(100.0, 2)]
    cfg = config(exits={"stop_loss": 0.02, "take_profit": 0.02})
    t = only_trade(long_from_bar0(rows, cfg))
    assert (t.exit_price, t.exit_reason) == (104.0, "tp")
    # vectorbt checks the stop first whenever the bar reaches it
    vbt_like = config(
        exits={"stop_loss": 0.02, "take_profit": 0.02}, execution={"intrabar": "vectorbt"}
    )
    t = only_trade(long_from_bar0(rows, vbt_like))
    assert (t.exit_price, t.exit_reason) == (98.0, "sl")


def test_short_stop_and_target_mirror_the_long_ones() -> None:
    rows = [*flat(100.0, 2), (100.0, 103.0, 97.0, 100.0), *flat(100.0, 2)]
    cfg = config(exits={"stop_loss": 0.02, "take_profit": 0.02}, execution={"allow_short": True})
    res = run_signals(make_bars(rows), [-1] * len(rows), cfg)
    t = only_trade(res)
    assert (t.direction, t.exit_price, t.exit_reason) == ("short", 102.0, "sl")
    assert t.pnl == pytest.approx(-t.qty * 2.0)


def test_trailing_stop_follows_the_high_water_mark() -> None:
    rows = [
        *flat(100.0, 1),  # 0: signal
        (100.0, 110.0, 100.0, 108.0),  # 1: entry at 100; high 110 -> trail 104.5 from bar 2
        (108.0, 112.0, 107.0, 111.0),  # 2: low 107 > 104.5; high 112 -> trail 106.4
        (111.0, 120.0, 106.5, 119.0),  # 3: low 106.5 > 106.4 (bar's own high not used yet)
        (119.0, 119.5, 113.0, 114.0),  # 4: trail now 114 (120 * .95): low 113 hits it
        *flat(114.0, 2),
    ]
    t = only_trade(long_from_bar0(rows, config(exits={"trailing_stop": 0.05})))
    assert (t.exit_bar, t.exit_reason) == (4, "trail")
    assert t.exit_price == pytest.approx(120.0 * 0.95, rel=1e-12)
    assert t.mfe == pytest.approx(0.20, rel=1e-12)


def test_trailing_stop_on_the_entry_bar_uses_the_entry_price() -> None:
    # entered at the open of bar 1 (100); the bar dips to 94.9 before anything else is known
    rows = [*flat(100.0, 1), (100.0, 101.0, 94.9, 100.0), *flat(100.0, 2)]
    t = only_trade(long_from_bar0(rows, config(exits={"trailing_stop": 0.05})))
    assert (t.exit_bar, t.exit_reason, t.exit_price) == (1, "trail", pytest.approx(95.0))


def test_atr_trailing_stop_ratchets_at_a_multiple_of_atr() -> None:
    # every bar has a true range of 2: ATR(2) is 2 from bar 2 on
    rows = [(100.0 + i, 101.0 + i, 99.0 + i, 100.0 + i) for i in range(8)]
    rows += [(107.0, 107.5, 100.0, 101.0), *flat(101.0, 2)]
    cfg = config(exits={"trailing_atr": 3.0, "atr_period": 2})
    t = only_trade(long_from_bar0(rows, cfg))
    # highest high 108 (bar 7) minus 3 * ATR 2 = 102, hit by bar 8's low
    assert (t.exit_bar, t.exit_reason) == (8, "trail")
    assert t.exit_price == pytest.approx(102.0, rel=1e-12)


def test_stop_loss_and_trailing_stop_together_the_tighter_one_wins() -> None:
    rows = [*flat(100.0, 2), (100.0, 100.5, 96.0, 97.0), *flat(97.0, 2)]
    cfg = config(exits={"stop_loss": 0.03, "trailing_stop": 0.02})
    t = only_trade(long_from_bar0(rows, cfg))
    assert (t.exit_price, t.exit_reason) == (pytest.approx(98.0), "trail")


@pytest.mark.parametrize(
    ("timing", "entry_bar", "exit_bar"), [("next_open", 1, 4), ("close", 0, 3)]
)
def test_time_stop_exits_max_bars_after_the_entry_bar(
    timing: str, entry_bar: int, exit_bar: int
) -> None:
    rows = [(100.0 + i, 100.5 + i, 99.5 + i, 100.0 + i) for i in range(8)]
    cfg = config(exits={"max_bars": 3}, execution={"timing": timing})
    t = only_trade(long_from_bar0(rows, cfg))
    assert (t.entry_bar, t.exit_bar, t.exit_reason) == (entry_bar, exit_bar, "time")
    expected = rows[exit_bar][0] if timing == "next_open" else rows[exit_bar][3]
    assert t.exit_price == expected


def test_position_is_closed_at_the_end_or_left_open_and_marked() -> None:
    rows = [(100.0 + i, 101.0 + i, 99.0 + i, 100.5 + i) for i in range(5)]
    fees = {"maker_fee": 0.001, "taker_fee": 0.001}
    closed = only_trade(long_from_bar0(rows, config(costs=fees)))
    assert (closed.exit_bar, closed.exit_price, closed.exit_reason) == (4, 104.5, "end")
    assert closed.exit_fees == pytest.approx(closed.qty * 104.5 * 0.001)
    left = only_trade(long_from_bar0(rows, config(costs=fees, execution={"close_at_end": False})))
    assert (left.status, left.exit_reason, left.exit_price, left.exit_fees) == (
        "open",
        "open",
        104.5,
        0.0,
    )


def test_strategy_stop_hint_sets_and_moves_the_stop() -> None:
    rows = [*flat(100.0, 3), (100.0, 100.0, 98.4, 99.0), *flat(99.0, 2)]
    bars = make_bars(rows)
    stop = pd.Series([97.0, 97.0, 98.5, 98.5, 98.5, 98.5], index=bars.index)
    res = run_signals(bars, [1] * len(rows), config(exits={"stop_loss": 0.10}), stop=stop)
    t = only_trade(res)
    # the hint replaces the 10% stop; raised to 98.5 at bar 2's close, hit in bar 3
    assert (t.exit_bar, t.exit_price, t.exit_reason) == (3, 98.5, "sl")


def test_target_hint_replaces_the_percentage_target() -> None:
    rows = [*flat(100.0, 2), (100.0, 101.6, 99.5, 101.0), *flat(101.0, 2)]
    bars = make_bars(rows)
    target = pd.Series(101.5, index=bars.index)
    res = run_signals(bars, [1] * len(rows), config(exits={"take_profit": 0.05}), target=target)
    t = only_trade(res)
    assert (t.exit_bar, t.exit_price, t.exit_reason) == (2, 101.5, "tp")
