"""No look-ahead: the value at bar t computed on bars[:t+1] equals the value at t
computed on the whole series, for every indicator and pattern, at random cut
points of real data (biased towards the warm-up, where seeding bugs hide)."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import get_series
from .specs import NUMERIC, PATTERN_SPECS, Spec, as_arrays

SERIES = ("btc_1h", "btc_1m_gappy")
SPECS = {s.name: s for s in NUMERIC + PATTERN_SPECS}
# Enough bars for every warm-up, short enough to keep 25 examples per case cheap.
LENGTH = 3000


@cache
def full_output(spec_name: str, series_name: str) -> list[np.ndarray]:
    bars = get_series(series_name).bars.upto(LENGTH)
    return as_arrays(SPECS[spec_name].ours(bars))


@pytest.mark.parametrize("series_name", SERIES)
@pytest.mark.parametrize("spec", list(SPECS.values()), ids=lambda s: s.name)
@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(data=st.data())
def test_value_at_t_uses_only_bars_up_to_t(
    spec: Spec, series_name: str, data: st.DataObject
) -> None:
    full = full_output(spec.name, series_name)
    t = data.draw(st.one_of(st.integers(0, 80), st.integers(0, LENGTH - 1)), label="t")
    prefix = as_arrays(spec.ours(get_series(series_name).bars.upto(t + 1)))
    for whole, part in zip(full, prefix, strict=True):
        assert part.shape == (t + 1,)
        np.testing.assert_array_equal(part[t], whole[t])
