"""News, sentiment and market analysis use cases, behind ``App.news``.

One object per installation: it owns the news repository, the cached scorer
(each headline is scored once per model, ever) and, while the service runs,
the poller, so ``/news/status`` can report on the feeds it polls.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from aitrader_core.clock import Clock
from aitrader_core.news import (
    NewsConfig,
    NewsPage,
    NewsPoller,
    NewsRepository,
    PollResult,
    load_news_config,
    make_client,
)
from aitrader_core.settings import Settings

if TYPE_CHECKING:
    from aitrader_core.sentiment import CachedScorer, Score


@dataclass(frozen=True)
class PollSummary:
    """One poll of every enabled feed: per-feed results and the store's size after it."""

    results: list[PollResult]
    stored: int

    @property
    def failed(self) -> list[PollResult]:
        """The feeds whose poll failed (the others landed regardless)."""
        return [r for r in self.results if r.outcome == "error"]


class NewsDesk:
    """News in, scored headlines and market analyses out."""

    def __init__(self, settings: Settings, engine: Engine, clock: Clock) -> None:
        self.settings = settings
        self.engine = engine
        self.clock = clock
        self.repository = NewsRepository(engine)
        self._scorers: dict[str, CachedScorer] = {}
        self._poller: NewsPoller | None = None
        self._task: asyncio.Task[None] | None = None
        self._stop: asyncio.Event | None = None

    # -- configuration -------------------------------------------------------
    def config(self) -> NewsConfig:
        """The feeds: ``AITRADER_NEWS_CONFIG`` (YAML) or the default public feeds."""
        path = self.settings.news_config
        return load_news_config(path) if path else NewsConfig.default()

    # -- polling -------------------------------------------------------------
    def poller(self) -> NewsPoller:
        """The poller over the configured feeds (one per desk; its status lives in it)."""
        if self._poller is None:
            config = self.config()
            self._poller = NewsPoller(config, self.repository, make_client(config), self.clock)
        return self._poller

    async def poll_once(self) -> PollSummary:
        """Poll every enabled feed once; a failing feed never stops the others."""
        results = await self.poller().run_once()
        return PollSummary(results, self.repository.count())

    async def start(self) -> None:
        """Poll in the background at each feed's interval (the service lifespan calls this)."""
        if self._task is not None:
            return
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(self.poller().run_forever(self._stop), name="news")

    async def stop(self) -> None:
        """Stop polling and close the HTTP client; waits for a poll in progress."""
        if self._task is not None and self._stop is not None:
            self._stop.set()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None
        if self._poller is not None:
            await self._poller.client.aclose()
            self._poller = None

    @property
    def running(self) -> bool:
        """True while the background poller runs."""
        return self._task is not None and not self._task.done()

    def status(self) -> dict[str, Any]:
        """Poller state per feed (when it runs or ran in this process) and stored items."""
        feeds = [s.model_dump() for s in self._poller.status().values()] if self._poller else []
        return {
            "enabled": self.settings.news_enabled,
            "running": self.running,
            "stored": self.repository.count(),
            "feeds": feeds,
        }

    # -- reading -------------------------------------------------------------
    def page(
        self,
        *,
        symbol: str | None = None,
        start_ms: int | None = None,
        end_ms: int | None = None,
        source: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> NewsPage:
        """Stored items, newest first, one page (see ``NewsRepository.list_news``)."""
        return self.repository.list_news(
            symbol=symbol,
            start_ms=start_ms,
            end_ms=end_ms,
            source=source,
            limit=limit,
            cursor=cursor,
        )

    # -- sentiment -----------------------------------------------------------
    def scorer(self, spec: str | None = None) -> CachedScorer:
        """The configured scorer behind the persistent cache (built once per model spec)."""
        from aitrader_core.sentiment import CachedScorer, SentimentCacheRepository, load_scorer

        s = self.settings
        key = spec or s.sentiment_model or "lexicon"
        if key not in self._scorers:
            inner = load_scorer(
                key,
                device=s.sentiment_device,
                batch_size=s.sentiment_batch_size,
                threads=s.sentiment_threads,
            )
            self._scorers[key] = CachedScorer(inner, SentimentCacheRepository(self.engine))
        return self._scorers[key]

    def score(self, texts: Sequence[str], *, model: str | None = None) -> list[Score]:
        """Sentiment of each text (cached by model and text)."""
        return self.scorer(model).score(list(texts))
