"""GET /analysis from the store: real BTC/USDT candles plus stored news, end to end.

The leakage test runs through the whole stack (news table → cached scorer →
analyze_market): items received after the last bar's close never change the
answer; the same items received before it do.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from aitrader_core.app import App
from aitrader_core.news import NewsItem
from aitrader_core.settings import Settings
from service.app import create_app

HOUR = 3_600_000


@pytest.fixture
def core(db_url: str, tmp_path: Path, btc_1h: pd.DataFrame) -> Iterator[App]:
    app = App.from_settings(Settings(home=tmp_path, db_url=db_url, _env_file=None))
    app.upgrade_db()
    app.store_candles("binance", "BTC/USDT", "1h", btc_1h.iloc[:3000])
    yield app
    app.close()


@pytest.fixture
def client(core: App) -> Iterator[TestClient]:
    with TestClient(create_app(core.settings, core)) as test_client:
        yield test_client


def _close_of_last_bar(core: App) -> int:
    return int(core.bars("binance", "BTC/USDT", "1h")["ts"].iloc[-1]) + HOUR


def _item(n: int, title: str, published: int, received: int) -> NewsItem:
    return NewsItem(
        link=f"https://news.example/{n}",
        title=title,
        summary="",
        source="test",
        published_ms=published,
        received_ms=received,
        symbols=("BTC",),
    )


BEARISH = [
    "Bitcoin crashes as exchange collapses in massive fraud",
    "Bitcoin plunges, investors panic after hack and huge losses",
    "Regulators ban bitcoin trading; prices slump sharply",
]


def test_trace_sums_to_score_and_signal_follows_sign(client: TestClient) -> None:
    body = client.get(
        "/analysis", params={"symbol": "BTC/USDT", "timeframe": "1h", "slow_timeframe": "4h"}
    ).json()
    assert body["signal"] in {"buy", "sell", "hold"}
    total = sum(step["contribution"] for step in body["trace"])
    assert total == pytest.approx(body["score"], abs=1e-12)
    assert body["trace"][-1]["running_score"] == pytest.approx(body["score"], abs=1e-12)
    assert -1 <= body["score"] <= 1
    if body["signal"] == "buy":
        assert body["score"] > 0
    if body["signal"] == "sell":
        assert body["score"] < 0
    assert body["support"] == sorted(body["support"], reverse=True) or len(body["support"]) <= 1


def test_news_received_after_the_close_changes_nothing(core: App, client: TestClient) -> None:
    params = {"symbol": "BTC/USDT", "timeframe": "1h", "slow_timeframe": "4h"}
    before = client.get("/analysis", params=params).json()
    close = _close_of_last_bar(core)
    late = [_item(i, t, close - HOUR, close + 1 + i) for i, t in enumerate(BEARISH)]
    assert core.news.repository.add(late).inserted == 3
    after = client.get("/analysis", params=params).json()
    assert after == before
    early = [  # new stories (the same titles would be deduplicated as one story)
        _item(10 + i, f"Breaking: {t} again", close - 2 * HOUR, close - HOUR)
        for i, t in enumerate(BEARISH)
    ]
    assert core.news.repository.add(early).inserted == 3
    informed = client.get("/analysis", params=params).json()
    news_step = next(s for s in informed["trace"] if s["component"] == "news")
    assert news_step["contribution"] < 0
    assert informed["score"] < before["score"]


def test_as_of_replays_the_past_without_the_future(core: App, client: TestClient) -> None:
    bars = core.bars("binance", "BTC/USDT", "1h")
    as_of = int(bars["ts"].iloc[2000]) + HOUR  # the close of bar 2000
    params = {"symbol": "BTC/USDT", "timeframe": "1h", "as_of": str(as_of)}
    past = client.get("/analysis", params=params).json()
    assert past["as_of_ms"] == as_of
    assert past["price"] == pytest.approx(float(bars["close"].iloc[2000]))
    core.news.repository.add([_item(99, BEARISH[0], as_of + HOUR, as_of + HOUR)])
    assert client.get("/analysis", params=params).json() == past


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"symbol": "BTC/USDT", "timeframe": "1h", "slow_timeframe": "2x"}, 422, "slow_timeframe"),
        ({"symbol": "BTC/USDT", "timeframe": "7q"}, 422, "timeframe"),
        ({"symbol": "BTC/USDT", "timeframe": "1h", "as_of": "2001-01-01"}, 422, "as_of"),
        ({"symbol": "BTC/USDT", "timeframe": "1h", "as_of": "yesterday-ish"}, 422, "start"),
        ({"symbol": "XRP/USDT", "timeframe": "1h"}, 404, None),
        ({"timeframe": "1h"}, 422, "symbol"),
    ],
)
def test_bad_requests_are_4xx_with_a_message(
    client: TestClient, params: dict, status: int, field: str | None
) -> None:
    response = client.get("/analysis", params=params)
    assert response.status_code == status, response.text
    if field:
        assert field in response.text
