"""Combination arithmetic and the governor on small hand-built cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aitrader_core.strategies import (
    Ensemble,
    EnsembleConfig,
    GovernorConfig,
    Strategy,
    bars_from_close,
    combine,
    govern,
)


def hours(n: int, start: str = "2024-01-01 00:00") -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq="1h", tz="UTC")


def test_score_is_the_weighted_vote_and_the_threshold_gates_it() -> None:
    votes = pd.DataFrame(
        {"a": [0, 1, 1, 1, -1, 1], "b": [0, 0, 1, -1, -1, 0], "c": [0, 0, 0, 1, -1, -1]},
        index=hours(6),
    )
    weights = pd.Series({"a": 0.5, "b": 0.25, "c": 0.25})  # config weights 2, 1, 1
    score, wanted = combine(votes, weights, 0.5, allow_short=True)
    # bar 1: a alone = 0.5 (reaches 0.5); bar 2: a+b = 0.75; bar 3: 0.5-0.25+0.25;
    # bar 4: all short = -1; bar 5: 0.5-0.25 = 0.25 (below the threshold).
    assert score.tolist() == [0.0, 0.5, 0.75, 0.5, -1.0, 0.25]
    assert wanted.tolist() == [0, 1, 1, 1, -1, 0]
    assert wanted.dtype == np.int8
    _, long_only = combine(votes, weights, 0.5)
    assert long_only.tolist() == [0, 1, 1, 1, 0, 0]
    _, strict = combine(votes, weights, 0.6, allow_short=True)
    assert strict.tolist() == [0, 0, 1, 0, -1, 0]
    _, any_vote = combine(votes, weights, 0.0, allow_short=True)
    assert any_vote.tolist() == [0, 1, 1, 1, -1, 1]


def test_thirds_reach_a_two_thirds_threshold_despite_rounding() -> None:
    votes = pd.DataFrame({"a": [1, 1], "b": [1, 0], "c": [0, 0]}, index=hours(2))
    weights = pd.Series(1 / 3, index=["a", "b", "c"])
    score, wanted = combine(votes, weights, 2 / 3)
    assert score.iloc[0] == pytest.approx(2 / 3)
    assert wanted.tolist() == [1, 0]


def test_config_weights_are_normalised_before_voting() -> None:
    cfg = EnsembleConfig.model_validate(
        {
            "name": "w",
            "threshold": 0.7,
            "members": [
                {"name": "x", "kind": "ema_cross", "weight": 3, "params": {"fast": 2, "slow": 3}},
                {"name": "y", "kind": "rsi_reversion", "weight": 1, "params": {"period": 2}},
            ],
        }
    )
    result = Ensemble(cfg).run(bars_from_close([1, 2, 3, 4, 5, 6.0]))
    # A steady rise: EMA(2) > EMA(3) from bar 2 (vote 0.75 >= 0.7); RSI never < 30 (no vote).
    assert result.weights.tolist() == [0.75, 0.25]
    assert result.members.columns.tolist() == ["x", "y"]
    assert result.members["y"].eq(0).all()
    assert result.score.tolist() == [0, 0, 0.75, 0.75, 0.75, 0.75]
    assert result.signal.tolist() == [0, 0, 1, 1, 1, 1]
    assert isinstance(Ensemble(cfg), Strategy)


def test_governor_without_limits_changes_nothing() -> None:
    wanted = pd.Series([0, 1, -1, 0, 1, 1, -1], index=hours(7), dtype=np.int8)
    out, dropped = govern(wanted, GovernorConfig())
    assert out.tolist() == wanted.tolist()
    assert dropped.empty


def test_min_bars_delays_entries_and_never_blocks_an_exit() -> None:
    wanted = pd.Series([1, 0, 1, 1, 0, 0, 1, 1, 0, 1, 1, 1, 1], index=hours(13), dtype=np.int8)
    out, suppressed = govern(wanted, GovernorConfig(min_bars_between_signals=3))
    # bar 0: entry; bar 1: the exit is always allowed; bars 2-3 want long again
    # only 1-2 bars after that change (< 3), and the wish is gone at bar 4: no
    # trade. Bar 6 is 5 bars after the exit: long. Bar 8 exits; the re-entry
    # wanted from bar 9 waits until bar 11, 3 bars after the exit.
    assert out.tolist() == [1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 1]
    # One row per suppressed run, at its first bar.
    assert suppressed.index.tolist() == [wanted.index[2], wanted.index[9]]
    assert suppressed["signal"].tolist() == [1, 1]
    assert suppressed["reason"].tolist() == ["min_bars", "min_bars"]


def test_a_suppressed_reversal_still_closes_the_position() -> None:
    wanted = pd.Series([1, -1, -1, -1, -1], index=hours(5), dtype=np.int8)
    out, suppressed = govern(wanted, GovernorConfig(min_bars_between_signals=2))
    # bar 1 wants short 1 bar after the entry: flat instead of staying long;
    # the short follows 2 bars after that forced exit.
    assert out.tolist() == [1, 0, 0, -1, -1]
    assert suppressed["signal"].tolist() == [-1]
    assert suppressed.index.tolist() == [wanted.index[1]]


def test_daily_cap_counts_changes_per_utc_day_and_resets_at_midnight() -> None:
    index = hours(8, start="2024-01-01 20:00")  # bars 0-3 on Jan 1, bars 4-7 on Jan 2
    wanted = pd.Series([1, 0, 1, 0, 1, 0, 1, 1], index=index, dtype=np.int8)
    out, suppressed = govern(wanted, GovernorConfig(max_signals_per_day=2))
    # Jan 1: entry (1 change) and exit (2 changes); the entry wanted at 22:00 is
    # suppressed and gone by 23:00. Jan 2 starts a new count: entry and exit
    # again; the entry wanted from 02:00 on waits for Jan 3.
    assert out.tolist() == [1, 0, 0, 0, 1, 0, 0, 0]
    assert suppressed["reason"].tolist() == ["daily_cap", "daily_cap"]
    assert [t.strftime("%d %H:%M") for t in suppressed.index] == ["01 22:00", "02 02:00"]


def test_a_capped_entry_is_taken_after_midnight_if_still_wanted() -> None:
    wanted = pd.Series([1, 0, 1, 1, 1], index=hours(5, start="2024-01-01 21:00"), dtype=np.int8)
    out, suppressed = govern(wanted, GovernorConfig(max_signals_per_day=2))
    assert out.tolist() == [1, 0, 0, 1, 1]  # bar 3 is 00:00 on Jan 2
    assert suppressed.index.tolist() == [wanted.index[2]]


def test_both_limits_together() -> None:
    wanted = pd.Series([1, 1, 1, -1, -1, -1, 1, 1, 1], index=hours(9), dtype=np.int8)
    cfg = GovernorConfig(min_bars_between_signals=2, max_signals_per_day=2)
    out, suppressed = govern(wanted, cfg)
    # bar 0: entry (1 change); bar 3: reversal 3 bars later (2 changes); bar 6:
    # the day's cap is used up, so the reversal is suppressed and the short is
    # closed (3 changes); later bars stay capped for the rest of the day.
    assert out.tolist() == [1, 1, 1, -1, -1, -1, 0, 0, 0]
    assert suppressed["reason"].tolist() == ["daily_cap", "min_bars", "daily_cap"]
    assert suppressed.index.tolist() == list(wanted.index[6:9])
