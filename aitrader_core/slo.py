"""Service level objectives of the API over rolling windows, without Prometheus.

Two objectives, each over every window of :class:`SLOConfig`:

- *availability*: the share of requests answered without a 5xx;
- *latency*: the share of requests answered within ``latency_threshold_s``
  (``<=``, as a Prometheus histogram bucket ``le`` counts).

Probes (``/health/...``) and scrapes (``/metrics``) are not requests of the
service's users and are left out, as the deployed Prometheus rules leave them
out. For an objective with target ``t`` the *error budget* is ``1 - t`` of the
requests; over a window with ``bad`` of ``n`` requests missing it

- ``burn_rate = (bad / n) / (1 - t)``: 1 spends the budget exactly over the
  window, 14.4 over an hour spends 2 % of a 30-day budget;
- ``budget_remaining = 1 - burn_rate``: the fraction of the window's budget
  left, negative once it is overspent.

:class:`RequestLog` keeps one bucket per minute (requests, errors, slow) in a
ring as long as the longest window, fed by the service's middleware; its
:meth:`~RequestLog.report` is the ``GET /observability/slo`` answer.
"""

from __future__ import annotations

import re
import threading

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from aitrader_core.clock import Clock, SystemClock

MINUTE_MS = 60_000
_UNITS = {"m": 1, "h": 60, "d": 24 * 60}
_WINDOW = re.compile(r"^([1-9][0-9]*)([mhd])$")


def window_minutes(window: str) -> int:
    """Minutes in a window spelled ``<n>m``, ``<n>h`` or ``<n>d``.

    Examples
    --------
    >>> window_minutes("5m"), window_minutes("1h"), window_minutes("30d")
    (5, 60, 43200)
    """
    match = _WINDOW.match(window)
    if match is None:
        raise ValueError(f"window {window!r} is not <n>m, <n>h or <n>d (e.g. 5m, 1h, 30d)")
    return int(match.group(1)) * _UNITS[match.group(2)]


class SLOConfig(BaseModel):
    """Objectives of the API and the rolling windows they are reported over."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    availability: float = Field(0.995, gt=0, lt=1)
    """Target share of requests answered without a 5xx."""
    latency: float = Field(0.99, gt=0, lt=1)
    """Target share of requests answered within ``latency_threshold_s``."""
    latency_threshold_s: float = Field(0.5, gt=0)
    windows: tuple[str, ...] = Field(("5m", "1h", "24h", "30d"), min_length=1)
    """Rolling windows, shortest first; the longest sets how much history is kept."""
    excluded: tuple[str, ...] = ("/health", "/metrics")
    """Route prefixes (whole path segments) left out of the objectives."""

    @field_validator("windows")
    @classmethod
    def _known_windows(cls, windows: tuple[str, ...]) -> tuple[str, ...]:
        for w in windows:
            window_minutes(w)
        if len(set(windows)) != len(windows):
            raise ValueError(f"windows repeat: {windows}")
        return windows

    def excludes(self, route: str) -> bool:
        """True when ``route`` (a route template) is left out of the objectives.

        Examples
        --------
        >>> cfg = SLOConfig()
        >>> cfg.excludes("/health/ready"), cfg.excludes("/metrics"), cfg.excludes("/healthy")
        (True, True, False)
        """
        return any(route == p or route.startswith(p.rstrip("/") + "/") for p in self.excluded)


class Objective(BaseModel):
    """How one objective fares over one window."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    target: float
    good: int
    """Requests meeting the objective."""
    compliance: float | None
    """``good / requests``; ``None`` without requests."""
    burn_rate: float
    """Error-budget spend rate: 1 spends exactly the window's budget (0 without requests)."""
    budget_remaining: float
    """Fraction of the window's error budget left (``1 - burn_rate``; negative: overspent)."""
    met: bool
    """The compliance is at or above the target (true without requests)."""


def objective(good: int, total: int, target: float) -> Objective:
    """Compliance, burn rate and budget left when ``good`` of ``total`` requests met ``target``.

    Examples
    --------
    >>> o = objective(990, 1000, 0.995)  # 1 % bad against a 0.5 % budget
    >>> o.compliance, round(o.burn_rate, 9), round(o.budget_remaining, 9), o.met
    (0.99, 2.0, -1.0, False)
    >>> objective(0, 0, 0.995).budget_remaining
    1.0
    """
    if not 0 <= good <= total:
        raise ValueError(f"good must be within 0..total, got {good} of {total}")
    if total == 0:
        return Objective(target=target, good=0, compliance=None, burn_rate=0.0,
                         budget_remaining=1.0, met=True)  # fmt: skip
    burn = (total - good) / total / (1 - target)
    compliance = good / total
    return Objective(target=target, good=good, compliance=compliance, burn_rate=burn,
                     budget_remaining=1 - burn, met=compliance >= target)  # fmt: skip


