"""The /live API over the paper coordinator on real replayed candles.

The service's lifespan runs the shipped paper config (simulator, default
ensemble, BTC/ETH 1h from the bundled data); the tests step the replay
themselves (speed 0 would race them), through the same desk the loop uses.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from aitrader_core.app import App
from aitrader_core.settings import Settings
from service.app import create_app
from tests.conftest import SAMPLE

TOKEN = "test-token-0123456789"  # noqa: S105 - a test credential
AUTH = {"Authorization": f"Bearer {TOKEN}"}
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture
def core(db_url: str, tmp_path: Path) -> Iterator[App]:
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


@pytest.fixture
def client(core: App) -> Iterator[TestClient]:
    with TestClient(create_app(core.settings, core)) as test_client:  # live_enabled=False here
        for _ in range(3):  # marks for both symbols
            core.live.step()
        yield test_client


def test_every_mutating_route_needs_the_token(client: TestClient) -> None:
    """Iterates the app's routes, so a new mutating route cannot slip through unprotected."""
    routes = list(_api_routes(client.app.routes))  # type: ignore[attr-defined]
    documented = set(client.app.openapi()["paths"])  # type: ignore[attr-defined]
    assert documented <= {r.path for r in routes}  # the walk found every route
    mutating = [(m, r.path) for r in routes for m in r.methods if m in MUTATING]
    live = [(m, p) for m, p in mutating if p.startswith("/live")]
    assert len(live) >= 6
    for method, path in live:
        url = path.replace("{client_id}", "x").replace("{name}", "default-btc")
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
            response = client.request(method, url, json={}, headers=headers)
            assert response.status_code == 401, (method, url, headers, response.text)
            assert response.headers["www-authenticate"] == "Bearer"


