"""Prometheus metrics of scheduled runs (in the process' one registry).

The scheduler serves them on its own port (9108, ``aitrader schedule serve``);
the alert ``AITraderScheduledRunFailed`` reads ``aitrader_scheduled_runs_total``.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import Counter, Gauge

from aitrader_core.observability import REGISTRY

RUNS = Counter(
    "aitrader_scheduled_runs_total",
    "Finished runs of scheduled notebooks, by notebook and status (ok, failed).",
    ["notebook", "status"],
    registry=REGISTRY,
)
LAST_SUCCESS = Gauge(
    "aitrader_scheduled_run_last_success_timestamp_seconds",
    "When each scheduled notebook last finished ok (epoch seconds).",
    ["notebook"],
    registry=REGISTRY,
)


def prime(notebooks: Iterable[str]) -> None:
    """Create the ``ok`` and ``failed`` series of ``notebooks`` at 0, so alerts see them.

    Examples
    --------
    >>> prime(["daily_report"])
    >>> labels = {"notebook": "daily_report", "status": "failed"}
    >>> REGISTRY.get_sample_value("aitrader_scheduled_runs_total", labels) is not None
    True
    """
    for name in notebooks:
        for status in ("ok", "failed"):
            RUNS.labels(notebook=name, status=status)


def count(notebook: str, status: str, finished_ms: int | None) -> None:
    """Count a finished run; an ``ok`` one also sets the last-success time."""
    RUNS.labels(notebook=notebook, status=status).inc()
    if status == "ok" and finished_ms is not None:
        LAST_SUCCESS.labels(notebook=notebook).set(finished_ms / 1000)
