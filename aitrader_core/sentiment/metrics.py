"""Prometheus metrics of sentiment scoring (in the process' one registry)."""

from __future__ import annotations

from prometheus_client import Counter

from aitrader_core.observability import REGISTRY

CACHE = Counter(
    "aitrader_sentiment_cache_total",
    "Sentiment cache lookups by model id and result (hit, miss).",
    ["model", "result"],
    registry=REGISTRY,
)
SCORED = Counter(
    "aitrader_sentiment_texts_scored_total",
    "Texts scored by a model (cache misses and uncached calls).",
    ["model"],
    registry=REGISTRY,
)