class WindowReport(BaseModel):
    """Requests over one rolling window and how each objective fares over it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    window: str
    start_ms: int
    """Start of the window's first minute bucket (epoch ms UTC); the window ends now."""
    requests: int
    errors: int
    """Requests answered with a 5xx."""
    slow: int
    """Requests slower than the latency threshold."""
    availability: Objective
    latency: Objective


class SLOReport(BaseModel):
    """The objectives over each rolling window, as ``GET /observability/slo`` answers."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    now_ms: int
    latency_threshold_s: float
    excluded: tuple[str, ...]
    windows: list[WindowReport]


class RequestLog:
    """Per-minute request counts in a ring as long as the longest window; thread-safe.

    A window of ``n`` minutes at time ``now`` holds the minute bucket of ``now``
    and the ``n - 1`` before it. Requests older than the longest window are
    forgotten; ones recorded after ``now`` are not reported.

    Examples
    --------
    >>> log = RequestLog(SLOConfig(windows=("5m", "1h")))
    >>> t = 1_700_000_000_000
    >>> for status, seconds in ((200, 0.01), (404, 0.02), (500, 0.01), (200, 0.9)):
    ...     _ = log.record("/ohlcv", status, seconds, now_ms=t)
    >>> log.record("/health/live", 500, 3.0, now_ms=t)  # probes do not count
    False
    >>> w = log.report(t + 6 * 60_000).windows  # six minutes later
    >>> [(r.window, r.requests, r.errors, r.slow) for r in w]
    [('5m', 0, 0, 0), ('1h', 4, 1, 1)]
    >>> w[1].availability.compliance, w[1].latency.good
    (0.75, 3)
    """

    def __init__(self, config: SLOConfig | None = None, clock: Clock | None = None) -> None:
        self.config = config or SLOConfig()
        self.clock: Clock = clock or SystemClock()
        self._minutes = [window_minutes(w) for w in self.config.windows]
        size = max(self._minutes)
        self._stamp = np.full(size, -1, dtype=np.int64)  # the minute each slot holds
        self._counts = np.zeros((size, 3), dtype=np.int64)  # requests, errors, slow
        self._lock = threading.Lock()

    def record(self, route: str, status: int, seconds: float, *, now_ms: int | None = None) -> bool:
        """Count one answered request (route template, status code, duration in s).

        Returns False when the route is excluded or the time is older than the
        longest window.
        """
        if self.config.excludes(route):
            return False
        minute = (self.clock.now_ms() if now_ms is None else now_ms) // MINUTE_MS
        slot = minute % len(self._stamp)
        error, slow = status >= 500, seconds > self.config.latency_threshold_s
        with self._lock:
            if self._stamp[slot] > minute:
                return False  # the slot already holds a later minute
            if self._stamp[slot] < minute:
                self._stamp[slot] = minute
                self._counts[slot] = 0
            self._counts[slot] += (1, int(error), int(slow))
        return True

    def report(self, now_ms: int | None = None) -> SLOReport:
        """Requests and both objectives over every window ending at ``now_ms`` (default: now)."""
        now = self.clock.now_ms() if now_ms is None else now_ms
        minute = now // MINUTE_MS
        with self._lock:
            stamp, counts = self._stamp.copy(), self._counts.copy()
        cfg = self.config
        windows = []
        for name, n in zip(cfg.windows, self._minutes, strict=True):
            first = minute - n + 1
            inside = (stamp >= first) & (stamp <= minute)
            requests, errors, slow = (int(v) for v in counts[inside].sum(axis=0))
            windows.append(
                WindowReport(
                    window=name,
                    start_ms=first * MINUTE_MS,
                    requests=requests,
                    errors=errors,
                    slow=slow,
                    availability=objective(requests - errors, requests, cfg.availability),
                    latency=objective(requests - slow, requests, cfg.latency),
                )
            )
        return SLOReport(
            now_ms=now,
            latency_threshold_s=cfg.latency_threshold_s,
            excluded=cfg.excluded,
            windows=windows,
        )
