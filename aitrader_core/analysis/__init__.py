"""Sentiment-aware market analysis: technical readings plus news → score, signal and trace.

Pure computation (DESIGN.md, layer 2): frames and scored news in, an
:class:`Analysis` out, no I/O. :func:`analyze_market` is the entry point;
every number in its score can be traced to a :class:`TraceStep`.
"""

from .config import AnalysisConfig, ComponentWeights, MinBars
from .market import analyze_market
from .result import Analysis, ScoredNews, Signal, TraceStep, TrendRegime, VolRegime

__all__ = [
    "Analysis",
    "AnalysisConfig",
    "ComponentWeights",
    "MinBars",
    "ScoredNews",
    "Signal",
    "TraceStep",
    "TrendRegime",
    "VolRegime",
    "analyze_market",
]
