"""The HTTP API on a real database: candles in and out, errors as 4xx, health, metrics."""

from __future__ import annotations

import io

import pandas as pd
from fastapi.testclient import TestClient

from aitrader_core.app import App
from aitrader_core.observability import sample

Q = {"symbol": "BTC/USDT", "timeframe": "1h"}


def _candle(ts: str, price: float = 100.0) -> dict:
    return {
        "ts": ts,
        "open": price,
        "high": price + 1,
        "low": price - 1,
        "close": price,
        "volume": 2.0,
    }


def test_store_counts_inserted_updated_unchanged(client: TestClient) -> None:
    body = {
        "symbol": "ethusdt",
        "timeframe": "1h",
        "candles": [_candle("2024-01-01T00:00:00Z"), _candle("2024-01-01T01:00:00Z")],
    }
    first = client.post("/prices/store", json=body)
    assert first.status_code == 200, first.text
    assert first.json() == {
        "exchange": "binance",
        "symbol": "ETH/USDT",
        "timeframe": "1h",
        "inserted": 2,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
    }
    body["candles"][1] = _candle("2024-01-01T01:00:00Z", 101.0)
    second = client.post("/prices/store", json=body).json()
    assert (second["inserted"], second["updated"], second["unchanged"]) == (0, 1, 1)


def test_invalid_row_rejects_whole_batch_with_row_and_field(client: TestClient) -> None:
    bad = _candle("2024-01-01T01:00:00Z")
    bad["high"] = 50.0
    body = {
        "symbol": "ETH/USDT",
        "timeframe": "1h",
        "candles": [_candle("2024-01-01T00:00:00Z"), bad],
    }
    resp = client.post("/prices/store", json=body)
    assert resp.status_code == 422
    payload = resp.json()
    assert payload["rejected"] == 2
    assert payload["detail"][0]["loc"] == ["body", "candles", 1, "high"]
    assert "row 1, high" in payload["message"]
    assert client.get("/ohlcv", params={"symbol": "ETH/USDT", "timeframe": "1h"}).status_code == 404


def test_unknown_timeframe_and_symbol_are_422_naming_the_field(client: TestClient) -> None:
    resp = client.get("/ohlcv", params={"symbol": "BTC/USDT", "timeframe": "7x"})
    assert resp.status_code == 422
    assert resp.json()["detail"][0]["loc"] == ["timeframe"]
    resp = client.get("/ohlcv", params={"symbol": "%%%", "timeframe": "1h"})
    assert resp.status_code == 422
    assert resp.json()["detail"][0]["loc"] == ["symbol"]


def test_latest_first_and_cursor(client: TestClient, btc_1h: pd.DataFrame) -> None:
    page = client.get("/ohlcv", params={**Q, "order": "desc", "limit": 3}).json()
    assert [r["time"] for r in page["rows"]] == list(btc_1h["timestamp"].iloc[497:500][::-1])
    nxt = client.get(
        "/ohlcv", params={**Q, "order": "desc", "limit": 3, "cursor": page["next_cursor"]}
    ).json()
    assert [r["time"] for r in nxt["rows"]] == list(btc_1h["timestamp"].iloc[494:497][::-1])
    wrong = client.get("/ohlcv", params={**Q, "order": "asc", "cursor": page["next_cursor"]})
    assert wrong.status_code == 422


def test_range_with_iso_and_epoch_bounds(client: TestClient) -> None:
    iso = client.get(
        "/ohlcv", params={**Q, "start": "2023-01-02T00:00:00Z", "end": "2023-01-02T05:00:00Z"}
    ).json()
    epoch = client.get(
        "/ohlcv", params={**Q, "start": "1672617600000", "end": "1672635600000"}
    ).json()
    assert len(iso["rows"]) == 5
    assert iso["rows"] == epoch["rows"]
    assert client.get("/ohlcv", params={**Q, "start": "tomorrow"}).status_code == 422
    bad = client.get("/ohlcv", params={**Q, "start": "2023-02-01", "end": "2023-01-01"})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["end"]


def test_csv_stream_round_trips(client: TestClient, btc_1h: pd.DataFrame) -> None:
    resp = client.get("/ohlcv.csv", params=Q)
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/csv")
    pd.testing.assert_frame_equal(pd.read_csv(io.StringIO(resp.text)), btc_1h.iloc[:500])
    assert client.get("/ohlcv.csv", params={**Q, "symbol": "XRP/USDT"}).status_code == 404


def test_coverage_and_series(client: TestClient) -> None:
    cov = client.get("/ohlcv/coverage", params=Q).json()
    assert cov["count"] == 500
    assert cov["first"] == "2023-01-01T00:00:00Z"
    assert cov["missing"] == 0
    series = client.get("/ohlcv/series").json()
    assert series == [
        {
            "exchange": "binance",
            "symbol": "BTC/USDT",
            "timeframe": "1h",
            "count": 500,
            "first_ts": cov["first_ts"],
            "last_ts": cov["last_ts"],
        }
    ]


def test_health_ready_reports_schema_state(client: TestClient, core: App) -> None:
    assert client.get("/health/live").json() == {"status": "ok"}
    ready = client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["ready"] is True


def test_health_ready_is_503_before_migration(tmp_path) -> None:
    from aitrader_core.settings import Settings
    from service.app import create_app

    core = App.from_settings(Settings(home=tmp_path, _env_file=None))
    with TestClient(create_app(core.settings, core)) as c:
        resp = c.get("/health/ready")
    assert resp.status_code == 503
    assert "upgrade" in resp.json()["schema"]


def test_metrics_count_requests_per_route_and_status(client: TestClient) -> None:
    labels = {"method": "GET", "route": "/ohlcv", "status": "200"}
    before = sample("aitrader_http_requests_total", labels)
    client.get("/ohlcv", params=Q)
    client.get("/ohlcv", params=Q)
    assert sample("aitrader_http_requests_total", labels) - before == 2
    text = client.get("/metrics").text
    assert (
        'aitrader_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/ohlcv"'
        in text
    )


def test_malformed_json_is_4xx(client: TestClient) -> None:
    resp = client.post(
        "/prices/store", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert 400 <= resp.status_code < 500


def test_unmigrated_database_is_503_not_500(tmp_path) -> None:
    from aitrader_core.settings import Settings
    from service.app import create_app

    core = App.from_settings(Settings(home=tmp_path, _env_file=None))
    with TestClient(create_app(core.settings, core)) as c:
        resp = c.get("/ohlcv", params=Q)
    assert resp.status_code == 503
    assert resp.headers["retry-after"] == "1"
    assert "nothing was written" in resp.json()["detail"]
