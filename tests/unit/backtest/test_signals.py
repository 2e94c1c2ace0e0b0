"""Signals into orders: timing without look-ahead, conflicts, reversal, shorts, re-entry."""

from __future__ import annotations

import numpy as np
import pytest

from aitrader_core.backtest import BacktestConfig, run, run_signals
from aitrader_core.backtest.engine import (
    LONG_ENTRY,
    LONG_EXIT,
    OPPOSITE_CLOSE,
    OPPOSITE_IGNORE,
    OPPOSITE_REVERSE,
    SHORT_ENTRY,
    SHORT_EXIT,
    decide,
)
from aitrader_core.backtest.runner import signal_flags

from .bars import make_bars

ROWS = [(100.0 + i, 100.5 + i, 99.5 + i, 100.25 + i) for i in range(8)]


def cfg(**execution: object) -> BacktestConfig:
    return BacktestConfig.model_validate(
        {"costs": {"maker_fee": 0.0, "taker_fee": 0.0}, "execution": execution}
    )


def test_next_open_is_the_default_and_fills_after_the_signal_bar() -> None:
    res = run_signals(make_bars(ROWS), [0, 1, 1, 0, 0, 0, 0, 0], cfg())
    t = res.trades.iloc[0]
    assert (t.entry_bar, t.entry_price) == (2, ROWS[2][0])  # the open after the signal
    assert (t.exit_bar, t.exit_price) == (4, ROWS[4][0])
    assert res.orders.signal_bar.tolist() == [1, 3]


def test_close_timing_fills_at_the_signal_bar_close() -> None:
    res = run_signals(make_bars(ROWS), [0, 1, 1, 0, 0, 0, 0, 0], cfg(timing="close"))
    t = res.trades.iloc[0]
    assert (t.entry_bar, t.entry_price, t.exit_bar, t.exit_price) == (
        1,
        ROWS[1][3],
        3,
        ROWS[3][3],
    )


def test_future_bars_do_not_change_past_decisions() -> None:
    rng = np.random.default_rng(11)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, 200)))
    rows = [(c, c * 1.01, c * 0.99, c) for c in close]
    signal = rng.choice([-1, 0, 1], size=200)
    c = BacktestConfig.model_validate(
        {"exits": {"stop_loss": 0.03, "trailing_stop": 0.04}, "execution": {"allow_short": True}}
    )
    full = run_signals(make_bars(rows), signal, c)
    cut = run_signals(make_bars(rows[:120]), signal[:120], c)
    done = cut.trades[cut.trades.exit_reason != "end"]
    assert len(done) > 5
    assert (
        full.trades.iloc[: len(done)].drop(columns="duration").equals(done.drop(columns="duration"))
    )
    np.testing.assert_array_equal(full.equity.iloc[:119], cut.equity.iloc[:119])


def test_short_signals_are_ignored_unless_shorting_is_allowed() -> None:
    signal = [0, -1, -1, -1, 0, 0, 0, 0]
    assert run_signals(make_bars(ROWS), signal, cfg()).trades.empty
    t = run_signals(make_bars(ROWS), signal, cfg(allow_short=True)).trades.iloc[0]
    assert t.direction == "short"
    # sold at bar 2's open, bought back at bar 5's (the 0 at bar 4): prices rose, a loss
    assert t.pnl == pytest.approx(t.qty * (ROWS[2][0] - ROWS[5][0]))


def test_opposite_signal_reverses_closes_or_is_ignored() -> None:
    signal = [1, 1, -1, -1, -1, 0, 0, 0]
    bars = make_bars(ROWS)
    rev = run_signals(bars, signal, cfg(allow_short=True)).trades
    assert rev.direction.tolist() == ["long", "short"]
    assert rev.exit_bar.iloc[0] == rev.entry_bar.iloc[1] == 3
    close = run_signals(bars, signal, cfg(allow_short=True, on_opposite="close")).trades
    assert close.direction.tolist() == ["long"]
    assert close.exit_bar.iloc[0] == 3
    # long-only: -1 is simply "not long" -> exit
    assert run_signals(bars, signal, cfg()).trades.exit_bar.tolist() == [3]


