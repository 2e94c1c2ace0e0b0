"""No look-ahead: a result at bar t computed on bars[:t + 1] equals the full-history one."""

from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from aitrader_core.strategies import STRATEGIES, Ensemble, EnsembleConfig

# Every kind votes (shorts allowed), and both governor limits are active, so the
# property covers every rule, the vote and the governor's day counting.
EVERYTHING = EnsembleConfig.model_validate(
    {
        "name": "everything",
        "threshold": 0.3,
        "allow_short": True,
        "governor": {"min_bars_between_signals": 3, "max_signals_per_day": 3},
        "members": [
            {"name": kind, "kind": kind, "params": {"allow_short": True}} for kind in STRATEGIES
        ]
        + [{"name": "revert", "kind": "bollinger_breakout", "params": {"mode": "revert"}}],
    }
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(fraction=st.floats(min_value=0.0, max_value=1.0))
@example(fraction=0.0)
@example(fraction=1.0)
def test_prefix_results_equal_the_full_results(btc: pd.DataFrame, fraction: float) -> None:
    full = Ensemble(EVERYTHING).run(btc)
    t = round(fraction * (len(btc) - 1))
    part = Ensemble(EVERYTHING).run(btc.iloc[: t + 1])
    pd.testing.assert_frame_equal(part.members, full.members.iloc[: t + 1])
    pd.testing.assert_series_equal(part.score, full.score.iloc[: t + 1])
    pd.testing.assert_series_equal(part.wanted, full.wanted.iloc[: t + 1])
    pd.testing.assert_series_equal(part.signal, full.signal.iloc[: t + 1])
    pd.testing.assert_frame_equal(part.suppressed, full.suppressed.loc[: btc.index[t]])
    assert full.members.ne(0).any().all()  # every member takes positions on this history
