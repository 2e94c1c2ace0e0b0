"""The readings analysis combines: each a pure function of closed bars (or news) to [-1, 1].

Directional readings are positive when bullish. Price distances are measured
in ATRs so that the readings mean the same on any symbol and timeframe, and
squashed with ``tanh`` so one extreme reading cannot dominate.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from aitrader_core.indicators import atr, ema, linearreg_slope, natr, rsi

from .config import AnalysisConfig
from .result import ScoredNews, VolRegime

FloatArray = npt.NDArray[np.float64]
_HOUR_MS = 3_600_000


@dataclass(frozen=True)
class BarArrays:
    """Closed bars as arrays, oldest first; ``close_ms`` is each bar's close time."""

    open_ms: npt.NDArray[np.int64]
    close_ms: npt.NDArray[np.int64]
    high: FloatArray
    low: FloatArray
    close: FloatArray

    def __len__(self) -> int:
        return len(self.close)


@dataclass(frozen=True)
class Reading:
    """A component's reading ``raw`` in [-1, 1] and the values it came from."""

    raw: float
    inputs: dict[str, Any] = field(hash=False)
    evidence: bool = True  # False when the reading is 0 for want of data (no news)
    note: str = ""


def _last(values: FloatArray) -> float:
    return float(values[-1]) if len(values) else math.nan


def _ratio(num: float, den: float) -> float:
    """``num / den``, or 0 when either is not finite or ``den <= 0`` (flat prices)."""
    if not (math.isfinite(num) and math.isfinite(den)) or den <= 0:
        return 0.0
    return num / den


def _r(x: float) -> float | None:
    """Round for display; ``None`` (JSON null) for a missing value, as NaN != NaN."""
    return round(x, 10) if math.isfinite(x) else None


def fast_trend(b: BarArrays, cfg: AnalysisConfig) -> Reading:
    """``tanh`` of the fast-minus-slow EMA gap in ATRs (a MACD line in volatility units)."""
    fast = _last(ema(b.close, cfg.ema_fast))
    slow = _last(ema(b.close, cfg.ema_slow))
    width = _last(atr(b.high, b.low, b.close, cfg.atr_period))
    gap = _ratio(fast - slow, width)
    inputs = {"ema_fast": _r(fast), "ema_slow": _r(slow), "atr": _r(width), "gap_atr": _r(gap)}
    return Reading(math.tanh(gap), inputs)


def slow_trend(b: BarArrays, cfg: AnalysisConfig) -> Reading:
    """Mean of ``tanh`` of price-above-EMA in ATRs and of the regression drift.

    The drift is the regression slope over ``slope_bars`` times
    ``sqrt(slope_bars)``, in ATRs: how far a random walk of that ATR would
    stray, so a reading near ±1 is a move a random walk rarely makes.
    """
    price = float(b.close[-1])
    mean = _last(ema(b.close, cfg.slow_ema))
    width = _last(atr(b.high, b.low, b.close, cfg.atr_period))
    slope = _last(linearreg_slope(b.close, cfg.slope_bars))
    distance = _ratio(price - mean, width)
    drift = _ratio(slope * math.sqrt(cfg.slope_bars), width)
    inputs = {
        "close": _r(price),
        "ema": _r(mean),
        "atr": _r(width),
        "slope_per_bar": _r(slope),
        "distance_atr": _r(distance),
        "drift_atr": _r(drift),
    }
    return Reading(0.5 * math.tanh(distance) + 0.5 * math.tanh(drift), inputs)


def momentum(b: BarArrays, cfg: AnalysisConfig) -> Reading:
    """RSI mapped linearly to [-1, 1] (50 → 0), read as momentum, not as a reversal."""
    value = _last(rsi(b.close, cfg.rsi_period))
    raw = (value - 50.0) / 50.0 if math.isfinite(value) else 0.0
    return Reading(raw, {"rsi": _r(value), "period": cfg.rsi_period})


#: The directional technical components: name → (reading, timeframe it reads).
TECHNICAL: dict[str, tuple[Callable[[BarArrays, AnalysisConfig], Reading], str]] = {
    "fast_trend": (fast_trend, "fast"),
    "slow_trend": (slow_trend, "slow"),
    "momentum": (momentum, "fast"),
}


def warm_up(name: str, cfg: AnalysisConfig) -> int:
    """Fewest bars for which component ``name``'s indicators give a value."""
    return {
        "fast_trend": max(cfg.ema_slow, cfg.atr_period + 1),
        "slow_trend": max(cfg.slow_ema, cfg.atr_period + 1, cfg.slope_bars),
        "momentum": cfg.rsi_period + 1,
        "volatility": cfg.atr_period + 2,
    }[name]


