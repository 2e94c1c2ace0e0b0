"""The guard every order of the coordinator passes: the risk guard, then pre-trade compliance.

Both answer with a :class:`~aitrader_core.risk.guard.Decision`; the first denial
decides and is journaled with its rule (``max_daily_loss``, ``price_band``...).
Pre-trade inputs come from the store and the venue at decision time: the last
close as the last trade price, the base volume of the last bars as the recent
volume, the coordinator's clock as the time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal

from aitrader_core.compliance.pretrade import MarketContext, PretradeCheck
from aitrader_core.domain.money import ZERO
from aitrader_core.risk import Decision, Proposal, RiskGuard, RiskLimits, RiskState, StrategyControl
from aitrader_core.risk.guard import is_reducing


class ComplianceGuard(RiskGuard):
    """A :class:`RiskGuard` that also runs :class:`PretradeCheck` on what it allows.

    Examples
    --------
    >>> from aitrader_core.compliance.pretrade import PretradeConfig
    >>> from aitrader_core.domain.orders import Side
    >>> check = PretradeCheck(PretradeConfig(restricted_symbols=["DOGE/USDT"]))
    >>> guard = ComplianceGuard(RiskLimits(max_risk_per_trade=None), {}, check,
    ...                         lambda p: MarketContext(p.price, None, 0))
    >>> state = RiskState(equity=Decimal(1000), start_of_day_equity=Decimal(1000))
    >>> order = Proposal("s", "DOGE/USDT", Side.BUY, Decimal(10), Decimal("0.1"), Decimal("0.09"))
    >>> guard.check(order, state).rule
    'restricted_symbol'
    """

    def __init__(
        self,
        limits: RiskLimits,
        strategies: Mapping[str, StrategyControl] | None,
        pretrade: PretradeCheck,
        context: Callable[[Proposal], MarketContext],
    ) -> None:
        super().__init__(limits, dict(strategies or {}))
        self.pretrade = pretrade
        self.context = context

    def check(self, p: Proposal, s: RiskState) -> Decision:
        """The risk guard's answer; if it allows, pre-trade compliance's."""
        decision = super().check(p, s)
        if not decision.allowed:
            return decision
        return self.pretrade.check(p, self.context(p), reducing=is_reducing(p, s))


def recent_volume(volumes: list[float]) -> Decimal:
    """Sum of bar volumes as a Decimal (the pre-trade volume-share input).

    Examples
    --------
    >>> recent_volume([1.5, 2.25])
    Decimal('3.75')
    """
    return sum((Decimal(repr(v)) for v in volumes), ZERO)
