"""Mean-reversion rules: RSI reversion and VWAP reversion."""

from __future__ import annotations

import pandas as pd
from pydantic import Field, model_validator

from aitrader_core.indicators import rsi, vwap

from .base import Rule, RuleStrategy, StrategyParams, column, latch, ordered


class RsiReversionParams(StrategyParams):
    """Parameters of :class:`RsiReversion`."""

    period: int = Field(14, ge=2, description="RSI period")
    lower: float = Field(30.0, gt=0, lt=100, description="oversold level: buy below it")
    upper: float = Field(70.0, gt=0, lt=100, description="overbought level: sell above it")

    @model_validator(mode="after")
    def _lower_below_upper(self) -> RsiReversionParams:
        ordered(("lower", self.lower), ("upper", self.upper))
        return self


class RsiReversion(RuleStrategy[RsiReversionParams]):
    """Buy when RSI < ``lower`` and hold until RSI > ``upper``, then exit (or go short).

    With ``allow_short`` a short opens when RSI > ``upper`` and is held until
    RSI < ``lower``, where the position flips long again.

    Examples
    --------
    >>> from aitrader_core.strategies.base import bars_from_close
    >>> bars = bars_from_close([10, 9, 8, 9, 10, 11, 12, 11.0])
    >>> RsiReversion(RsiReversionParams(period=2)).signals(bars).direction.tolist()
    [0, 0, 1, 1, 0, 0, 0, 0]
    """

    kind = "rsi_reversion"
    params_model = RsiReversionParams

    @property
    def warmup(self) -> int:
        return self.params.period

    def rule(self, bars: pd.DataFrame, features: pd.DataFrame | None) -> Rule:
        p = self.params
        value = rsi(column(bars, "close"), p.period)
        oversold, overbought = value < p.lower, value > p.upper
        return Rule(latch(oversold, overbought, overbought, oversold))


class VwapReversionParams(StrategyParams):
    """Parameters of :class:`VwapReversion`."""

    band: float = Field(0.01, gt=0, le=0.5, description="entry distance from VWAP, as a fraction")
    anchor: str = Field(
        "D",
        pattern=r"^(D|W|M|[1-9][0-9]*[mhdwM])$",
        description="VWAP session: D (UTC day), W, M or a ccxt timeframe such as 4h",
    )


class VwapReversion(RuleStrategy[VwapReversionParams]):
    """Buy when the close is ``band`` below the session VWAP; exit at or above VWAP.

    With ``allow_short`` a short opens ``band`` above VWAP and is covered at or
    below it. The VWAP restarts every ``anchor`` session; the target hint is
    the current VWAP.

    Examples
    --------
    >>> from aitrader_core.strategies.base import bars_from_close
    >>> bars = bars_from_close([100, 100, 97, 98, 101.0])
    >>> VwapReversion(VwapReversionParams(band=0.01)).signals(bars).direction.tolist()
    [0, 0, 1, 1, 0]
    """

    kind = "vwap_reversion"
    params_model = VwapReversionParams

    @property
    def warmup(self) -> int:
        return 0

    def rule(self, bars: pd.DataFrame, features: pd.DataFrame | None) -> Rule:
        p = self.params
        close = column(bars, "close")
        level = vwap(
            column(bars, "high"),
            column(bars, "low"),
            close,
            column(bars, "volume"),
            timestamps=bars.index,
            anchor=p.anchor,
        )
        below, above = close < level * (1 - p.band), close > level * (1 + p.band)
        return Rule(latch(below, above, close >= level, close <= level), target=level)
