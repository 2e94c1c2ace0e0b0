"""The risk guard: answers every proposed order with allow or deny, and a reason.

Inputs are a :class:`RiskState` built by the caller from the broker (equity,
positions, prices) and the journal (start-of-day equity, trades today), never
from a client request. The guard is pure: same state and proposal, same answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from aitrader_core.domain.money import ZERO
from aitrader_core.domain.orders import Side
from aitrader_core.risk.limits import RiskLimits, StrategyControl


@dataclass(frozen=True)
class Proposal:
    """An order someone wants to send: who, what, and the stop it will carry."""

    strategy: str
    symbol: str
    side: Side
    qty: Decimal
    price: Decimal
    stop_price: Decimal | None = None


@dataclass(frozen=True)
class RiskState:
    """What the guard knows: from the broker and the journal, at decision time."""

    equity: Decimal
    start_of_day_equity: Decimal
    positions: dict[str, Decimal] = field(default_factory=dict)  # signed base quantity
    marks: dict[str, Decimal] = field(default_factory=dict)  # latest price per symbol
    trades_today: int = 0
    strategy_trades_today: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    """The guard's answer: ``rule`` names the limit that decided a denial."""

    allowed: bool
    rule: str
    reason: str


ALLOW = Decision(True, "ok", "within every limit")


class RiskGuard:
    """Checks proposals against :class:`RiskLimits` and per-strategy controls.

    Examples
    --------
    >>> guard = RiskGuard(RiskLimits(max_order_notional=Decimal("1000")))
    >>> state = RiskState(equity=Decimal("10000"), start_of_day_equity=Decimal("10000"))
    >>> guard.check(Proposal("s", "BTC/USDT", Side.BUY, Decimal("1"), Decimal("2000"),
    ...                      Decimal("1990")), state).reason
    'order notional 2000 exceeds the limit 1000'
    """

    def __init__(self, limits: RiskLimits, strategies: dict[str, StrategyControl] | None = None):
        self.limits = limits
        self.strategies = dict(strategies or {})

    def check(self, p: Proposal, s: RiskState) -> Decision:
        """Allow or deny ``p`` in state ``s``; the first limit that fails decides."""
        lim = self.limits
        held = s.positions.get(p.symbol, ZERO)
        after = held + p.qty * p.side.sign
        reducing = is_reducing(p, s)
        if p.qty <= 0 or p.price <= 0:
            return Decision(False, "input", "quantity and price must be positive")
        if lim.kill_switch and not reducing:
            return Decision(False, "kill_switch", "kill switch is on: only reducing orders pass")
        if reducing:
            return ALLOW  # closing risk is always allowed (unless the order flips the position)
        control = self.strategies.get(p.strategy, StrategyControl())
        if not control.enabled:
            return Decision(False, "strategy_disabled", f"strategy {p.strategy} is disabled")
        notional = p.qty * p.price
        if lim.max_order_notional is not None and notional > lim.max_order_notional:
            return Decision(
                False,
                "max_order_notional",
                f"order notional {notional} exceeds the limit {lim.max_order_notional}",
            )
        if s.equity <= 0:
            return Decision(False, "equity", "equity is not positive")
        if lim.max_daily_loss is not None:
            floor = s.start_of_day_equity * (1 - lim.max_daily_loss)
            if s.equity <= floor:
                return Decision(
                    False,
                    "max_daily_loss",
                    f"equity {s.equity} at or below today's loss floor {floor}",
                )
        if lim.max_trades_per_day is not None and s.trades_today >= lim.max_trades_per_day:
            return Decision(
                False,
                "max_trades_per_day",
                f"{s.trades_today} trades today, limit {lim.max_trades_per_day}",
            )
        done = s.strategy_trades_today.get(p.strategy, 0)
        if done >= control.max_daily_trades:
            return Decision(
                False,
                "strategy_max_daily_trades",
                f"{p.strategy}: {done} trades today, limit {control.max_daily_trades}",
            )
        risk_cap = _min_opt(lim.max_risk_per_trade, control.max_risk_fraction)
        if risk_cap is not None:
            if p.stop_price is None:
                return Decision(False, "stop_required", "a stop price is required to size risk")
            at_risk = p.qty * abs(p.price - p.stop_price)
            if at_risk > risk_cap * s.equity:
                return Decision(
                    False,
                    "max_risk_per_trade",
                    f"{at_risk} at risk exceeds {risk_cap} of equity {s.equity}",
                )
        return self._exposure(p, s, after)

    def _exposure(self, p: Proposal, s: RiskState, after: Decimal) -> Decision:
        lim = self.limits
        marks = {**s.marks, p.symbol: s.marks.get(p.symbol, p.price)}
        positions = {**s.positions, p.symbol: after}
        symbol_exposure = abs(after) * marks[p.symbol]
        if (
            lim.max_symbol_exposure is not None
            and symbol_exposure > lim.max_symbol_exposure * s.equity
        ):
            return Decision(
                False,
                "max_symbol_exposure",
                f"{p.symbol} exposure {symbol_exposure} would exceed "
                f"{lim.max_symbol_exposure} of equity {s.equity}",
            )
        gross = sum((abs(q) * marks.get(sym, ZERO) for sym, q in positions.items()), ZERO)
        if lim.max_gross_exposure is not None and gross > lim.max_gross_exposure * s.equity:
            return Decision(
                False,
                "max_gross_exposure",
                f"gross exposure {gross} would exceed {lim.max_gross_exposure} "
                f"of equity {s.equity}",
            )
        open_after = sum(1 for q in positions.values() if q != 0)
        if lim.max_open_positions is not None and open_after > lim.max_open_positions:
            return Decision(
                False,
                "max_open_positions",
                f"{open_after} open positions would exceed {lim.max_open_positions}",
            )
        return ALLOW


def is_reducing(p: Proposal, s: RiskState) -> bool:
    """True when ``p`` only shrinks the held position (never flips it): closing risk.

    Examples
    --------
    >>> state = RiskState(Decimal(1), Decimal(1), positions={"X": Decimal(2)})
    >>> is_reducing(Proposal("s", "X", Side.SELL, Decimal(1), Decimal(1)), state)
    True
    >>> is_reducing(Proposal("s", "X", Side.SELL, Decimal(3), Decimal(1)), state)
    False
    """
    held = s.positions.get(p.symbol, ZERO)
    after = held + p.qty * p.side.sign
    return held != 0 and abs(after) < abs(held) and (after == 0 or (after > 0) == (held > 0))


def _min_opt(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    values = [v for v in (a, b) if v is not None]
    return min(values) if values else None
