"""The public surface of aitrader_core.strategies is what __all__ says."""

from __future__ import annotations

import aitrader_core.strategies as strategies

PINNED = {
    "STRATEGIES",
    "BollingerBreakout",
    "BollingerBreakoutParams",
    "DonchianBreakout",
    "DonchianBreakoutParams",
    "EmaCross",
    "EmaCrossParams",
    "Ensemble",
    "EnsembleConfig",
    "EnsembleError",
    "EnsembleResult",
    "GovernorConfig",
    "IchimokuCloud",
    "IchimokuCloudParams",
    "MacdTrend",
    "MacdTrendParams",
    "MemberConfig",
    "RsiReversion",
    "RsiReversionParams",
    "Rule",
    "RuleStrategy",
    "Signals",
    "Strategy",
    "StrategyParams",
    "VwapReversion",
    "VwapReversionParams",
    "bars_from_close",
    "check_bars",
    "combine",
    "create_strategy",
    "ensemble_errors",
    "format_location",
    "govern",
    "known_kinds",
    "latch",
    "load_ensemble",
    "params_model",
    "signal_changes",
    "validation_messages",
}


def test_all_is_pinned() -> None:
    assert set(strategies.__all__) == PINNED


def test_every_public_name_resolves_and_is_documented() -> None:
    for name in strategies.__all__:
        obj = getattr(strategies, name)
        assert obj is not None
        if callable(obj):
            assert obj.__doc__, name
