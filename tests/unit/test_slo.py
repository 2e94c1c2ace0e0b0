"""SLO arithmetic and the rolling request log, on hand-built request streams."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from aitrader_core.clock import ReplayClock
from aitrader_core.slo import MINUTE_MS, RequestLog, SLOConfig, objective, window_minutes

T0 = 1_700_000_040_000  # the start of a minute (epoch ms UTC)
MIN = MINUTE_MS


def _feed(log: RequestLog, at_ms: int, ok: int = 0, errors: int = 0, slow: int = 0) -> None:
    for _ in range(ok):
        log.record("/ohlcv", 200, 0.01, now_ms=at_ms)
    for _ in range(errors):
        log.record("/ohlcv", 503, 0.01, now_ms=at_ms)
    for _ in range(slow):
        log.record("/ohlcv", 200, 2.0, now_ms=at_ms)


def test_availability_budget_and_burn_are_exact() -> None:
    log = RequestLog(SLOConfig(availability=0.99, latency=0.9, windows=("1h",)))
    _feed(log, T0, ok=180, errors=10, slow=10)  # 200 requests: 5 % errors, 5 % slow
    (w,) = log.report(T0).windows
    assert (w.requests, w.errors, w.slow) == (200, 10, 10)
    assert w.availability.good == 190
    assert w.availability.compliance == pytest.approx(0.95)
    assert w.availability.burn_rate == pytest.approx(5.0)  # 5 % bad against a 1 % budget
    assert w.availability.budget_remaining == pytest.approx(-4.0)
    assert w.availability.met is False
    assert w.latency.good == 190
    assert w.latency.burn_rate == pytest.approx(0.5)  # 5 % slow against a 10 % budget
    assert w.latency.budget_remaining == pytest.approx(0.5)
    assert w.latency.met is True


def test_objective_edges() -> None:
    perfect = objective(1000, 1000, 0.995)
    assert (perfect.compliance, perfect.burn_rate, perfect.budget_remaining, perfect.met) == (
        1.0, 0.0, 1.0, True,
    )  # fmt: skip
    on_target = objective(995, 1000, 0.995)  # spends exactly the budget
    assert on_target.met is True
    assert on_target.burn_rate == pytest.approx(1.0)
    assert on_target.budget_remaining == pytest.approx(0.0, abs=1e-9)
    idle = objective(0, 0, 0.995)
    assert (idle.compliance, idle.burn_rate, idle.budget_remaining, idle.met) == (
        None, 0.0, 1.0, True,
    )  # fmt: skip
    with pytest.raises(ValueError, match="within"):
        objective(5, 4, 0.99)


def test_latency_threshold_counts_like_a_histogram_bucket() -> None:
    log = RequestLog(SLOConfig(latency_threshold_s=0.5, windows=("5m",)))
    for seconds in (0.1, 0.5, 0.5000001, 3.0):
        log.record("/prices", 200, seconds, now_ms=T0)
    (w,) = log.report(T0).windows
    assert w.slow == 2  # exactly at the threshold is within it (le=0.5)


def test_window_holds_the_current_minute_and_the_ones_before() -> None:
    log = RequestLog(SLOConfig(windows=("5m", "1h")))
    _feed(log, T0, ok=1)  # minute 0
    _feed(log, T0 + 4 * MIN + 59_999, ok=2)  # last ms of minute 4
    _feed(log, T0 + 5 * MIN, errors=4)  # minute 5
    at_4 = log.report(T0 + 4 * MIN + 30_000).windows  # minutes 0..4 in the 5m window
    assert [(w.requests, w.errors) for w in at_4] == [(3, 0), (3, 0)]
    assert at_4[0].start_ms == T0
    at_5 = log.report(T0 + 5 * MIN).windows  # minute 0 has left the 5m window
    assert [(w.requests, w.errors) for w in at_5] == [(6, 4), (7, 4)]
    at_end = log.report(T0 + 64 * MIN).windows  # minute 5 is the oldest in the 1h window
    assert [(w.requests, w.errors) for w in at_end] == [(0, 0), (4, 4)]
    after = log.report(T0 + 65 * MIN).windows
    assert [w.requests for w in after] == [0, 0]


def test_requests_after_now_are_not_reported() -> None:
    log = RequestLog(SLOConfig(windows=("5m",)))
    _feed(log, T0 + MIN, ok=3)
    assert log.report(T0).windows[0].requests == 0
    assert log.report(T0 + MIN).windows[0].requests == 3


def test_the_ring_forgets_beyond_the_longest_window() -> None:
    log = RequestLog(SLOConfig(windows=("5m",)))
    _feed(log, T0, ok=2)
    _feed(log, T0 + 5 * MIN, ok=1)  # the same slot, five minutes later: the old count goes
    assert log.report(T0 + 5 * MIN).windows[0].requests == 1
    assert log.record("/ohlcv", 500, 0.1, now_ms=T0) is False  # older than the ring
    assert log.report(T0 + 5 * MIN).windows[0].errors == 0


def test_probes_and_scrapes_are_excluded() -> None:
    log = RequestLog(SLOConfig(windows=("5m",)))
    for route in ("/health/live", "/health/ready", "/metrics"):
        assert log.record(route, 503, 9.0, now_ms=T0) is False
    for route in ("/healthy", "/metrics-summary", "unmatched", "/observability/slo"):
        assert log.record(route, 200, 0.01, now_ms=T0) is True
    (w,) = log.report(T0).windows
    assert (w.requests, w.errors, w.slow) == (4, 0, 0)
    report = log.report(T0)
    assert report.excluded == ("/health", "/metrics")


def test_the_clock_is_used_without_explicit_times() -> None:
    clock = ReplayClock(T0)
    log = RequestLog(SLOConfig(windows=("5m",)), clock=clock)
    log.record("/ohlcv", 500, 0.01)
    clock.advance(10 * MIN)
    log.record("/ohlcv", 200, 0.01)
    report = log.report()
    assert report.now_ms == T0 + 10 * MIN
    assert (report.windows[0].requests, report.windows[0].errors) == (1, 0)


def test_the_report_is_json_with_every_window_in_order() -> None:
    log = RequestLog()
    _feed(log, T0, ok=9, errors=1)
    body = log.report(T0).model_dump(mode="json")
    assert [w["window"] for w in body["windows"]] == ["5m", "1h", "24h", "30d"]
    first = body["windows"][0]
    assert set(first) == {"window", "start_ms", "requests", "errors", "slow", "availability",
                          "latency"}  # fmt: skip
    assert set(first["availability"]) == {"target", "good", "compliance", "burn_rate",
                                          "budget_remaining", "met"}  # fmt: skip
    assert first["availability"]["burn_rate"] == pytest.approx(0.1 / 0.005)


@pytest.mark.parametrize(
    ("spec", "minutes"), [("1m", 1), ("5m", 5), ("2h", 120), ("24h", 1440), ("30d", 43200)]
)
def test_window_spelling(spec: str, minutes: int) -> None:
    assert window_minutes(spec) == minutes


@pytest.mark.parametrize(
    "bad",
    [
        {"windows": ("90s",)},
        {"windows": ("0m",)},
        {"windows": ()},
        {"windows": ("1h", "1h")},
        {"availability": 1.0},
        {"latency": 0},
        {"latency_threshold_s": 0},
        {"surprise": 1},
    ],
)
def test_config_refuses_nonsense(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        SLOConfig.model_validate(bad)
