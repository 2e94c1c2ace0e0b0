"""Backtest configuration: costs, sizing, exits and execution timing.

Frozen pydantic models with ``extra="forbid"``; fractions are plain fractions
(``0.02`` = 2 %), fees are fractions of notional, slippage is in basis points.

Examples
--------
>>> cfg = BacktestConfig(
...     costs=Costs(taker_fee=0.001, slippage_bps=2),
...     sizing=PercentEquity(fraction=0.5),
...     exits=Exits(stop_loss=0.02, take_profit=0.04),
... )
>>> cfg.execution.timing, cfg.execution.allow_short
('next_open', False)
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from aitrader_core.backtest.fills import FillCosts


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class Costs(_Frozen):
    """Fees, slippage and exchange precision.

    ``volume_impact_bps`` adds ``volume_impact_bps * (qty / bar_volume) **
    volume_impact_exponent`` basis points of slippage (participation model);
    the total is capped at ``max_slippage_bps``.
    """

    maker_fee: float = Field(0.001, ge=0.0, lt=1.0)
    taker_fee: float = Field(0.001, ge=0.0, lt=1.0)
    slippage_bps: float = Field(0.0, ge=0.0)
    volume_impact_bps: float = Field(0.0, ge=0.0)
    volume_impact_exponent: float = Field(0.5, gt=0.0, le=2.0)
    max_slippage_bps: float = Field(500.0, ge=0.0)
    min_notional: float = Field(0.0, ge=0.0)
    min_qty: float = Field(0.0, ge=0.0)
    lot_step: float = Field(0.0, ge=0.0)
    tick_size: float = Field(0.0, ge=0.0)

    @model_validator(mode="after")
    def _cap_above_fixed(self) -> Costs:
        if self.max_slippage_bps < self.slippage_bps:
            raise ValueError("max_slippage_bps must be >= slippage_bps")
        return self

    def fill_costs(self) -> FillCosts:
        """The numba-side cost tuple (fractions)."""
        return FillCosts(
            maker_fee=float(self.maker_fee),
            taker_fee=float(self.taker_fee),
            slippage=self.slippage_bps / 1e4,
            impact=self.volume_impact_bps / 1e4,
            impact_exponent=float(self.volume_impact_exponent),
            max_slippage=self.max_slippage_bps / 1e4,
            tick_size=float(self.tick_size),
            lot_step=float(self.lot_step),
            min_notional=float(self.min_notional),
            min_qty=float(self.min_qty),
        )


class FixedQuantity(_Frozen):
    """Trade ``qty`` base units per entry (``inf``: all the cash allows)."""

    kind: Literal["fixed_quantity"] = "fixed_quantity"
    qty: float = Field(gt=0.0)


class FixedNotional(_Frozen):
    """Trade ``notional`` quote units per entry, valued at the fill's reference price."""

    kind: Literal["fixed_notional"] = "fixed_notional"
    notional: float = Field(gt=0.0)


class PercentEquity(_Frozen):
    """Trade ``fraction`` of current equity (cash plus positions) per entry."""

    kind: Literal["percent_equity"] = "percent_equity"
    fraction: float = Field(1.0, gt=0.0)


class PercentCash(_Frozen):
    """Spend ``fraction`` of free cash, fee included (vectorbt's ``size_type="percent"``)."""

    kind: Literal["percent_cash"] = "percent_cash"
    fraction: float = Field(1.0, gt=0.0, le=1.0)


class RiskPerTrade(_Frozen):
    """Size so that a stop-out loses ``risk`` of equity: ``risk * equity / |entry - stop|``.

    Needs a stop: a stop hint, ``Exits.stop_loss`` or a trailing stop. An entry
    without one is rejected (reason ``no_stop``).
    """

    kind: Literal["risk"] = "risk"
    risk: float = Field(0.01, gt=0.0, lt=1.0)


class VolTarget(_Frozen):
    """Trade ``target_vol / realised_vol`` of equity (capped at ``max_fraction``).

    Realised volatility is annualised from the ATR (``atr / close``) or from the
    sample standard deviation of log returns over ``lookback`` bars, known at
    the signal bar's close.
    """

    kind: Literal["vol_target"] = "vol_target"
    target_vol: float = Field(0.2, gt=0.0)
    source: Literal["atr", "returns"] = "returns"
    lookback: int = Field(20, ge=2)
    max_fraction: float = Field(1.0, gt=0.0)
    periods_per_year: float | None = Field(None, gt=0.0)


