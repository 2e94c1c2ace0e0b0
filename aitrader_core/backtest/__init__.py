"""Backtesting: the fill model, the numba event loop, sizing, results, vectorbt parity.

Entry points: :func:`run_signals` (a strategy's target direction in {-1, 0,
1} with optional stop/target prices), :func:`run` (also entry/exit booleans),
:func:`run_portfolio` (several symbols sharing cash) and :func:`from_signals`
(vectorbt's ``Portfolio.from_signals`` conventions). The fill model
(:func:`fill_order`) is shared with the simulated broker. Conventions and
their differences from vectorbt: ``docs/backtest.md``.
"""

from aitrader_core.backtest.config import (
    BacktestConfig,
    Costs,
    Execution,
    Exits,
    FixedNotional,
    FixedQuantity,
    Kelly,
    PercentCash,
    PercentEquity,
    RiskPerTrade,
    Sizing,
    VolTarget,
)
from aitrader_core.backtest.fills import FillCosts, fill_order, match_price
from aitrader_core.backtest.portfolio import run_portfolio
from aitrader_core.backtest.results import BacktestResult
from aitrader_core.backtest.runner import run, run_signals
from aitrader_core.backtest.sizing import kelly_fraction, realised_vol
from aitrader_core.backtest.vbt_compat import from_signals

__all__ = [
    "BacktestConfig",
    "BacktestResult",
    "Costs",
    "Execution",
    "Exits",
    "FillCosts",
    "FixedNotional",
    "FixedQuantity",
    "Kelly",
    "PercentCash",
    "PercentEquity",
    "RiskPerTrade",
    "Sizing",
    "VolTarget",
    "fill_order",
    "from_signals",
    "kelly_fraction",
    "match_price",
    "realised_vol",
    "run",
    "run_portfolio",
    "run_signals",
]
