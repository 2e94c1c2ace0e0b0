"""The news table: idempotent writes with dedupe, keyset-paginated reads newest first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine, and_, exists, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from aitrader_core.errors import ValidationError
from aitrader_core.news.normalize import NewsItem
from aitrader_core.store.schema import news, news_symbols

MAX_LIMIT = 500


class StoredNews(BaseModel):
    """A news item as stored, with its id and tagged symbols."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: int
    link: str
    title: str
    summary: str
    source: str
    published_ms: int
    received_ms: int
    symbols: tuple[str, ...]


class NewsPage(BaseModel):
    """One page of news, newest first, and the cursor of the next (``None`` at the end)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    items: list[StoredNews]
    next_cursor: str | None


@dataclass(frozen=True)
class AddResult:
    """What :meth:`NewsRepository.add` did with a batch."""

    inserted: int
    duplicates: int


class NewsRepository:
    """News items in the store (SQLite or PostgreSQL).

    An item is stored once: a second delivery of the same canonical link, or
    of the same normalised title published within ``title_window_ms``, is a
    duplicate and changes nothing, so the first received time is kept.
    """

    def __init__(self, engine: Engine, *, title_window_ms: int = 3 * 86_400_000) -> None:
        self.engine = engine
        self.title_window_ms = title_window_ms
        self._insert = sqlite.insert if engine.dialect.name == "sqlite" else postgresql.insert

    def add(self, items: Sequence[NewsItem]) -> AddResult:
        """Store the new items of ``items`` in one transaction; skip duplicates."""
        if not items:
            return AddResult(0, 0)
        link_hashes = sorted({i.link_hash for i in items})
        title_hashes = sorted({i.title_hash for i in items if i.title_hash})
        with self.engine.begin() as conn:
            seen_links = set(
                conn.execute(
                    select(news.c.link_hash).where(news.c.link_hash.in_(link_hashes))
                ).scalars()
            )
            titles: dict[str, list[int]] = {}
            if title_hashes:
                rows = conn.execute(
                    select(news.c.title_hash, news.c.published_ms).where(
                        news.c.title_hash.in_(title_hashes)
                    )
                )
                for th, pub in rows:
                    titles.setdefault(th, []).append(int(pub))
            inserted = 0
            for item in items:
                th = item.title_hash
                if item.link_hash in seen_links or (
                    th
                    and any(
                        abs(p - item.published_ms) <= self.title_window_ms
                        for p in titles.get(th, ())
                    )
                ):
                    continue
                new_id = conn.execute(
                    self._insert(news)
                    .values(
                        link_hash=item.link_hash,
                        link=item.link,
                        guid=item.guid,
                        title=item.title,
                        title_hash=th,
                        summary=item.summary,
                        source=item.source,
                        published_ms=item.published_ms,
                        received_ms=item.received_ms,
                    )
                    .on_conflict_do_nothing(index_elements=[news.c.link_hash])
                    .returning(news.c.id)
                ).scalar()
                seen_links.add(item.link_hash)
                if th:
                    titles.setdefault(th, []).append(item.published_ms)
                if new_id is None:  # written meanwhile by another process
                    continue
                inserted += 1
                if item.symbols:
                    conn.execute(
                        news_symbols.insert(),
                        [{"news_id": new_id, "symbol": s} for s in item.symbols],
                    )
        return AddResult(inserted, len(items) - inserted)

    def count(self) -> int:
        """Number of stored items."""
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(news)).scalar_one())

    def list_news(
        self,
        *,
        symbol: str | None = None,
        start_ms: int | None = None,
        end_ms: int | None = None,
        source: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> NewsPage:
        """Items with ``start_ms ≤ published_ms < end_ms``, newest first, ``limit`` a page.

        ``symbol`` is a base asset (``BTC``) or a pair (``BTC/USDT``: its base
        is used). ``cursor`` is the previous page's ``next_cursor``; pages are
        keyed by (published time, id), so they neither overlap nor skip when
        items arrive meanwhile.
        """
        if not 1 <= limit <= MAX_LIMIT:
            raise ValidationError(f"must be between 1 and {MAX_LIMIT}", field="limit")
        stmt = select(
            news.c.id,
            news.c.link,
            news.c.title,
            news.c.summary,
            news.c.source,
            news.c.published_ms,
            news.c.received_ms,
        )
        if symbol:
            base = symbol.split("/")[0].strip().upper()
            stmt = stmt.where(
                exists().where(
                    and_(news_symbols.c.news_id == news.c.id, news_symbols.c.symbol == base)
                )
            )
        if start_ms is not None:
            stmt = stmt.where(news.c.published_ms >= start_ms)
        if end_ms is not None:
            stmt = stmt.where(news.c.published_ms < end_ms)
        if source:
            stmt = stmt.where(news.c.source == source)
        if cursor:
            pub, nid = _parse_cursor(cursor)
            stmt = stmt.where(
                or_(news.c.published_ms < pub, and_(news.c.published_ms == pub, news.c.id < nid))
            )
        stmt = stmt.order_by(news.c.published_ms.desc(), news.c.id.desc()).limit(limit + 1)
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).all()
            more = len(rows) > limit
            rows = rows[:limit]
            tags: dict[int, list[str]] = {}
            if rows:
                sym_rows = conn.execute(
                    select(news_symbols.c.news_id, news_symbols.c.symbol)
                    .where(news_symbols.c.news_id.in_([r.id for r in rows]))
                    .order_by(news_symbols.c.news_id, news_symbols.c.symbol)
                )
                for nid, sym in sym_rows:
                    tags.setdefault(int(nid), []).append(sym)
        items = [
            StoredNews(
                id=int(r.id),
                link=r.link,
                title=r.title,
                summary=r.summary,
                source=r.source,
                published_ms=int(r.published_ms),
                received_ms=int(r.received_ms),
                symbols=tuple(tags.get(int(r.id), ())),
            )
            for r in rows
        ]
        next_cursor = f"{items[-1].published_ms}:{items[-1].id}" if more and items else None
        return NewsPage(items=items, next_cursor=next_cursor)


def _parse_cursor(cursor: str) -> tuple[int, int]:
    pub, _, nid = cursor.partition(":")
    if not (pub.lstrip("-").isdigit() and nid.isdigit()):
        raise ValidationError(
            f"{cursor!r} is not a news cursor; pass next_cursor as given", field="cursor"
        )
    return int(pub), int(nid)
