"""Prometheus metrics: one registry for the process, the only global state allowed.

Counters are process-wide, so tests assert on deltas (see ``sample``).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

REGISTRY = CollectorRegistry(auto_describe=True)

HTTP_REQUESTS = Counter(
    "aitrader_http_requests_total",
    "HTTP requests by method, route template and status code.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_LATENCY = Histogram(
    "aitrader_http_request_duration_seconds",
    "HTTP request latency by method, route template and status code.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
CANDLES_WRITTEN = Counter(
    "aitrader_candles_written_total",
    "Candles written to the store, by outcome (inserted, updated, unchanged, rejected).",
    ["outcome"],
    registry=REGISTRY,
)


def render() -> bytes:
    """The registry in Prometheus' text exposition format."""
    return generate_latest(REGISTRY)


def sample(name: str, labels: dict[str, str] | None = None) -> float:
    """Current value of one sample (0.0 when it has not been observed yet).

    Examples
    --------
    >>> before = sample("aitrader_candles_written_total", {"outcome": "rejected"})
    >>> CANDLES_WRITTEN.labels(outcome="rejected").inc(2)
    >>> sample("aitrader_candles_written_total", {"outcome": "rejected"}) - before
    2.0
    """
    value = REGISTRY.get_sample_value(name, labels or {})
    return 0.0 if value is None else value