def volatility(b: BarArrays, cfg: AnalysisConfig) -> tuple[VolRegime, dict[str, Any]]:
    """Regime from the percentile of the latest NATR among the last ``vol_lookback``."""
    values = natr(b.high, b.low, b.close, cfg.atr_period)[-cfg.vol_lookback :]
    values = values[np.isfinite(values)]
    if len(values) < 2:
        return "unknown", {"natr": None}
    last = float(values[-1])
    pct = float(np.mean(values[:-1] <= last))
    regime: VolRegime = (
        "low" if pct < cfg.vol_low_pct else "high" if pct > cfg.vol_high_pct else "normal"
    )
    return regime, {"natr_pct": _r(last), "percentile": _r(pct), "window": len(values)}


def levels(
    b: BarArrays, price: float, cfg: AnalysisConfig
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Support below and resistance above ``price``, nearest first, from swing pivots.

    A pivot high is a bar whose high is the highest of the ``pivot_width``
    bars on each side (so the newest ``pivot_width`` bars cannot be pivots yet);
    pivots closer than ``level_merge_pct`` of price merge into the nearer one.
    Without a pivot on a side, the window's extreme stands in.
    """
    high, low = b.high[-cfg.levels_lookback :], b.low[-cfg.levels_lookback :]
    k = cfg.pivot_width
    if len(high) == 0:
        return (), ()
    pivot_highs, pivot_lows = np.empty(0), np.empty(0)
    if len(high) >= 2 * k + 1:
        win_h = np.lib.stride_tricks.sliding_window_view(high, 2 * k + 1)
        win_l = np.lib.stride_tricks.sliding_window_view(low, 2 * k + 1)
        pivot_highs = win_h[win_h.max(axis=1) == win_h[:, k], k]
        pivot_lows = win_l[win_l.min(axis=1) == win_l[:, k], k]
    below = sorted({float(x) for x in pivot_lows if x < price}, reverse=True)
    above = sorted({float(x) for x in pivot_highs if x > price})
    if not below and float(low.min()) < price:
        below = [float(low.min())]
    if not above and float(high.max()) > price:
        above = [float(high.max())]
    return _merged(below, price, cfg), _merged(above, price, cfg)


def _merged(levels_: list[float], price: float, cfg: AnalysisConfig) -> tuple[float, ...]:
    kept: list[float] = []
    for level in levels_:
        if not kept or abs(level - kept[-1]) > cfg.level_merge_pct * price:
            kept.append(level)
    return tuple(kept[: cfg.max_levels])


def news_reading(items: Sequence[ScoredNews], as_of_ms: int, cfg: AnalysisConfig) -> Reading:
    """Decayed sentiment of the items received by ``as_of_ms`` (never later ones).

    Each item weighs ``0.5 ** (age / half_life)``, its age counted from the
    earlier of its published and received times; items older than the
    lookback are left out. The reading is ``Σ w·s / max(Σ w, news_full_mass)``:
    a weighted mean once there is enough fresh news, shrunk towards 0 when
    there is little, so the same item counts less the older it is.
    """
    half_life = cfg.news_half_life_hours * _HOUR_MS
    lookback = cfg.news_lookback_hours * _HOUR_MS
    aged = [
        (item, as_of_ms - min(item.published_ms, item.received_ms))
        for item in items
        if item.received_ms <= as_of_ms
    ]
    recent = [(item, age) for item, age in aged if age <= lookback]
    base: dict[str, Any] = {
        "half_life_hours": cfg.news_half_life_hours,
        "lookback_hours": cfg.news_lookback_hours,
        "items": len(recent),
    }
    if not recent:
        note = f"no news received in the {cfg.news_lookback_hours:g}h before as_of"
        return Reading(0.0, base, evidence=False, note=note)
    weights = [0.5 ** (age / half_life) for _, age in recent]
    mass = math.fsum(weights)
    total = math.fsum(w * item.score for w, (item, _) in zip(weights, recent, strict=True))
    raw = total / max(mass, cfg.news_full_mass)
    top = sorted(
        zip(weights, recent, strict=True), key=lambda t: (-abs(t[0] * t[1][0].score), t[1][0].title)
    )[:5]
    base |= {
        "mass": _r(mass),
        "weighted_sum": _r(total),
        "top": [
            {
                "title": item.title,
                "source": item.source,
                "age_hours": _r(age / _HOUR_MS),
                "weight": _r(w),
                "score": item.score,
            }
            for w, (item, age) in top
        ],
    }
    return Reading(raw, base, note=f"{len(recent)} items, decayed mass {mass:.2f}")