def _api_routes(routes: list) -> Iterator[APIRoute]:
    """Every API route, through included routers (FastAPI nests them)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from _api_routes(route.original_router.routes)


def test_reads_show_the_coordinator_state(core: App, client: TestClient) -> None:
    for _ in range(24 * 5):  # five days of bars through the coordinator: trades happen
        core.live.step()
    status = client.get("/live/status").json()
    assert status["venue"] == "sim"
    assert status["testnet"] is True
    assert set(status["strategies"]) == {"default-btc", "default-eth"}
    broker = client.get("/live/broker").json()
    assert broker["connected"] is True
    assert broker["bars_processed"] == 2 * (3 + 24 * 5)
    trades = client.get("/live/trades", params={"limit": 1000}).json()
    fills = core.live.call(lambda c: c.fills())
    assert len(trades) == len(fills) > 0
    assert {t["trade_id"] for t in trades} == {f.fill.trade_id for f in fills}
    balance = client.get("/live/balance").json()
    pnl = client.get("/live/pnl").json()
    assert Decimal(balance["equity"]) == Decimal(pnl["equity"])
    assert Decimal(pnl["drawdown"]) <= 0
    orders = client.get("/live/orders", params={"limit": 1000}).json()
    assert all(o["client_id"].startswith("ait-") for o in orders)
    positions = client.get("/live/positions").json()
    for p in positions:
        assert p["side"] in {"long", "short"}
        assert Decimal(p["qty"]) != 0


def test_reads_change_nothing(core: App, client: TestClient) -> None:
    before = core.journal.count()
    for path in (
        "/live/status",
        "/live/balance",
        "/live/positions",
        "/live/orders",
        "/live/trades",
        "/live/pnl",
        "/live/broker",
        "/live/limits",
        "/live/strategies",
    ):
        assert client.get(path).status_code == 200, path
    assert core.journal.count() == before


def test_strategy_patch_is_journaled_and_persisted(core: App, client: TestClient) -> None:
    response = client.patch(
        "/live/strategies/default-btc",
        json={"enabled": False, "max_daily_trades": 3},
        headers=AUTH,
    )
    assert response.status_code == 200, response.text
    listed = {s["name"]: s for s in client.get("/live/strategies").json()}
    assert listed["default-btc"]["enabled"] is False
    assert listed["default-btc"]["max_daily_trades"] == 3
    assert listed["default-eth"]["enabled"] is True
    last = list(core.journal.records())[-1]
    assert last.kind == "config"
    assert last.actor == "operator:api"
    assert last.payload["strategy"] == "default-btc"
    missing = client.patch("/live/strategies/nope", json={"enabled": False}, headers=AUTH)
    assert missing.status_code == 404
    bad = client.patch("/live/strategies/default-btc", json={"max_risk_fraction": 2}, headers=AUTH)
    assert bad.status_code == 422


def test_manual_trade_through_the_guard_and_kill_switch(core: App, client: TestClient) -> None:
    denied = client.post(
        "/live/trade", json={"symbol": "BTC/USDT", "side": "buy", "qty": "0.01"}, headers=AUTH
    ).json()
    assert denied["status"] == "rejected"
    assert "stop" in denied["reason"]  # risk per trade needs a stop to measure
    records = [r for r in core.journal.records() if r.kind == "decision"]
    assert any(not r.payload["allowed"] and r.payload["rule"] == "stop_required" for r in records)
    ok = client.post(
        "/live/trade",
        json={"symbol": "BTC/USDT", "side": "buy", "qty": "0.01", "stop": "20000",
              "client_id": "manual-test-0001"},
        headers=AUTH,
    )  # fmt: skip
    assert ok.status_code == 201, ok.text
    assert ok.json()["status"] in {"open", "filled"}
    again = client.post(
        "/live/trade",
        json={"symbol": "BTC/USDT", "side": "buy", "qty": "0.01", "stop": "20000",
              "client_id": "manual-test-0001"},
        headers=AUTH,
    )  # fmt: skip
    assert again.json()["client_id"] == ok.json()["client_id"]
    assert (
        len([o for o in core.live.call(lambda c: c.orders()) if o.client_id == "manual-test-0001"])
        == 1
    )
    switched = client.post("/live/kill-switch", json={"on": True}, headers=AUTH)
    assert switched.json()["kill_switch"] is True
    blocked = client.post(
        "/live/trade",
        json={"symbol": "ETH/USDT", "side": "buy", "qty": "0.1", "stop": "1000"},
        headers=AUTH,
    ).json()
    assert blocked["status"] == "rejected"
    assert "kill switch" in blocked["reason"]


@pytest.mark.parametrize(
    "body",
    [
        {"symbol": "BTC/USDT", "side": "hold", "qty": "1"},
        {"symbol": "BTC/USDT", "side": "buy", "qty": "-1"},
        {"symbol": "BTC/USDT", "side": "buy", "qty": "NaN"},
        {"symbol": "BTC/USDT", "side": "buy", "qty": "1", "equity": "1000000"},
        {"symbol": "NOPE/USDT", "side": "buy", "qty": "1", "stop": "1"},
    ],
)
def test_bad_trades_are_4xx_and_place_nothing(core: App, client: TestClient, body: dict) -> None:
    before = len(core.live.call(lambda c: c.orders()))
    response = client.post("/live/trade", json=body, headers=AUTH)
    assert 400 <= response.status_code < 500, response.text
    assert len(core.live.call(lambda c: c.orders())) == before


def test_live_mode_without_token_refuses_to_start(tmp_path: Path) -> None:
    from aitrader_core.errors import ConfigError

    settings = Settings(
        home=tmp_path,
        broker="binance",
        testnet=False,
        live_confirm="I-understand",
        binance_api_key="k",
        binance_api_secret="s",  # noqa: S106 - never sent anywhere
        live_enabled=True,
        _env_file=None,
    )
    app = App.from_settings(settings)
    app.upgrade_db()
    with (
        pytest.raises(ConfigError, match="AITRADER_API_TOKEN"),
        TestClient(create_app(settings, app)),
    ):
        pass
    app.close()


def test_pretrade_compliance_denies_a_fat_finger_price(core: App, client: TestClient) -> None:
    mark = Decimal(client.get("/live/status").json()["marks"]["BTC/USDT"])
    far = (mark * Decimal("0.7")).quantize(Decimal("0.01"))
    denied = client.post(
        "/live/trade",
        json={"symbol": "BTC/USDT", "side": "buy", "qty": "0.001", "type": "limit",
              "price": str(far), "stop": str((far * Decimal("0.98")).quantize(Decimal("0.01")))},
        headers=AUTH,
    ).json()  # fmt: skip
    assert denied["status"] == "rejected"
    assert "price_band" in denied["reason"]
    decisions = [r.payload for r in core.journal.records() if r.kind == "decision"]
    assert decisions[-1]["rule"] == "price_band"
    assert decisions[-1]["allowed"] is False


def test_cors_is_closed_by_default(client: TestClient) -> None:
    preflight = client.options(
        "/live/trade",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers
    simple = client.get("/live/status", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in simple.headers
