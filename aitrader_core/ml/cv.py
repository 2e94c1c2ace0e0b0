"""Purged, embargoed walk-forward cross-validation for labels that span time.

A triple-barrier label starting at ``t0`` is only known at ``t1``. A training
sample whose label period reaches into the test period leaks test outcomes
into training, so it is *purged*; the *embargo* widens the gap further,
because features of neighbouring samples share bars (a 24-bar return is
nearly the same an hour later).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import numpy as np
import pandas as pd

from aitrader_core.errors import ValidationError


def purged_walk_forward(
    index: pd.DatetimeIndex,
    t1: pd.Series | pd.DatetimeIndex,
    n_splits: int = 5,
    embargo: pd.Timedelta | str = "0h",
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Expanding walk-forward folds as (train, test) positions, purged and embargoed.

    Events (sorted by start ``index``) are cut into ``n_splits + 1`` contiguous
    blocks; fold ``k`` tests block ``k`` (the first block only ever trains) and
    trains on the earlier events whose label ended before the first test event
    started, with ``embargo`` to spare: ``t1 + embargo < first test t0``.
    Folds left with no training sample are skipped.

    Examples
    --------
    >>> t0 = pd.date_range("2024-01-01", periods=6, freq="1h", tz="UTC")
    >>> t1 = pd.Series(t0 + pd.Timedelta("90min"))
    >>> [(tr.tolist(), te.tolist()) for tr, te in purged_walk_forward(t0, t1, 2)]
    [([0], [2, 3]), ([0, 1, 2], [4, 5])]
    >>> [tr.tolist() for tr, _ in purged_walk_forward(t0, t1, 2, embargo="1h")]
    [[0, 1]]
    """
    starts = pd.DatetimeIndex(index)
    ends = pd.DatetimeIndex(t1)
    gap = pd.Timedelta(embargo)
    if len(starts) != len(ends):
        raise ValidationError("index and t1 differ in length", field="t1")
    if n_splits < 1 or len(starts) < n_splits + 1:
        raise ValidationError(
            f"need 1 ≤ n_splits < samples ({len(starts)} samples)", field="n_splits"
        )
    if gap < pd.Timedelta(0):
        raise ValidationError("must be ≥ 0", field="embargo")
    if not starts.is_monotonic_increasing:
        raise ValidationError("events must be sorted by start", field="index")
    if (ends < starts).any():
        raise ValidationError("a label ends before it starts", field="t1")
    bounds = np.linspace(0, len(starts), n_splits + 2).astype(int)
    for lo, hi in itertools.pairwise(bounds[1:]):
        train = np.flatnonzero(ends[:lo] < starts[lo] - gap)
        if len(train):
            yield train, np.arange(lo, hi)
