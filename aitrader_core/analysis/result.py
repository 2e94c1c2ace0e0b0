"""The values analysis reads and returns: scored news in, an Analysis with its trace out."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from aitrader_core.domain.market import ms_to_iso
from aitrader_core.errors import ValidationError
from aitrader_core.sentiment.base import Score

Signal = Literal["buy", "sell", "hold"]
TrendRegime = Literal["up", "down", "range", "unknown"]
VolRegime = Literal["low", "normal", "high", "unknown"]


@dataclass(frozen=True)
class ScoredNews:
    """A news item with its sentiment; ``score`` in [-1, 1] (``p_pos − p_neg``).

    Only ``received_ms`` decides whether analysis may see the item (no
    leakage); its age is counted from the earlier of the two times.

    Examples
    --------
    >>> item = ScoredNews.of(1_000, 900, "ETF approved", "feed", Score.from_probs({"positive": 1}))
    >>> item.label, item.score
    ('positive', 1.0)
    """

    received_ms: int
    published_ms: int
    title: str
    source: str
    score: float
    label: str = "neutral"

    def __post_init__(self) -> None:
        if not (math.isfinite(self.score) and -1.0 <= self.score <= 1.0):
            raise ValidationError(f"{self.score!r} is not in [-1, 1]", field="news.score")

    @classmethod
    def of(
        cls, received_ms: int, published_ms: int, title: str, source: str, score: Score
    ) -> ScoredNews:
        """Build from a sentiment :class:`~aitrader_core.sentiment.base.Score`."""
        return cls(received_ms, published_ms, title, source, float(score.score), score.label)


@dataclass(frozen=True)
class TraceStep:
    """One component's part in the score: ``contribution = weight * raw``.

    ``weight`` is the renormalised weight actually applied (0 when the
    component was skipped or is informational), ``raw`` its reading in
    [-1, 1], ``running_score`` the score after adding this step.
    """

    component: str
    inputs: dict[str, Any] = field(hash=False)
    weight: float
    raw: float
    contribution: float
    running_score: float
    note: str = ""


@dataclass(frozen=True)
class Analysis:
    """The result of :func:`~aitrader_core.analysis.analyze_market`.

    ``score`` is exactly the sum of the trace's contributions (and the last
    step's ``running_score``); ``as_of_ms`` is the close time of the last
    fast bar used, the latest moment any input may come from.
    """

    symbol: str
    fast_timeframe: str
    slow_timeframe: str
    as_of_ms: int
    price: float
    score: float
    signal: Signal
    confidence: float
    trend: TrendRegime
    volatility: VolRegime
    support: tuple[float, ...]
    resistance: tuple[float, ...]
    notes: tuple[str, ...]
    trace: tuple[TraceStep, ...]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (lists for tuples, an ISO ``as_of`` beside ``as_of_ms``)."""
        out = asdict(self)
        out["as_of"] = ms_to_iso(self.as_of_ms)
        return _jsonable(out)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
