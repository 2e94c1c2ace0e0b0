"""The news table: idempotent adds, title dedupe window, keyset pages, migration."""

from __future__ import annotations

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aitrader_core.errors import ValidationError
from aitrader_core.news import NewsItem, NewsRepository
from aitrader_core.store import make_engine, upgrade
from aitrader_core.store.schema import metadata
from tests.integration.news.conftest import TOTAL, Rig, real_feeds

HOUR = 3_600_000


def item(n: int, *, title: str | None = None, published: int = 0, symbols=()) -> NewsItem:
    return NewsItem(
        link=f"https://example.org/{n}",
        title=title if title is not None else f"story {n}",
        summary="",
        source="test",
        published_ms=published,
        received_ms=published + 1,
        symbols=tuple(symbols),
    )


def test_migration_creates_exactly_the_tables_of_the_schema(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    mine = [d for d in diffs if any(t in repr(d) for t in ("news", "sentiment_cache"))]
    assert mine == []


def test_pages_newest_first_cover_everything_once(rig: Rig) -> None:
    asyncio.run(rig.poller(real_feeds()).run_once())
    seen, cursor, pages = [], None, 0
    while True:
        page = rig.repo.list_news(limit=20, cursor=cursor)
        seen.extend(page.items)
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == 5
    assert len(seen) == TOTAL == len({i.id for i in seen})
    keys = [(i.published_ms, i.id) for i in seen]
    assert keys == sorted(keys, reverse=True)


def test_filters_by_symbol_source_and_time(rig: Rig) -> None:
    asyncio.run(rig.poller(real_feeds()).run_once())
    eth = rig.repo.list_news(symbol="ETH/USDT", limit=500).items
    assert eth
    assert all("ETH" in i.symbols for i in eth)
    assert {i.id for i in rig.repo.list_news(symbol="eth").items} == {i.id for i in eth}
    sec = rig.repo.list_news(source="sec", limit=500).items
    assert len(sec) == 10
    assert {i.source for i in sec} == {"sec"}
    start, end = 1_773_000_000_000, 1_773_010_000_000
    window = rig.repo.list_news(start_ms=start, end_ms=end, limit=500).items
    assert window
    assert all(start <= i.published_ms < end for i in window)
    everything = rig.repo.list_news(limit=500).items
    assert len(window) == sum(start <= i.published_ms < end for i in everything)


def test_bad_limit_and_cursor_are_refused(rig: Rig) -> None:
    with pytest.raises(ValidationError, match="limit"):
        rig.repo.list_news(limit=0)
    with pytest.raises(ValidationError, match="cursor"):
        rig.repo.list_news(cursor="desc:12")


def test_same_title_is_one_story_only_within_the_window(rig: Rig) -> None:
    repo = NewsRepository(rig.engine, title_window_ms=24 * HOUR)
    result = repo.add(
        [
            item(1, title="Fed holds rates", published=0),
            item(2, title="FED HOLDS RATES.", published=5 * HOUR),  # same story, other feed
            item(3, title="Fed holds rates", published=30 * HOUR),  # a later meeting
            item(4, title="", published=0),
            item(5, title="", published=0),  # empty titles are never compared
        ]
    )
    assert (result.inserted, result.duplicates) == (4, 1)
    assert repo.count() == 4


def test_symbols_round_trip(rig: Rig) -> None:
    rig.repo.add([item(1, symbols=("BTC", "ETH")), item(2)])
    by_id = {i.link: i.symbols for i in rig.repo.list_news().items}
    assert by_id == {"https://example.org/1": ("BTC", "ETH"), "https://example.org/2": ()}
    assert [i.link for i in rig.repo.list_news(symbol="BTC").items] == ["https://example.org/1"]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    batch=st.lists(st.tuples(st.integers(0, 30), st.integers(0, 10**9)), min_size=1, max_size=15)
)
def test_adding_any_batch_twice_is_idempotent(rig: Rig, batch: list[tuple[int, int]]) -> None:
    with rig.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM news_symbols")
        conn.exec_driver_sql("DELETE FROM news")
    items = [item(n, title=f"t{n}", published=p) for n, p in batch]
    first = rig.repo.add(items)
    snapshot = rig.repo.list_news(limit=500).items
    second = rig.repo.add(items)
    assert second.inserted == 0
    assert second.duplicates == len(items)
    assert rig.repo.list_news(limit=500).items == snapshot
    assert first.inserted == len(snapshot) == len({n for n, _ in batch})
