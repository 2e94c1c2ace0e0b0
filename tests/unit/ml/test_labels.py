"""Triple-barrier labels and signal-bar features: right on hand-built paths, no look-ahead."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aitrader_core.errors import ValidationError
from aitrader_core.ml import meta_features, triple_barrier_labels

IDX = pd.date_range("2024-01-01", periods=6, freq="1h", tz="UTC")


def bars_of(rows: list[tuple[float, float, float, float]]) -> pd.DataFrame:
    """Bars from (open, high, low, close) rows, hourly from 2024-01-01."""
    frame = pd.DataFrame(rows, columns=["open", "high", "low", "close"])
    frame.index = pd.date_range("2024-01-01", periods=len(rows), freq="1h", tz="UTC")
    frame["volume"] = 1.0
    return frame


def one(bars: pd.DataFrame, side: int = 1, **kw: float) -> pd.Series:
    events = pd.DataFrame({"side": [side]}, index=bars.index[:1])
    out = triple_barrier_labels(bars, events, **kw)  # type: ignore[arg-type]
    assert len(out) == 1
    return out.iloc[0]


FLAT_THEN_UP = bars_of(
    [(100, 101, 99, 100), (100, 101, 99.5, 100.5), (100.5, 104, 100, 103.5), (103.5, 104, 103, 104)]
)


def test_profit_barrier_hit() -> None:
    row = one(FLAT_THEN_UP, pt=0.03, sl=0.02, max_holding=4)
    assert (row["barrier"], row["label"], row["t1"]) == ("pt", 1, FLAT_THEN_UP.index[2])
    assert row["ret"] == pytest.approx(0.03)


def test_stop_barrier_hit_and_short_side() -> None:
    down = bars_of([(100, 100.5, 99.5, 100), (100, 100.2, 97.5, 98), (98, 99, 90, 91)])
    row = one(down, pt=0.05, sl=0.02, max_holding=3)
    assert (row["barrier"], row["label"], row["t1"]) == ("sl", 0, down.index[1])
    assert row["ret"] == pytest.approx(-0.02)
    short = one(down, side=-1, pt=0.05, sl=0.02, max_holding=3)  # the same fall pays a short
    assert (short["barrier"], short["label"], short["t1"]) == ("pt", 1, down.index[2])
    assert short["ret"] == pytest.approx(0.05)


def test_timeout_labels_by_the_sign_of_the_return() -> None:
    row = one(FLAT_THEN_UP, pt=0.5, sl=0.5, max_holding=2)
    assert (row["barrier"], row["t1"], row["label"]) == ("time", FLAT_THEN_UP.index[1], 1)
    assert row["ret"] == pytest.approx(0.005)
    losing = bars_of([(100, 100.5, 99.5, 100), (100, 100.2, 99.0, 99.5)])
    assert one(losing, pt=0.5, sl=0.5, max_holding=2)["label"] == 0


def test_both_barriers_in_one_bar_take_the_stop_and_a_gap_exits_at_the_open() -> None:
    wide = bars_of([(100, 100.5, 99.5, 100), (100, 106, 97, 100)])
    assert one(wide, pt=0.05, sl=0.02, max_holding=2)["barrier"] == "sl"
    gap = bars_of([(100, 100.5, 99.5, 100), (95, 96, 94, 95)])
    row = one(gap, pt=0.05, sl=0.02, max_holding=2)
    assert row["barrier"] == "sl"
    assert row["ret"] == pytest.approx(-0.05)  # filled at the gapped open, not at the stop


def test_width_price_and_disabled_barriers() -> None:
    events = pd.DataFrame({"side": [1], "price": [100.0], "trgt": [0.01]}, index=IDX[:1])
    out = triple_barrier_labels(FLAT_THEN_UP, events, pt=3.0, sl=0.0, max_holding=4)
    assert out["barrier"].iloc[0] == "pt"  # 3 x 1% = 103, inside bar 2; no stop at all


def test_unresolved_events_are_left_out_and_bad_input_is_refused() -> None:
    events = pd.DataFrame({"side": [1, 1]}, index=FLAT_THEN_UP.index[[0, 3]])
    out = triple_barrier_labels(FLAT_THEN_UP, events, pt=0.5, sl=0.5, max_holding=3)
    assert list(out.index) == [FLAT_THEN_UP.index[0]]
    with pytest.raises(ValidationError, match="side"):
        triple_barrier_labels(FLAT_THEN_UP, events.assign(side=0))
    with pytest.raises(ValidationError, match="start on a bar"):
        triple_barrier_labels(FLAT_THEN_UP, events.set_axis(events.index + pd.Timedelta("1min")))


Walk = tuple[pd.DataFrame, pd.DataFrame, dict[str, float], int]  # bars, events, pt/sl, holding


@st.composite
def walks(draw: st.DrawFn, min_bars: int = 20, max_bars: int = 60) -> Walk:
    n = draw(st.integers(min_bars, max_bars))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    opens = np.r_[100.0, close[:-1]]
    spread = np.abs(rng.normal(0, 0.005, n))
    bars = pd.DataFrame(
        {
            "open": opens,
            "high": np.maximum(opens, close) * (1 + spread),
            "low": np.minimum(opens, close) * (1 - spread),
            "close": close,
            "volume": rng.uniform(1, 10, n),
        },
        index=pd.date_range("2024-01-01", periods=n, freq="1h", tz="UTC"),
    )
    starts = sorted(draw(st.sets(st.integers(0, n - 1), min_size=1, max_size=6)))
    sides = [draw(st.sampled_from([-1, 1])) for _ in starts]
    events = pd.DataFrame({"side": sides}, index=bars.index[starts])
    kw = {"pt": draw(st.floats(0.0, 0.05)), "sl": draw(st.floats(0.0, 0.05))}
    return bars, events, kw, draw(st.integers(1, 15))


@settings(max_examples=60, deadline=None)
@given(walks(), st.integers(0, 2**32 - 1))
def test_bars_after_t1_never_change_a_label(case: Walk, seed: int) -> None:
    bars, events, kw, hold = case
    labels = triple_barrier_labels(bars, events, max_holding=hold, **kw)
    rng = np.random.default_rng(seed)
    for t0, row in labels.iterrows():
        after = bars.index > row["t1"]
        changed = bars.copy()
        changed.loc[after, ["open", "high", "low", "close"]] *= rng.uniform(
            0.5, 1.5, (after.sum(), 1)
        )
        again = triple_barrier_labels(changed, events.loc[[t0]], max_holding=hold, **kw)
        assert again.iloc[0].to_dict() == row.to_dict()
        held = bars.index.get_loc(row["t1"]) - bars.index.get_loc(t0) + 1
        assert held <= hold
        assert row["label"] == int(row["ret"] > 0)
        if row["barrier"] == "pt":
            assert row["ret"] >= kw["pt"] - 1e-12
        if row["barrier"] == "sl":
            assert row["ret"] <= -kw["sl"] + 1e-12


@settings(max_examples=25, deadline=None)
@given(walks(60, 120), st.integers(0, 2**32 - 1), st.data())
def test_features_at_a_bar_ignore_later_bars(case: Walk, seed: int, data: st.DataObject) -> None:
    bars = case[0]
    t = data.draw(st.integers(0, len(bars) - 2))  # past the 50-bar EMA warm-up, mostly
    changed = bars.copy()
    changed.iloc[t + 1 :, :4] *= np.random.default_rng(seed).uniform(0.5, 1.5)
    changed.iloc[t + 1 :, 4] *= 3.0
    pd.testing.assert_frame_equal(
        meta_features(bars).iloc[: t + 1], meta_features(changed).iloc[: t + 1], rtol=1e-12
    )
