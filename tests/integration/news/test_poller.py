"""The poller on the four real feed captures, over MockTransport, into SQLite/PostgreSQL."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from aitrader_core.clock import SystemClock
from aitrader_core.news import FeedConfig, NewsConfig, NewsPoller, canonical_link
from aitrader_core.observability import sample
from tests.integration.news.conftest import FILES, START_MS, TOTAL, Rig, capture, real_feeds

FAIL = "aitrader_news_poll_failures_total"


def _all_items(rig: Rig) -> list:
    page = rig.repo.list_news(limit=500)
    assert page.next_cursor is None
    return page.items


def test_same_feeds_twice_store_each_item_once_with_first_received_time(rig: Rig) -> None:
    poller = rig.poller(real_feeds())
    new_before = sample("aitrader_news_items_total", {"feed": "nyt", "outcome": "new"})
    dup_before = sample("aitrader_news_items_total", {"feed": "nyt", "outcome": "duplicate"})

    async def scenario() -> None:
        first = await poller.run_once()
        assert {r.feed: (r.outcome, r.seen, r.new) for r in first} == {
            "coindesk": ("ok", 3, 3),
            "cnbc": ("ok", 30, 30),
            "nyt": ("ok", 50, 50),
            "sec": ("ok", 10, 10),
        }
        rig.clock.advance(600_000)
        second = await poller.run_once()
        assert [r.new for r in second] == [0, 0, 0, 0]

    asyncio.run(scenario())
    items = _all_items(rig)
    assert len(items) == rig.repo.count() == TOTAL
    assert len({i.link for i in items}) == TOTAL
    assert {i.received_ms for i in items} == {START_MS}  # the first sighting, not the second
    assert sample("aitrader_news_items_total", {"feed": "nyt", "outcome": "new"}) - new_before == 50
    assert (
        sample("aitrader_news_items_total", {"feed": "nyt", "outcome": "duplicate"}) - dup_before
        == 50
    )
    status = poller.status()
    assert status["nyt"].items_seen == 100
    assert status["nyt"].items_new == 50
    assert status["nyt"].last_success_ms == START_MS + 600_000
    assert status["nyt"].consecutive_failures == 0
    assert status["nyt"].polls == 2


def test_items_are_normalised_and_tagged(rig: Rig) -> None:
    asyncio.run(rig.poller(real_feeds()).run_once())
    items = {i.title: i for i in _all_items(rig)}
    heist = items[
        "Circle and Tether step in to freeze hacker wallet after massive Bitget crypto heist"
    ]
    # the real <description> survives CoinDesk's empty <dc:description/>
    assert heist.summary.startswith("The stablecoin issuer blacklisted a wallet")
    assert heist.symbols == ("ETH", "USDC", "USDT")  # "ether", "USDT and USDC", "Tether"
    assert heist.published_ms == 1_790_347_313_000  # Fri, 25 Sep 2026 14:41:53 +0000
    sec = items["8-K - Trinseo PLC (0001519061) (Filer)"]
    assert sec.source == "sec"
    assert "<" not in sec.summary
    assert sec.summary.startswith("Filed: 2026-09-23 AccNo: 0001104659-26-109915")
    assert sec.published_ms == 1_790_184_636_000  # 2026-09-23T13:30:36-04:00 in UTC
    assert all(i.symbols == () for i in items.values() if i.source == "sec")


def test_iso_8859_1_feed_is_decoded_by_its_declaration(rig: Rig) -> None:
    body = capture("sec").replace(b"Trinseo PLC", "Société Générale".encode("iso-8859-1"))
    assert b"\xe9" in body
    rig.site.serve(FILES["sec"][0], body)
    asyncio.run(rig.poller(real_feeds()).run_once(["sec"]))
    titles = {i.title for i in _all_items(rig)}
    assert "8-K - Société Générale (0001519061) (Filer)" in titles


def test_http_500_is_retried_then_reported_while_other_feeds_land(rig: Rig) -> None:
    url = FILES["cnbc"][0]

    async def broken(_: httpx.Request) -> httpx.Response:
        return httpx.Response(500, text="upstream down")

    rig.site.routes[url] = broken
    poller = rig.poller(real_feeds(), max_retries=2)
    before = sample(FAIL, {"feed": "cnbc", "reason": "http_500"})
    results = asyncio.run(poller.run_once())
    assert {r.feed: r.outcome for r in results}["cnbc"] == "error"
    assert rig.site.hits(url) == 3  # one try and two retries
    assert rig.sleeps == [0.5, 1.0]  # exponential back-off through the injected sleep
    assert sample(FAIL, {"feed": "cnbc", "reason": "http_500"}) - before == 1
    st = poller.status()["cnbc"]
    assert (st.last_error_reason, st.consecutive_failures, st.last_error_ms) == (
        "http_500",
        1,
        START_MS,
    )
    assert st.last_success_ms is None
    assert "HTTP 500" in (st.last_error or "")
    assert rig.repo.count() == TOTAL - 30
    asyncio.run(poller.run_once(["cnbc"]))
    assert poller.status()["cnbc"].consecutive_failures == 2


def test_not_found_is_not_retried(rig: Rig) -> None:
    feeds = [*real_feeds(), FeedConfig(name="gone", url="https://example.org/missing.xml")]
    poller = rig.poller(feeds)
    asyncio.run(poller.run_once())
    assert rig.site.hits("https://example.org/missing.xml") == 1
    assert poller.status()["gone"].last_error_reason == "http_404"
    assert rig.repo.count() == TOTAL


@pytest.mark.parametrize(
    "body", [b"<html><body>502 Bad Gateway</body></html>", b"{not xml", b""], ids=str
)
def test_malformed_feed_is_reported_while_other_feeds_land(rig: Rig, body: bytes) -> None:
    rig.site.serve(FILES["nyt"][0], body)
    poller = rig.poller(real_feeds())
    before = sample(FAIL, {"feed": "nyt", "reason": "malformed"})
    asyncio.run(poller.run_once())
    assert sample(FAIL, {"feed": "nyt", "reason": "malformed"}) - before == 1
    assert poller.status()["nyt"].last_error_reason == "malformed"
    assert rig.site.hits(FILES["nyt"][0]) == 1  # a bad document is not fetched again
    assert rig.repo.count() == TOTAL - 50


def test_recoverable_xml_error_keeps_items_and_warns(rig: Rig) -> None:
    rig.site.serve(FILES["coindesk"][0], capture("coindesk").replace(b"<channel>", b"<channel><<"))
    poller = rig.poller(real_feeds())
    asyncio.run(poller.run_once(["coindesk"]))
    st = poller.status()["coindesk"]
    assert st.last_outcome == "ok"
    assert st.items_new == 3
    assert st.last_warning is not None
    assert "not well-formed" in st.last_warning


def test_slow_feed_times_out_while_other_feeds_land(rig: Rig) -> None:
    url = FILES["sec"][0]

    async def slow(_: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200, content=capture("sec"))

    rig.site.routes[url] = slow
    feeds = [*real_feeds()[:3], FeedConfig(name="sec", url=url, timeout_s=0.2)]
    poller = rig.poller(feeds, max_retries=1)
    before = sample(FAIL, {"feed": "sec", "reason": "timeout"})
    started = time.perf_counter()
    asyncio.run(poller.run_once())
    elapsed = time.perf_counter() - started
    assert 0.4 <= elapsed < 1.5  # two attempts of 0.2 s, not 5 s
    assert sample(FAIL, {"feed": "sec", "reason": "timeout"}) - before == 1
    assert poller.status()["sec"].last_error_reason == "timeout"
    assert rig.site.hits(url) == 2
    assert rig.repo.count() == TOTAL - 10


def test_oversized_body_is_refused(rig: Rig) -> None:
    poller = rig.poller(real_feeds(), max_bytes=50_000)  # only NYT (~95 kB) is larger
    asyncio.run(poller.run_once())
    assert poller.status()["nyt"].last_error_reason == "too_large"
    assert rig.repo.count() == TOTAL - 50


def test_item_redelivered_by_another_feed_is_stored_once(rig: Rig) -> None:
    original = capture("coindesk")
    link = b"https://www.coindesk.com/markets/2026/09/25/circle-and-tether-step-in-to-freeze-hacker-wallet-after-massive-bitget-crypto-heist"
    # a syndicating feed: the first story under its link with tracking parameters
    # and an upper-case host; the second under another URL with its title re-cased;
    # the third replaced by a story of its own
    tracked = (
        link.replace(b"www.coindesk.com", b"WWW.COINDESK.COM") + b"?utm_source=rss&amp;fbclid=x"
    )
    mirror = (
        original.replace(link, tracked)
        .replace(
            b"Tokenization is moving faster than Washington",
            b"TOKENIZATION IS MOVING FASTER THAN WASHINGTON!",
        )
        .replace(b"https://www.coindesk.com/opinion/2026/09/25/", b"https://wire.example/")
        .replace(
            b"Tether confirms minimal EQIBank exposure following $89M US asset seizure",
            b"Solana rallies as ETF inflows climb",
        )
        .replace(b"https://www.coindesk.com/policy/2026/09/25/", b"https://wire.example/sol/")
    )
    rig.site.serve("https://wire.example/rss", mirror)
    feeds = [*real_feeds(), FeedConfig(name="wire", url="https://wire.example/rss")]
    poller = rig.poller(feeds)
    results = {r.feed: r for r in asyncio.run(poller.run_once())}
    assert results["coindesk"].new + results["wire"].new == 4  # 3 + the one new story
    assert rig.repo.count() == TOTAL + 1
    items = _all_items(rig)
    links = {i.link for i in items}
    assert canonical_link(tracked.decode().replace("&amp;", "&")) == link.decode()
    assert link.decode() in links
    assert not any(x.startswith("https://wire.example/tokenization") for x in links)
    (sol,) = [i for i in items if i.source == "wire"]
    assert sol.title == "Solana rallies as ETF inflows climb"
    assert sol.symbols == (
        "SOL",
        "USDT",
    )  # summary: Tether


def test_etag_and_last_modified_give_a_304_path(rig: Rig) -> None:
    url = FILES["coindesk"][0]
    seen: list[httpx.Headers] = []

    async def conditional(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers)
        if request.headers.get("if-none-match") == '"v1"':
            return httpx.Response(304)
        return httpx.Response(
            200,
            content=capture("coindesk"),
            headers={"etag": '"v1"', "last-modified": "Fri, 25 Sep 2026 16:22:09 GMT"},
        )

    rig.site.routes[url] = conditional
    poller = rig.poller(real_feeds())
    before = sample("aitrader_news_polls_total", {"feed": "coindesk", "outcome": "not_modified"})

    async def scenario() -> list:
        await poller.run_once(["coindesk"])
        rig.clock.advance(60_000)
        return await poller.run_once(["coindesk"])

    (second,) = asyncio.run(scenario())
    assert second.outcome == "not_modified"
    assert second.seen == 0
    assert "if-none-match" not in seen[0]
    assert seen[1]["if-none-match"] == '"v1"'
    assert seen[1]["if-modified-since"] == "Fri, 25 Sep 2026 16:22:09 GMT"
    after = sample("aitrader_news_polls_total", {"feed": "coindesk", "outcome": "not_modified"})
    assert after - before == 1
    st = poller.status()["coindesk"]
    assert st.last_outcome == "not_modified"
    assert st.last_success_ms == START_MS + 60_000
    assert rig.repo.count() == 3


def test_validators_are_kept_only_after_the_items_are_stored(rig: Rig) -> None:
    url = FILES["coindesk"][0]
    bodies = [b"<html>maintenance</html>", capture("coindesk")]
    seen: list[httpx.Headers] = []

    async def flaky(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers)
        if request.headers.get("if-none-match") == '"v1"':
            return httpx.Response(304)
        return httpx.Response(200, content=bodies[min(len(seen), 2) - 1], headers={"etag": '"v1"'})

    rig.site.routes[url] = flaky
    poller = rig.poller(real_feeds())

    async def scenario() -> None:
        await poller.run_once(["coindesk"])  # 200 with an ETag, but not a feed
        await poller.run_once(["coindesk"])  # must fetch in full, not ask for a 304
        await poller.run_once(["coindesk"])  # now the ETag is known

    asyncio.run(scenario())
    assert "if-none-match" not in seen[1]
    assert seen[2]["if-none-match"] == '"v1"'
    assert rig.repo.count() == 3
    assert poller.status()["coindesk"].last_outcome == "not_modified"


def test_disabled_feed_is_not_polled(rig: Rig) -> None:
    feeds = [*real_feeds()[:3], FeedConfig(name="sec", url=FILES["sec"][0], enabled=False)]
    asyncio.run(rig.poller(feeds).run_once())
    assert rig.site.hits(FILES["sec"][0]) == 0
    assert rig.repo.count() == TOTAL - 10


def test_run_forever_polls_at_each_feeds_interval_and_stops(rig: Rig) -> None:
    cfg = NewsConfig(
        feeds=[
            FeedConfig(name="coindesk", url=FILES["coindesk"][0], interval_s=0.1),
            FeedConfig(name="sec", url=FILES["sec"][0], interval_s=10.0),
        ]
    )
    client = httpx.AsyncClient(transport=httpx.MockTransport(rig.site))
    poller = NewsPoller(cfg, rig.repo, client, SystemClock())

    async def scenario() -> float:
        stop = asyncio.Event()
        task = asyncio.create_task(poller.run_forever(stop))
        await asyncio.sleep(0.45)
        stop.set()
        t0 = time.perf_counter()
        await asyncio.wait_for(task, timeout=2)
        return time.perf_counter() - t0

    stopped_in = asyncio.run(scenario())
    assert stopped_in < 0.3
    assert 3 <= rig.site.hits(FILES["coindesk"][0]) <= 6
    assert rig.site.hits(FILES["sec"][0]) == 1
    assert rig.repo.count() == 13
