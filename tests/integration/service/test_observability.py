"""GET /observability/slo counts the API's requests; /metrics shows every order path.

Counters are process-wide, so the tests assert on deltas.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from aitrader_core.app import App
from aitrader_core.live.metrics import OUTCOMES, RULES, VENUES
from aitrader_core.observability import REGISTRY, sample
from aitrader_core.settings import Settings
from service.app import create_app
from tests.conftest import SAMPLE

ROOT = Path(__file__).resolve().parents[3]
TOKEN = "test-token-0123456789"  # noqa: S105 - a test credential
AUTH = {"Authorization": f"Bearer {TOKEN}"}
Q = {"symbol": "BTC/USDT", "timeframe": "1h"}


def _samples(text: str) -> list[tuple[str, dict[str, str]]]:
    return [(s.name, s.labels) for f in text_string_to_metric_families(text) for s in f.samples]


def test_slo_counts_requests_by_window(client: TestClient) -> None:
    assert client.get("/ohlcv", params=Q).status_code == 200
    assert client.get("/ohlcv", params={**Q, "timeframe": "7x"}).status_code == 422
    assert client.get("/ohlcv", params={**Q, "symbol": "ETH/USDT"}).status_code == 404
    assert client.get("/no/such/route").status_code == 404
    for probe in ("/health/live", "/health/ready", "/metrics"):
        assert client.get(probe).status_code == 200
    response = client.get("/observability/slo")
    assert response.status_code == 200
    body = response.json()
    assert [w["window"] for w in body["windows"]] == ["5m", "1h", "24h", "30d"]
    assert body["excluded"] == ["/health", "/metrics"]
    for w in body["windows"]:
        assert (w["requests"], w["errors"]) == (4, 0)  # probes and scrapes left out
        assert w["availability"] == {
            "target": 0.995,
            "good": 4,
            "compliance": 1.0,
            "burn_rate": 0.0,
            "budget_remaining": 1.0,
            "met": True,
        }
        assert w["latency"]["target"] == 0.99
        assert w["latency"]["good"] == 4 - w["slow"]
    again = client.get("/observability/slo").json()  # the first report now counts too
    assert again["windows"][0]["requests"] == 5


def test_metrics_show_every_family_and_route(client: TestClient) -> None:
    client.get("/ohlcv", params=Q)
    client.get("/ohlcv", params={**Q, "timeframe": "7x"})
    client.get("/ohlcv/series")
    client.get("/observability/slo")
    text = client.get("/metrics").text
    for family in (
        "# TYPE aitrader_orders_total counter",
        "# TYPE aitrader_risk_denials_total counter",
        "# TYPE aitrader_order_submit_seconds histogram",
        "# TYPE aitrader_ingest_lag_seconds gauge",
    ):
        assert family in text
    samples = _samples(text)
    http = {
        (labels["route"], labels["status"])
        for name, labels in samples
        if name == "aitrader_http_request_duration_seconds_count"
    }
    assert {
        ("/ohlcv", "200"),
        ("/ohlcv", "422"),
        ("/ohlcv/series", "200"),
        ("/observability/slo", "200"),
    } <= http
    # Every order path is there from the start, at zero until it happens.
    orders = {(lb["venue"], lb["outcome"]) for n, lb in samples if n == "aitrader_orders_total"}
    assert {(v, o) for v in VENUES for o in OUTCOMES} <= orders
    denials = {lb["rule"] for n, lb in samples if n == "aitrader_risk_denials_total"}
    assert set(RULES) <= denials
    submits = {lb["venue"] for n, lb in samples if n == "aitrader_order_submit_seconds_count"}
    assert set(VENUES) <= submits


def test_every_guard_rule_is_precreated() -> None:
    source = (ROOT / "aitrader_core" / "risk" / "guard.py").read_text()
    rules = set(re.findall(r'Decision\(\s*False,\s*"(\w+)"', source))
    assert len(rules) >= 10
    assert rules <= set(RULES), rules - set(RULES)


# --- the order path ---------------------------------------------------------------------


@pytest.fixture
def live_core(db_url: str, tmp_path: Path) -> Iterator[App]:
    settings = Settings(home=tmp_path, db_url=db_url, api_token=TOKEN, _env_file=None)
    app = App.from_settings(settings)
    app.upgrade_db()
    for pair, name in (("BTC/USDT", "BTCUSDT"), ("ETH/USDT", "ETHUSDT")):
        frame = pd.read_csv(SAMPLE / f"{name}_1h_20230101_20240110.csv.gz")
        window = frame[(frame["timestamp"] >= "2023-07-01") & (frame["timestamp"] < "2023-10-01")]
        app.store_candles("binance", pair, "1h", window)
    yield app
    app.live.stop()
    app.close()


def _orders(outcome: str) -> float:
    return sample("aitrader_orders_total", {"venue": "sim", "outcome": outcome})


def _submits() -> float:
    return sample("aitrader_order_submit_seconds_count", {"venue": "sim"})


def test_orders_and_denials_are_counted(live_core: App) -> None:
    accepted, rejected, submits = _orders("accepted"), _orders("rejected"), _submits()
    denied = {rule: sample("aitrader_risk_denials_total", {"rule": rule}) for rule in RULES}
    with TestClient(create_app(live_core.settings, live_core)) as client:
        for _ in range(24 * 5):  # five days of bars through the paper coordinator
            live_core.live.step()
        orders = live_core.live.call(lambda c: c.orders(limit=None))
        by_guard = [o for o in orders if o.order.reason.startswith("denied by")]
        sent = len(orders) - len(by_guard)
        assert sent > 0
        assert _submits() - submits == sent  # the simulator answers every submit at once
        assert (_orders("accepted") - accepted) + (_orders("rejected") - rejected) == sent
        guard_delta = sum(
            sample("aitrader_risk_denials_total", {"rule": r}) - denied[r] for r in RULES
        )
        assert guard_delta == len(by_guard)
        for series in ("BTC/USDT", "ETH/USDT"):  # the replay feed sets the lag on its clock
            labels = {"exchange": "binance", "symbol": series, "timeframe": "1h"}
            assert REGISTRY.get_sample_value("aitrader_ingest_lag_seconds", labels) == 0.0

        stop_required = sample("aitrader_risk_denials_total", {"rule": "stop_required"})
        accepted, submits = _orders("accepted"), _submits()
        no_stop = client.post(
            "/live/trade", json={"symbol": "BTC/USDT", "side": "buy", "qty": "0.01"}, headers=AUTH
        )
        assert no_stop.json()["status"] == "rejected"
        assert sample("aitrader_risk_denials_total", {"rule": "stop_required"}) == stop_required + 1
        assert _submits() == submits  # a denied order never reaches the venue
        ok = client.post(
            "/live/trade",
            json={"symbol": "BTC/USDT", "side": "buy", "qty": "0.01", "stop": "20000"},
            headers=AUTH,
        )
        assert ok.status_code == 201, ok.text
        assert _orders("accepted") == accepted + 1
        assert _submits() == submits + 1
        text = client.get("/metrics").text
    assert 'aitrader_risk_denials_total{rule="stop_required"}' in text
    assert 'aitrader_orders_total{outcome="accepted",venue="sim"}' in text
