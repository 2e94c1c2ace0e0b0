"""Trend-following rules: EMA cross, MACD trend, Ichimoku cloud."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from aitrader_core.indicators import ema, ichimoku, macd

from .base import Rule, RuleStrategy, StrategyParams, column, ordered, shift


class EmaCrossParams(StrategyParams):
    """Parameters of :class:`EmaCross`."""

    fast: int = Field(12, ge=2, description="fast EMA period (bars)")
    slow: int = Field(26, ge=3, description="slow EMA period (bars)")

    @model_validator(mode="after")
    def _fast_below_slow(self) -> EmaCrossParams:
        ordered(("fast", self.fast), ("slow", self.slow))
        return self


class EmaCross(RuleStrategy[EmaCrossParams]):
    """Long while EMA(fast) > EMA(slow); short while below (flat unless ``allow_short``).

    Examples
    --------
    >>> from aitrader_core.strategies.base import bars_from_close
    >>> bars = bars_from_close([1, 2, 3, 4, 3, 2, 1.0])
    >>> EmaCross(EmaCrossParams(fast=2, slow=3)).signals(bars).direction.tolist()
    [0, 0, 1, 1, 1, 0, 0]
    """

    kind = "ema_cross"
    params_model = EmaCrossParams

    @property
    def warmup(self) -> int:
        return self.params.slow - 1

    def rule(self, bars: pd.DataFrame, features: pd.DataFrame | None) -> Rule:
        close = column(bars, "close")
        p = self.params
        return Rule(np.sign(ema(close, p.fast) - ema(close, p.slow)))


class MacdTrendParams(StrategyParams):
    """Parameters of :class:`MacdTrend`."""

    fast: int = Field(12, ge=2, description="fast EMA period")
    slow: int = Field(26, ge=3, description="slow EMA period")
    signal: int = Field(9, ge=1, description="signal-line EMA period")
    zero_line: bool = Field(False, description="also require MACD > 0 for longs, < 0 for shorts")

    @model_validator(mode="after")
    def _fast_below_slow(self) -> MacdTrendParams:
        ordered(("fast", self.fast), ("slow", self.slow))
        return self


class MacdTrend(RuleStrategy[MacdTrendParams]):
    """Long while the MACD line is above its signal line, short while below.

    With ``zero_line`` a long also needs MACD > 0 and a short MACD < 0.

    Examples
    --------
    >>> from aitrader_core.strategies.base import bars_from_close
    >>> bars = bars_from_close([1, 2, 3, 4, 5, 6, 5, 4, 3.0])
    >>> MacdTrend(MacdTrendParams(fast=2, slow=3, signal=2)).signals(bars).direction.tolist()
    [0, 0, 0, 0, 0, 0, 0, 0, 0]
    >>> s = MacdTrend(MacdTrendParams(fast=2, slow=3, signal=2, allow_short=True)).signals(bars)
    >>> s.direction.tolist()
    [0, 0, 0, 0, 0, 0, -1, -1, -1]
    """

    kind = "macd_trend"
    params_model = MacdTrendParams

    @property
    def warmup(self) -> int:
        return self.params.slow + self.params.signal - 2

    def rule(self, bars: pd.DataFrame, features: pd.DataFrame | None) -> Rule:
        p = self.params
        out = macd(column(bars, "close"), p.fast, p.slow, p.signal)
        direction = np.sign(out.macdhist)
        if p.zero_line:
            direction = np.where(np.sign(out.macd) == direction, direction, 0.0)
        return Rule(direction)


class IchimokuCloudParams(StrategyParams):
    """Parameters of :class:`IchimokuCloud`."""

    tenkan: int = Field(9, ge=1, description="conversion-line window")
    kijun: int = Field(26, ge=2, description="base-line window; also the cloud's forward shift")
    senkou_b: int = Field(52, ge=3, description="leading-span-B window")

    @model_validator(mode="after")
    def _windows_ascend(self) -> IchimokuCloudParams:
        ordered(("tenkan", self.tenkan), ("kijun", self.kijun), ("senkou_b", self.senkou_b))
        return self


class IchimokuCloud(RuleStrategy[IchimokuCloudParams]):
    """Long above the cloud with tenkan > kijun; short below it with tenkan < kijun.

    The cloud in force at bar ``t`` is the one charts draw there: the senkou
    spans computed ``kijun`` bars earlier. The stop hint is the kijun line.

    Examples
    --------
    >>> from aitrader_core.strategies.base import bars_from_close
    >>> bars = bars_from_close([1, 2, 3, 4, 5, 6, 7.0])
    >>> IchimokuCloud(IchimokuCloudParams(tenkan=1, kijun=2, senkou_b=3)).signals(
    ...     bars).direction.tolist()
    [0, 0, 0, 0, 1, 1, 1]
    """

    kind = "ichimoku_cloud"
    params_model = IchimokuCloudParams

    @property
    def warmup(self) -> int:
        return self.params.senkou_b - 1 + self.params.kijun

    def rule(self, bars: pd.DataFrame, features: pd.DataFrame | None) -> Rule:
        p = self.params
        close = column(bars, "close")
        lines = ichimoku(
            column(bars, "high"), column(bars, "low"), close, p.tenkan, p.kijun, p.senkou_b
        )
        span_a, span_b = shift(lines.senkou_a, p.kijun), shift(lines.senkou_b, p.kijun)
        top, bottom = np.fmax(span_a, span_b), np.fmin(span_a, span_b)
        cloud_known = ~np.isnan(span_a) & ~np.isnan(span_b)
        up = cloud_known & (close > top) & (lines.tenkan > lines.kijun)
        down = cloud_known & (close < bottom) & (lines.tenkan < lines.kijun)
        return Rule(up.astype(np.float64) - down, stop=lines.kijun)
