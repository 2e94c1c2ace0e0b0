"""AnalysisConfig: weights, thresholds and periods of analyze_market (validated, immutable)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class ComponentWeights(BaseModel):
    """Relative weight of each directional component; renormalised over those that run."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fast_trend: float = Field(default=0.3, ge=0)
    slow_trend: float = Field(default=0.3, ge=0)
    momentum: float = Field(default=0.15, ge=0)
    news: float = Field(default=0.25, ge=0)

    @model_validator(mode="after")
    def _some_weight(self) -> ComponentWeights:
        if sum(self.model_dump().values()) <= 0:
            raise ValueError("at least one component weight must be > 0")
        return self


class MinBars(BaseModel):
    """Bars a component needs before it runs (raised to its indicators' warm-up if lower)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fast_trend: int = Field(default=50, ge=1)
    slow_trend: int = Field(default=30, ge=1)
    momentum: int = Field(default=30, ge=1)
    volatility: int = Field(default=50, ge=1)


class AnalysisConfig(BaseModel):
    """Everything :func:`~aitrader_core.analysis.analyze_market` can be tuned by.

    A score ``>= buy_threshold`` is "buy", ``<= -sell_threshold`` is "sell",
    anything between is "hold". Periods count bars of the timeframe the
    component reads (fast for trend, momentum and volatility; slow for the slow
    trend and the support/resistance levels).

    Examples
    --------
    >>> AnalysisConfig(buy_threshold=0.3).weights.news
    0.25
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    buy_threshold: float = Field(default=0.2, gt=0, le=1)
    sell_threshold: float = Field(default=0.2, gt=0, le=1)
    weights: ComponentWeights = ComponentWeights()
    min_bars: MinBars = MinBars()

    ema_fast: int = Field(default=12, ge=1, description="fast EMA of the fast trend")
    ema_slow: int = Field(default=26, ge=2, description="slow EMA of the fast trend")
    rsi_period: int = Field(default=14, ge=2)
    atr_period: int = Field(default=14, ge=1, description="ATR that scales price distances")
    slow_ema: int = Field(default=21, ge=2, description="EMA of the slow-timeframe trend")
    slope_bars: int = Field(default=10, ge=2, description="regression window of the slow slope")
    trend_threshold: float = Field(
        default=0.3, gt=0, le=1, description="|trend reading| above which the regime is up/down"
    )

    vol_lookback: int = Field(default=200, ge=10, description="bars ranked for the vol regime")
    vol_low_pct: float = Field(default=0.25, ge=0, le=1)
    vol_high_pct: float = Field(default=0.75, ge=0, le=1)
    high_vol_confidence: float = Field(
        default=0.7, ge=0, le=1, description="confidence factor in a high-volatility regime"
    )
    full_confidence_at: float = Field(
        default=0.5, gt=0, le=1, description="|score| at which strength stops adding confidence"
    )

    pivot_width: int = Field(default=2, ge=1, description="bars each side of a swing pivot")
    levels_lookback: int = Field(default=120, ge=5, description="slow bars searched for pivots")
    max_levels: int = Field(default=3, ge=1, description="levels kept on each side of price")
    level_merge_pct: float = Field(
        default=0.005, ge=0, le=0.2, description="pivots closer than this fraction merge"
    )

    news_half_life_hours: float = Field(default=12.0, gt=0)
    news_lookback_hours: float = Field(default=72.0, gt=0)
    news_full_mass: float = Field(
        default=1.0,
        gt=0,
        description="decayed item weight at which the news reading becomes a plain mean; "
        "below it the reading shrinks towards 0, so one stale item counts little",
    )

    @model_validator(mode="after")
    def _ordered(self) -> AnalysisConfig:
        if self.ema_fast >= self.ema_slow:
            raise ValueError("ema_fast must be < ema_slow")
        if self.vol_low_pct > self.vol_high_pct:
            raise ValueError("vol_low_pct must be <= vol_high_pct")
        return self
