"""Risk limits and the guard that enforces them before any order leaves."""

from aitrader_core.risk.guard import ALLOW, Decision, Proposal, RiskGuard, RiskState
from aitrader_core.risk.limits import RiskLimits, StrategyControl

__all__ = [
    "ALLOW",
    "Decision",
    "Proposal",
    "RiskGuard",
    "RiskLimits",
    "RiskState",
    "StrategyControl",
]
