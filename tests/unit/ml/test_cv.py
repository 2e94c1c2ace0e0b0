"""Purged, embargoed walk-forward folds: no training label reaches into its test block."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aitrader_core.errors import ValidationError
from aitrader_core.ml import purged_walk_forward


@st.composite
def labelled_events(draw: st.DrawFn) -> tuple[pd.DatetimeIndex, pd.Series]:
    n = draw(st.integers(6, 80))
    gaps = draw(st.lists(st.integers(0, 10), min_size=n, max_size=n))
    spans = draw(st.lists(st.integers(0, 30), min_size=n, max_size=n))
    t0 = pd.DatetimeIndex(
        pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(np.cumsum(gaps), unit="h")
    )
    return t0, pd.Series(t0 + pd.to_timedelta(spans, unit="h"))


@settings(max_examples=100, deadline=None)
@given(labelled_events(), st.integers(1, 5), st.integers(0, 24))
def test_folds_are_purged_embargoed_and_walk_forward(
    events: tuple[pd.DatetimeIndex, pd.Series], n_splits: int, hours: int
) -> None:
    t0, t1 = events
    n_splits = min(n_splits, len(t0) - 1)
    embargo = pd.Timedelta(hours=hours)
    folds = list(purged_walk_forward(t0, t1, n_splits, embargo))
    ends = pd.DatetimeIndex(t1)
    tested = np.concatenate([test for _, test in folds]) if folds else np.array([], int)
    assert len(np.unique(tested)) == len(tested)  # test blocks never overlap
    for train, test in folds:
        assert len(train) > 0
        assert train.max() < test.min()  # only the past trains
        start = t0[test.min()]
        assert (ends[train] + embargo < start).all()  # purged, with the embargo to spare
        earlier = np.setdiff1d(np.arange(test.min()), train)
        assert (ends[earlier] + embargo >= start).all()  # and nothing else was dropped
        assert np.array_equal(test, np.arange(test.min(), test.max() + 1))  # contiguous


def test_purging_and_embargo_on_a_worked_example() -> None:
    t0 = pd.date_range("2024-01-01", periods=8, freq="1h", tz="UTC")
    t1 = pd.Series(t0 + pd.Timedelta("150min"))  # each label is known 2.5 h after it starts
    folds = [(tr.tolist(), te.tolist()) for tr, te in purged_walk_forward(t0, t1, 3)]
    # fold 1 (test 2-3) has nothing resolved before 02:00 and is skipped
    assert folds == [([0, 1], [4, 5]), ([0, 1, 2, 3], [6, 7])]
    folds = [(tr.tolist(), te.tolist()) for tr, te in purged_walk_forward(t0, t1, 3, "1h")]
    assert folds == [([0], [4, 5]), ([0, 1, 2], [6, 7])]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"n_splits": 0}, "n_splits"),
        ({"n_splits": 8}, "n_splits"),
        ({"embargo": "-1h"}, "embargo"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, object], field: str) -> None:
    t0 = pd.date_range("2024-01-01", periods=8, freq="1h", tz="UTC")
    with pytest.raises(ValidationError) as err:
        list(purged_walk_forward(t0, pd.Series(t0), **kwargs))  # type: ignore[arg-type]
    assert err.value.field == field


def test_unsorted_events_and_labels_ending_early_are_refused() -> None:
    t0 = pd.date_range("2024-01-01", periods=4, freq="1h", tz="UTC")
    with pytest.raises(ValidationError, match="sorted"):
        list(purged_walk_forward(t0[::-1], pd.Series(t0[::-1]), 2))
    with pytest.raises(ValidationError, match="ends before"):
        list(purged_walk_forward(t0, pd.Series(t0 - pd.Timedelta("1h")), 2))
