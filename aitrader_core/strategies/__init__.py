"""Strategies: typed rules that turn bars into target directions, and their ensembles.

A strategy maps bars (OHLCV on a UTC DatetimeIndex) to a target direction per
bar in {-1, 0, +1}, using bars up to that one only. Built-in kinds are listed
in :data:`STRATEGIES`; an :class:`EnsembleConfig` (YAML under
``configs/ensembles/``) combines several by weight, threshold and governor.

Examples
--------
>>> from aitrader_core.strategies import Ensemble, EnsembleConfig, bars_from_close
>>> cfg = EnsembleConfig.model_validate({"name": "demo", "members": [
...     {"name": "trend", "kind": "ema_cross", "params": {"fast": 2, "slow": 3}}]})
>>> Ensemble(cfg).run(bars_from_close([1, 2, 3, 4.0])).signal.tolist()
[0, 0, 1, 1]
"""

from .base import (
    Rule,
    RuleStrategy,
    Signals,
    Strategy,
    StrategyParams,
    bars_from_close,
    check_bars,
    latch,
    signal_changes,
)
from .breakout import (
    BollingerBreakout,
    BollingerBreakoutParams,
    DonchianBreakout,
    DonchianBreakoutParams,
)
from .ensemble import Ensemble, EnsembleConfig, EnsembleResult, MemberConfig, combine
from .governor import GovernorConfig, govern
from .loader import (
    EnsembleError,
    ensemble_errors,
    format_location,
    load_ensemble,
    validation_messages,
)
from .registry import STRATEGIES, create_strategy, known_kinds, params_model
from .reversion import RsiReversion, RsiReversionParams, VwapReversion, VwapReversionParams
from .trend import (
    EmaCross,
    EmaCrossParams,
    IchimokuCloud,
    IchimokuCloudParams,
    MacdTrend,
    MacdTrendParams,
)

__all__ = [
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
]
