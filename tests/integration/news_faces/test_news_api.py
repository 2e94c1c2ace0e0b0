"""GET /news, GET /news/status, POST /ai/sentiment over a real store, feeds replayed from captures.

The service's lifespan runs the poller (AITRADER_NEWS_ENABLED) on the bundled
real captures (configs/news/demo.yaml, replayed: no network); one extra feed
points at a capture that is not a feed, so its failure must show in
/news/status while the others land.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from aitrader_core.app import App
from aitrader_core.settings import Settings
from service.app import create_app
from tests.conftest import ROOT

DEMO = ROOT / "configs" / "news" / "demo.yaml"


@pytest.fixture
def news_config(tmp_path: Path) -> Path:
    raw = yaml.safe_load(DEMO.read_text())
    for feed in raw["feeds"]:
        feed["replay"] = str((DEMO.parent / feed["replay"]).resolve())
    broken = tmp_path / "broken.xml"
    broken.write_text("<html><body>503 Service Unavailable</body></html>")
    raw["feeds"].append({"name": "broken", "url": "https://example.com/rss", "replay": str(broken)})
    path = tmp_path / "news.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.fixture
def client(db_url: str, tmp_path: Path, news_config: Path) -> Iterator[TestClient]:
    settings = Settings(
        home=tmp_path,
        db_url=db_url,
        news_enabled=True,
        news_config=news_config,
        _env_file=None,
    )
    core = App.from_settings(settings)
    core.upgrade_db()
    with TestClient(create_app(settings, core)) as test_client:
        yield test_client
    core.close()


def _wait_for_polls(client: TestClient) -> dict:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status = client.get("/news/status").json()
        if status["feeds"] and all(f["polls"] >= 1 for f in status["feeds"]):
            return status
        time.sleep(0.05)
    raise AssertionError(f"feeds not polled in time: {status}")


def test_lifespan_poller_lands_good_feeds_and_reports_the_broken_one(client: TestClient) -> None:
    status = _wait_for_polls(client)
    assert status["enabled"] is True
    assert status["running"] is True
    by_name = {f["name"]: f for f in status["feeds"]}
    assert by_name["broken"]["last_outcome"] == "error"
    assert by_name["broken"]["consecutive_failures"] >= 1
    assert by_name["broken"]["last_error_reason"]
    for name in ("coindesk", "cnbc-world", "nyt-business", "sec-8k"):
        assert by_name[name]["last_outcome"] == "ok", by_name[name]
    assert status["stored"] == 3 + 30 + 50 + 10


def test_news_pages_filters_and_cursor(client: TestClient) -> None:
    _wait_for_polls(client)
    everything: list[dict] = []
    cursor = None
    while True:
        params = {"limit": 17, **({"cursor": cursor} if cursor else {})}
        page = client.get("/news", params=params).json()
        everything.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(everything) == 93
    assert len({i["id"] for i in everything}) == 93
    published = [i["published_ms"] for i in everything]
    assert published == sorted(published, reverse=True)
    coindesk = client.get("/news", params={"source": "coindesk"}).json()["items"]
    assert {i["source"] for i in coindesk} == {"coindesk"}
    assert len(coindesk) == 3
    usdt = client.get("/news", params={"symbol": "USDT"}).json()["items"]
    assert usdt
    assert all("USDT" in i["symbols"] for i in usdt)
    window = client.get(
        "/news", params={"start": "2026-09-25T00:00:00Z", "end": "2026-09-26T00:00:00Z"}
    ).json()["items"]
    assert len(window) == 3


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"start": "not a time"}, "start"),
        ({"start": "2026-01-02", "end": "2026-01-01"}, "end"),
        ({"cursor": "garbage"}, "cursor"),
    ],
)
def test_news_bad_query_is_422_naming_the_field(
    client: TestClient, params: dict, field: str
) -> None:
    response = client.get("/news", params=params)
    assert response.status_code == 422
    assert field in str(response.json()["detail"])


def test_sentiment_scores_in_order_and_cached(client: TestClient) -> None:
    texts = ["Bitcoin plunges after exchange hack", "Ether rallies to a record high", "Fed meets"]
    first = client.post("/ai/sentiment", json={"texts": texts})
    assert first.status_code == 200, first.text
    body = first.json()
    assert [s["text"] for s in body["scores"]] == texts
    labels = [s["label"] for s in body["scores"]]
    assert labels[0] == "negative"
    assert labels[1] == "positive"
    for s in body["scores"]:
        assert -1 <= s["score"] <= 1
        assert abs(sum(s["probs"].values()) - 1) < 1e-9
    metrics = client.get("/metrics").text
    hits_before = _counter(metrics, "aitrader_sentiment_cache_total", 'result="hit"')
    again = client.post("/ai/sentiment", json={"texts": texts}).json()
    assert again == body
    hits_after = _counter(
        client.get("/metrics").text, "aitrader_sentiment_cache_total", 'result="hit"'
    )
    assert hits_after - hits_before == len(texts)


@pytest.mark.parametrize(
    "payload",
    [{}, {"texts": []}, {"texts": [""]}, {"texts": ["x" * 2001]}, {"texts": ["a"], "model": "x"}],
)
def test_sentiment_bad_body_is_422(client: TestClient, payload: dict) -> None:
    assert client.post("/ai/sentiment", json=payload).status_code == 422


def _counter(text: str, name: str, label: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and label in line:
            total += float(line.rsplit(" ", 1)[1])
    return total
