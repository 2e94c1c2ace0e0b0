"""Prometheus metrics of the news poller (in the process' one registry)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from aitrader_core.observability import REGISTRY

POLLS = Counter(
    "aitrader_news_polls_total",
    "Feed polls by feed and outcome (ok, not_modified, error).",
    ["feed", "outcome"],
    registry=REGISTRY,
)
POLL_FAILURES = Counter(
    "aitrader_news_poll_failures_total",
    "Failed feed polls (after retries) by feed and reason "
    "(timeout, network, http_<status>, malformed, too_large, store).",
    ["feed", "reason"],
    registry=REGISTRY,
)
ITEMS = Counter(
    "aitrader_news_items_total",
    "Feed items seen, by feed and outcome (new, duplicate).",
    ["feed", "outcome"],
    registry=REGISTRY,
)
POLL_DURATION = Histogram(
    "aitrader_news_poll_duration_seconds",
    "Time to fetch, parse and store one feed, retries included.",
    ["feed"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
    registry=REGISTRY,
)
