"""Sentiment of headlines: a Scorer protocol, three scorers, a persistent cache, evaluation.

Examples
--------
>>> from aitrader_core.sentiment import LexiconScorer
>>> LexiconScorer().score(["Ether price target raised at Bernstein"])[0].label
'positive'
"""

from aitrader_core.sentiment.base import LABELS, Label, Score, Scorer, normalize_label
from aitrader_core.sentiment.cache import CachedScorer, SentimentCacheRepository, text_key
from aitrader_core.sentiment.evaluate import (
    TWITTER_LABELS,
    Report,
    evaluate,
    read_labelled,
    report_from,
)
from aitrader_core.sentiment.factory import load_scorer
from aitrader_core.sentiment.fitted import FittedScorer, fit_scorer
from aitrader_core.sentiment.hashing import HashingFeaturizer
from aitrader_core.sentiment.lexicon import LexiconScorer

__all__ = [
    "LABELS",
    "TWITTER_LABELS",
    "CachedScorer",
    "FittedScorer",
    "HashingFeaturizer",
    "Label",
    "LexiconScorer",
    "Report",
    "Score",
    "Scorer",
    "SentimentCacheRepository",
    "evaluate",
    "fit_scorer",
    "load_scorer",
    "normalize_label",
    "read_labelled",
    "report_from",
    "text_key",
]
