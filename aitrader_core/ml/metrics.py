"""Prometheus metrics of the model router (in the process' one registry)."""

from __future__ import annotations

from prometheus_client import Counter

from aitrader_core.observability import REGISTRY

DRIFT_EVENTS = Counter(
    "aitrader_drift_events_total",
    "Model-router events by model, kind (signal, sentiment) and action "
    "(fallback, demote, retire, improved, reinstate).",
    ["model", "kind", "action"],
    registry=REGISTRY,
)
