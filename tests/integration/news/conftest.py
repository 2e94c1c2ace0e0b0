"""Replay the four real feed captures through httpx.MockTransport into a real store."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from aitrader_core.clock import ReplayClock
from aitrader_core.news import FeedConfig, NewsConfig, NewsPoller, NewsRepository
from aitrader_core.store import make_engine, upgrade

RSS = Path(__file__).resolve().parents[2] / "data" / "rss"
START_MS = 1_790_000_000_000  # 2026-09-21, after every capture's publish times
FILES = {
    "coindesk": (
        "https://www.coindesk.com/arc/outboundfeeds/rss",
        "coindesk_2026-09-25_3items.xml",
    ),
    "cnbc": (
        "https://www.cnbc.com/id/100727362/device/rss/rss.html",
        "cnbc_international_top_news_2026-03-08.xml",
    ),
    "nyt": (
        "https://rss.nytimes.com/services/xml/rss/nyt/Business.xml",
        "nyt_business_2026-03-09.xml",
    ),
    "sec": (
        "https://www.sec.gov/cgi-bin/browse-edgar?action=getcurrent&type=8-K&output=atom",
        "sec_edgar_8k_latest_2026-09-23.atom",
    ),
}
#: Items in the captures: 3 + 30 + 50 + 10, no link or title shared between them.
TOTAL = 93
Handler = Callable[[httpx.Request], Awaitable[httpx.Response]]


def capture(name: str) -> bytes:
    return (RSS / FILES[name][1]).read_bytes()


def xml_response(body: bytes, **headers: str) -> httpx.Response:
    return httpx.Response(200, content=body, headers={"content-type": "application/xml", **headers})


@dataclass
class Site:
    """The fake internet: a handler per URL; every request is recorded."""

    routes: dict[str, Handler] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)

    def serve(self, url: str, body: bytes, **headers: str) -> None:
        async def handler(_: httpx.Request) -> httpx.Response:
            return xml_response(body, **headers)

        self.routes[url] = handler

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        handler = self.routes.get(str(request.url))
        return await handler(request) if handler else httpx.Response(404)

    def hits(self, url: str) -> int:
        return sum(str(r.url) == url for r in self.requests)


@dataclass
class Rig:
    site: Site
    repo: NewsRepository
    clock: ReplayClock
    sleeps: list[float]
    engine: Engine

    def poller(self, feeds: list[FeedConfig], **config: object) -> NewsPoller:
        cfg = NewsConfig(feeds=feeds, backoff_s=0.5, **config)  # type: ignore[arg-type]
        client = httpx.AsyncClient(transport=httpx.MockTransport(self.site))

        async def fake_sleep(seconds: float) -> None:
            self.sleeps.append(seconds)

        return NewsPoller(cfg, self.repo, client, self.clock, sleep=fake_sleep)


def real_feeds(**overrides: object) -> list[FeedConfig]:
    return [FeedConfig(name=n, url=u, **overrides) for n, (u, _) in FILES.items()]  # type: ignore[arg-type]


@pytest.fixture
def rig(db_url: str) -> Iterator[Rig]:
    engine = make_engine(db_url)
    upgrade(engine)
    site = Site()
    for name, (url, _) in FILES.items():
        site.serve(url, capture(name))
    yield Rig(site, NewsRepository(engine), ReplayClock(START_MS), [], engine)
    engine.dispose()


def run(coro: Awaitable[object]) -> object:
    return asyncio.run(coro)  # type: ignore[arg-type]
