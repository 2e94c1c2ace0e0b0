"""Channel rules: Donchian breakout and Bollinger breakout / reversion."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from aitrader_core.indicators import bbands, donchian

from .base import Rule, RuleStrategy, StrategyParams, column, latch, ordered, shift


class DonchianBreakoutParams(StrategyParams):
    """Parameters of :class:`DonchianBreakout`."""

    period: int = Field(20, ge=2, description="entry channel: bars before the current one")
    exit_period: int = Field(10, ge=1, description="exit channel: bars before the current one")

    @model_validator(mode="after")
    def _exit_not_slower(self) -> DonchianBreakoutParams:
        ordered(("exit_period", self.exit_period), ("period", self.period), strict=False)
        return self


class DonchianBreakout(RuleStrategy[DonchianBreakoutParams]):
    """Turtle-style breakout on closes beyond the channel of the *preceding* bars.

    Long when the close exceeds the highest high of the previous ``period``
    bars, held until the close falls below the lowest low of the previous
    ``exit_period`` bars; short mirror-wise. The stop hint is that exit level.

    Examples
    --------
    >>> from aitrader_core.strategies.base import bars_from_close
    >>> bars = bars_from_close([5, 5, 6, 7, 6, 4, 5.0])
    >>> s = DonchianBreakout(DonchianBreakoutParams(period=2, exit_period=1)).signals(bars)
    >>> s.direction.tolist(), s.stop.tolist()[2:5]
    ([0, 0, 1, 1, 0, 0, 0], [5.0, 6.0, nan])
    """

    kind = "donchian_breakout"
    params_model = DonchianBreakoutParams

    @property
    def warmup(self) -> int:
        return self.params.period

    def rule(self, bars: pd.DataFrame, features: pd.DataFrame | None) -> Rule:
        p = self.params
        high, low, close = column(bars, "high"), column(bars, "low"), column(bars, "close")
        entry = donchian(high, low, p.period)
        exit_ = donchian(high, low, p.exit_period)
        up, down = shift(entry.upperband, 1), shift(entry.lowerband, 1)
        exit_low, exit_high = shift(exit_.lowerband, 1), shift(exit_.upperband, 1)
        direction = latch(close > up, close < down, close < exit_low, close > exit_high)
        stop = np.where(direction > 0, exit_low, np.where(direction < 0, exit_high, np.nan))
        return Rule(direction, stop=stop)


class BollingerBreakoutParams(StrategyParams):
    """Parameters of :class:`BollingerBreakout`."""

    period: int = Field(20, ge=2, description="moving-average and deviation window")
    nbdev: float = Field(2.0, gt=0, le=10, description="band half-width in standard deviations")
    mode: Literal["trend", "revert"] = Field(
        "trend", description="trend: follow closes outside the bands; revert: fade them"
    )


class BollingerBreakout(RuleStrategy[BollingerBreakoutParams]):
    """Trade closes outside the Bollinger bands, back to the middle band.

    ``trend``: long when the close is above the upper band, held until it
    closes below the middle band (stop hint: the middle band); short
    mirror-wise. ``revert``: long when the close is below the lower band,
    held until it closes at or above the middle band (target hint: the middle
    band); short mirror-wise.

    Examples
    --------
    >>> from aitrader_core.strategies.base import bars_from_close
    >>> bars = bars_from_close([10, 10, 10, 13, 12, 9, 10.0])
    >>> BollingerBreakout(BollingerBreakoutParams(period=3, nbdev=1.0)).signals(
    ...     bars).direction.tolist()
    [0, 0, 0, 1, 1, 0, 0]
    """

    kind = "bollinger_breakout"
    params_model = BollingerBreakoutParams

    @property
    def warmup(self) -> int:
        return self.params.period - 1

    def rule(self, bars: pd.DataFrame, features: pd.DataFrame | None) -> Rule:
        p = self.params
        close = column(bars, "close")
        upper, middle, lower = bbands(close, p.period, p.nbdev, p.nbdev)
        if p.mode == "trend":
            direction = latch(close > upper, close < lower, close < middle, close > middle)
            return Rule(direction, stop=middle)
        direction = latch(close < lower, close > upper, close >= middle, close <= middle)
        return Rule(direction, target=middle)