def test_edge_reentry_waits_for_a_new_signal_level_reenters() -> None:
    rows = [(100.0, 100.0, 100.0, 100.0)] * 2 + [(100.0, 100.0, 90.0, 95.0)] + [(95.0,) * 4] * 4
    signal = [1] * 7
    c = {"costs": {"taker_fee": 0.0}, "exits": {"stop_loss": 0.05}}
    edge = run_signals(make_bars(rows), signal, BacktestConfig.model_validate(c))
    assert edge.trades.exit_reason.tolist() == ["sl"]
    level = run_signals(
        make_bars(rows),
        signal,
        BacktestConfig.model_validate(c | {"execution": {"reentry": "level"}}),
    )
    assert level.trades.exit_reason.tolist() == ["sl", "end"]
    assert level.trades.entry_bar.tolist() == [1, 3]


def test_entry_exit_booleans_like_vectorbt() -> None:
    bars = make_bars(ROWS)
    entries = [False, True, False, False, False, True, False, False]
    exits = [False, False, False, True, False, False, False, True]
    res = run(bars, entries=entries, exits=exits, config=cfg())
    assert res.trades[["entry_bar", "exit_bar"]].values.tolist() == [[2, 4], [6, 7]]


@pytest.mark.parametrize(
    ("flags", "pos", "pending", "expected"),
    [
        (LONG_ENTRY, 0.0, 0.0, (False, 1, False)),
        (LONG_ENTRY | LONG_EXIT, 0.0, 0.0, (False, 0, False)),  # conflict: both ignored
        (LONG_ENTRY | SHORT_ENTRY, 0.0, 0.0, (False, 0, False)),  # direction conflict
        (SHORT_ENTRY, 1.0, 0.0, (True, -1, False)),  # reverse
        (LONG_ENTRY, 1.0, 0.0, (False, 0, False)),  # already long
        (LONG_EXIT, 1.0, 0.0, (True, 0, False)),
        (SHORT_EXIT, -1.0, 0.0, (True, 0, False)),
        (LONG_EXIT, 0.0, 1.0, (False, 0, True)),  # cancels a resting long entry
        (SHORT_ENTRY, 0.0, 1.0, (False, -1, True)),  # replaces it
        (LONG_ENTRY, 0.0, 1.0, (False, 0, False)),  # keeps it
    ],
)
def test_decide(flags: int, pos: float, pending: float, expected: tuple) -> None:
    assert decide(flags, pos, pending, True, True, OPPOSITE_REVERSE) == expected


def test_decide_opposite_modes_and_disallowed_sides() -> None:
    assert decide(SHORT_ENTRY, 1.0, 0.0, True, True, OPPOSITE_CLOSE) == (True, 0, False)
    assert decide(SHORT_ENTRY, 1.0, 0.0, True, True, OPPOSITE_IGNORE) == (False, 0, False)
    assert decide(SHORT_ENTRY, 0.0, 0.0, True, False, OPPOSITE_REVERSE) == (False, 0, False)
    assert decide(LONG_ENTRY, 0.0, 0.0, False, True, OPPOSITE_REVERSE) == (False, 0, False)


def test_signal_flags_edge_and_level() -> None:
    sig = np.array([0, 1, 1, np.nan, -1, -1])
    edge = signal_flags(sig, "edge")
    assert [bool(f & LONG_ENTRY) for f in edge] == [False, True, False, False, False, False]
    assert [bool(f & SHORT_ENTRY) for f in edge] == [False, False, False, False, True, False]
    level = signal_flags(sig, "level")
    assert [bool(f & LONG_ENTRY) for f in level] == [False, True, True, False, False, False]
    assert all(bool(f & LONG_EXIT) for f in edge[3:])
    with pytest.raises(ValueError, match="-1, 0, 1"):
        signal_flags(np.array([0, 2]))


def test_inputs_are_validated() -> None:
    bars = make_bars(ROWS)
    with pytest.raises(ValueError, match="one value per bar"):
        run_signals(bars, [1, 0], cfg())
    with pytest.raises(ValueError, match="either signal or entries"):
        run(bars, signal=[0] * 8, entries=[True] * 8)
    with pytest.raises(ValueError, match="strictly increasing"):
        run_signals(bars.iloc[::-1], [0] * 8, cfg())