class Kelly(_Frozen):
    """Capped (fractional) Kelly: ``f = multiplier * (p - (1 - p) / b)``, in ``[0, cap]``.

    With ``win_rate`` and ``payoff`` given, ``f`` is fixed. Without them it is
    estimated from the backtest's own closed trades (win rate and average win
    over average loss of trade returns), using ``fallback`` until
    ``min_trades`` trades have closed.
    """

    kind: Literal["kelly"] = "kelly"
    win_rate: float | None = Field(None, gt=0.0, lt=1.0)
    payoff: float | None = Field(None, gt=0.0)
    multiplier: float = Field(0.5, gt=0.0, le=1.0)
    cap: float = Field(0.25, gt=0.0, le=1.0)
    min_trades: int = Field(20, ge=1)
    fallback: float = Field(0.1, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _both_or_neither(self) -> Kelly:
        if (self.win_rate is None) != (self.payoff is None):
            raise ValueError("give both win_rate and payoff, or neither (estimate from trades)")
        return self


Sizing = Annotated[
    FixedQuantity | FixedNotional | PercentEquity | PercentCash | RiskPerTrade | VolTarget | Kelly,
    Field(discriminator="kind"),
]


class Exits(_Frozen):
    """Protective exits attached to every position.

    Fractions are of the entry's reference price (its price before slippage);
    a per-bar stop/target hint, when given, replaces ``stop_loss`` /
    ``take_profit`` for that entry. ``trailing_stop`` trails the high-water
    mark by a fraction, ``trailing_atr`` by a multiple of the ATR (ratcheting:
    it never loosens). ``max_bars`` closes a position that many bars after its
    entry bar.
    """

    stop_loss: float | None = Field(None, gt=0.0, lt=1.0)
    take_profit: float | None = Field(None, gt=0.0)
    trailing_stop: float | None = Field(None, gt=0.0, lt=1.0)
    trailing_atr: float | None = Field(None, gt=0.0)
    atr_period: int = Field(14, ge=1)
    max_bars: int | None = Field(None, ge=1)


class Execution(_Frozen):
    """When and how orders execute.

    * ``timing``: ``next_open`` (default) executes a bar's signal at the next
      bar's open; ``close`` at the signal bar's close (vectorbt's default).
    * ``intrabar``: when a bar reaches both the stop and the target:
      ``pessimistic`` resolves a gap at the open first, then the stop;
      ``optimistic`` the gap, then the target; ``vectorbt`` the stop whenever
      the bar reaches it, even if the open was already beyond the target.
    * ``stop_fill``: ``market`` pays slippage on stop exits; ``exact`` fills at
      the stop level (or the open on a gap) without slippage, as vectorbt's
      default ``StopExitPrice.StopLimit``.
    * ``entry_order``: ``market``, or a ``limit`` / ``stop`` / ``stop_limit``
      order at ``entry_offset`` from the signal bar's close (or at the per-bar
      entry price given to the runner), live for ``order_ttl_bars`` bars from
      the next bar. A stop-limit's limit sits ``stop_limit_offset`` beyond its stop.
    * ``on_opposite``: what an entry signal against the position does.
    * ``reentry``: ``edge`` enters when a target-direction signal *changes* to
      ±1; ``level`` whenever it is ±1 and the book is flat (re-entering after a
      stop).
    """

    timing: Literal["next_open", "close"] = "next_open"
    intrabar: Literal["pessimistic", "optimistic", "vectorbt"] = "pessimistic"
    stop_fill: Literal["market", "exact"] = "market"
    allow_short: bool = False
    allow_long: bool = True
    on_opposite: Literal["reverse", "close", "ignore"] = "reverse"
    entry_order: Literal["market", "limit", "stop", "stop_limit"] = "market"
    entry_offset: float = Field(0.0, ge=0.0, lt=1.0)
    stop_limit_offset: float = Field(0.001, ge=0.0, lt=1.0)
    order_ttl_bars: int = Field(1, ge=1)
    close_at_end: bool = True
    reentry: Literal["edge", "level"] = "edge"

    @model_validator(mode="after")
    def _some_direction(self) -> Execution:
        if not (self.allow_long or self.allow_short):
            raise ValueError("allow_long and allow_short cannot both be False")
        return self


class BacktestConfig(_Frozen):
    """Everything a backtest run needs besides the data and the signals."""

    initial_cash: float = Field(10_000.0, gt=0.0)
    costs: Costs = Costs()
    sizing: Sizing = PercentEquity()
    exits: Exits = Exits()
    execution: Execution = Execution()

    @model_validator(mode="after")
    def _impact_is_capped(self) -> BacktestConfig:
        if math.isinf(self.costs.max_slippage_bps) and self.costs.volume_impact_bps > 0:
            raise ValueError("a volume impact needs a finite max_slippage_bps")
        return self
