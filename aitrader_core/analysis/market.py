"""analyze_market: technical readings and news sentiment → a score, a signal and its trace."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from aitrader_core.domain.market import normalize_symbol
from aitrader_core.errors import ValidationError

from .components import TECHNICAL, BarArrays, Reading, levels, news_reading, volatility, warm_up
from .config import AnalysisConfig
from .inputs import check_timeframe, frame_bars, resampled, timeframe_length
from .result import Analysis, ScoredNews, Signal, TraceStep, TrendRegime, VolRegime


@dataclass(frozen=True)
class _Skipped:
    note: str
    inputs: dict[str, Any] = field(default_factory=dict, hash=False)


def analyze_market(
    symbol: str,
    fast: pd.DataFrame,
    fast_timeframe: str,
    slow: pd.DataFrame | None,
    slow_timeframe: str,
    news: Sequence[ScoredNews] = (),
    *,
    config: AnalysisConfig | None = None,
    as_of_ms: int | None = None,
) -> Analysis:
    """Score a market from its fast and slow bars and its news, and explain the score.

    The directional components (fast trend, slow trend, momentum, news) each
    read [-1, 1]; their weights are renormalised over those that could run,
    so ``score`` — exactly the sum of the trace's contributions — stays in
    [-1, 1]. A score at or above ``buy_threshold`` is "buy", at or below
    ``-sell_threshold`` "sell", else "hold".

    Nothing after ``as_of`` is read: only bars closed by ``as_of_ms`` (all
    bars when it is ``None``) and news *received* by the last such fast bar's
    close, which becomes the result's ``as_of_ms``. A component short of bars
    is skipped and says so in the trace and the notes.

    Parameters
    ----------
    symbol
        Market, e.g. ``BTC/USDT`` (any spelling :func:`normalize_symbol` takes).
    fast, slow
        OHLCV frames as :meth:`App.bars` returns them: indexed by UTC bar open
        time, columns open, high, low, close. ``slow=None`` resamples ``fast``.
    fast_timeframe, slow_timeframe
        Their ccxt timeframes (``1h``, ``4h``, ``1d``...); slow not shorter.
    news
        Scored news items (any symbol filtering is the caller's).
    config
        Weights, thresholds and periods; the defaults when ``None``.
    as_of_ms
        Analyse as of this epoch-ms time (a replay or a backtest).

    Raises
    ------
    ValidationError
        Naming the field: ``symbol``, ``fast`` (no bars), ``fast.close`` (a
        missing or bad column), ``fast_timeframe``, ``slow_timeframe``,
        ``as_of_ms`` (no bar closed by then)...

    Examples
    --------
    >>> import numpy as np
    >>> idx = pd.date_range("2024-01-01", periods=300, freq="1h", tz="UTC")
    >>> close = np.linspace(200.0, 100.0, 300)  # a steady fall
    >>> bars = pd.DataFrame({"open": close, "high": close + 1, "low": close - 1,
    ...                      "close": close, "volume": 1.0}, index=idx)
    >>> hour = 3_600_000
    >>> end = int(idx[-1].timestamp()) * 1000 + hour
    >>> hack = ScoredNews(end - hour, end - hour, "Exchange hacked", "wire", -0.9, "negative")
    >>> a = analyze_market("BTC/USDT", bars, "1h", None, "4h", [hack])
    >>> a.signal, a.trend, a.as_of_ms == end
    ('sell', 'down', True)
    >>> a.score == a.trace[-1].running_score and -1 <= a.score < -0.2
    True
    """
    cfg = config or AnalysisConfig()
    sym = normalize_symbol(symbol)
    fast_tf = check_timeframe(fast_timeframe, "fast_timeframe")
    slow_tf = check_timeframe(slow_timeframe, "slow_timeframe")
    if timeframe_length(slow_tf) < timeframe_length(fast_tf):
        raise ValidationError(f"{slow_tf} is shorter than {fast_tf}", field="slow_timeframe")
    fb = frame_bars(fast, fast_tf, "fast", as_of_ms, required=True)
    if len(fb) == 0:
        raise ValidationError("no fast bar closed at or before it", field="as_of_ms")
    as_of = int(fb.close_ms[-1])
    notes: list[str] = []
    if slow is None:
        sb = resampled(fb, slow_tf, as_of)
        notes.append(f"slow {slow_tf} bars resampled from the {fast_tf} bars")
    else:
        sb = frame_bars(slow, slow_tf, "slow", as_of, required=False)

    readings = _readings({"fast": fb, "slow": sb}, news, as_of, cfg)
    active = {k: getattr(cfg.weights, k) for k, r in readings.items() if isinstance(r, Reading)}
    weights = _normalised(active)
    trace: list[TraceStep] = []
    running = 0.0
    for name, r in readings.items():
        if isinstance(r, _Skipped):
            trace.append(TraceStep(name, r.inputs, 0.0, 0.0, 0.0, running, r.note))
            notes.append(f"{name} {r.note}")
            continue
        raw = min(1.0, max(-1.0, r.raw))
        contribution = weights[name] * raw
        running += contribution
        trace.append(TraceStep(name, r.inputs, weights[name], raw, contribution, running, r.note))
        if r.note:
            notes.append(f"{name}: {r.note}")
    if len(active) < len(readings):
        notes.append(f"weights renormalised over {', '.join(active) or 'nothing (score 0)'}")

    vol, vol_step = _volatility(fb, cfg, running)
    trace.append(vol_step)
    score = running
    signal: Signal = (
        "buy" if score >= cfg.buy_threshold else "sell" if score <= -cfg.sell_threshold else "hold"
    )
    confidence = _confidence(score, trace, readings, vol, cfg, notes)

    k = cfg.pivot_width
    source = sb if len(sb) >= 2 * k + 1 else fb
    if source is fb:
        notes.append(f"levels from {fast_tf} bars: {len(sb)} {slow_tf} bars are too few")
    price = float(fb.close[-1])
    support, resistance = levels(source, price, cfg)
    return Analysis(
        symbol=sym,
        fast_timeframe=fast_tf,
        slow_timeframe=slow_tf,
        as_of_ms=as_of,
        price=price,
        score=score,
        signal=signal,
        confidence=confidence,
        trend=_trend(readings, cfg),
        volatility=vol,
        support=support,
        resistance=resistance,
        notes=tuple(notes),
        trace=tuple(trace),
    )


def _readings(
    bars: dict[str, BarArrays], news: Sequence[ScoredNews], as_of: int, cfg: AnalysisConfig
) -> dict[str, Reading | _Skipped]:
    """Each directional component's reading, or why it did not run, in trace order."""
    out: dict[str, Reading | _Skipped] = {}
    for name, (read, tf) in TECHNICAL.items():
        b, need = bars[tf], max(getattr(cfg.min_bars, name), warm_up(name, cfg))
        if getattr(cfg.weights, name) == 0:
            out[name] = _Skipped("disabled: weight 0")
        elif len(b) < need:
            out[name] = _Skipped(
                f"skipped: {len(b)} {tf} bars < {need} needed", {"bars": len(b), "needed": need}
            )
        else:
            out[name] = read(b, cfg)
    out["news"] = (
        news_reading(news, as_of, cfg) if cfg.weights.news > 0 else _Skipped("disabled: weight 0")
    )
    return out


def _seq_sum(values: Iterable[float]) -> float:
    """Left-to-right float sum, the order the trace's running score adds in."""
    total = 0.0
    for v in values:
        total += v
    return total


def _normalised(weights: dict[str, float]) -> dict[str, float]:
    """Weights scaled to sum to at most 1 as the trace adds them.

    Division can leave the sum an ulp above 1; the largest weight is trimmed
    instead of clipping the score, which would break ``score == Σ contributions``.
    """
    total = math.fsum(weights.values())
    out = {k: w / total for k, w in weights.items()}
    while out and _seq_sum(out.values()) > 1.0:
        top = max(out, key=out.__getitem__)
        out[top] = math.nextafter(out[top], 0.0)
    return out


def _volatility(fb: BarArrays, cfg: AnalysisConfig, running: float) -> tuple[VolRegime, TraceStep]:
    need = max(cfg.min_bars.volatility, warm_up("volatility", cfg))
    if len(fb) < need:
        note = f"skipped: {len(fb)} fast bars < {need} needed"
        return "unknown", TraceStep("volatility", {"bars": len(fb)}, 0.0, 0.0, 0.0, running, note)
    regime, inputs = volatility(fb, cfg)
    note = f"regime {regime}: weighs on confidence, not on the score"
    return regime, TraceStep("volatility", inputs, 0.0, 0.0, 0.0, running, note)


def _confidence(
    score: float,
    trace: list[TraceStep],
    readings: dict[str, Reading | _Skipped],
    vol: VolRegime,
    cfg: AnalysisConfig,
    notes: list[str],
) -> float:
    """Strength × agreement × coverage × volatility factor, each in [0, 1].

    Strength is ``|score|`` against ``full_confidence_at``; agreement the share
    of absolute contribution on the score's side; coverage the share of the
    configured weight whose component ran with evidence (news with no items
    has none); the volatility factor ``high_vol_confidence`` in a high regime.
    """
    if score == 0:
        notes.append("confidence 0: score is 0")
        return 0.0
    strength = min(1.0, abs(score) / cfg.full_confidence_at)
    gross = math.fsum(abs(s.contribution) for s in trace)
    same_side = math.fsum(abs(s.contribution) for s in trace if s.contribution * score > 0)
    agreement = same_side / gross if gross > 0 else 0.0
    configured = cfg.weights.model_dump()
    covered = math.fsum(
        configured[k] for k, r in readings.items() if isinstance(r, Reading) and r.evidence
    )
    coverage = covered / math.fsum(configured.values())
    vol_factor = cfg.high_vol_confidence if vol == "high" else 1.0
    notes.append(
        f"confidence = strength {strength:.2f} × agreement {agreement:.2f}"
        f" × coverage {coverage:.2f} × volatility {vol_factor:.2f}"
    )
    return min(1.0, max(0.0, strength * agreement * coverage * vol_factor))


def _trend(readings: dict[str, Reading | _Skipped], cfg: AnalysisConfig) -> TrendRegime:
    """Regime of the slow trend reading, or of the fast one when the slow did not run."""
    for name in ("slow_trend", "fast_trend"):
        r = readings.get(name)
        if isinstance(r, Reading):
            if r.raw >= cfg.trend_threshold:
                return "up"
            return "down" if r.raw <= -cfg.trend_threshold else "range"
    return "unknown"
