"""News, sentiment and market analysis use cases, behind ``App.news``.

One object per installation: it owns the news repository, the cached scorer
(each headline is scored once per model, ever) and, while the service runs,
the poller, so ``/news/status`` can report on the feeds it polls.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aitrader_core.clock import Clock
from aitrader_core.domain.market import normalize_timeframe, time_bounds, timeframe_ms
from aitrader_core.errors import NotFoundError, ValidationError
from aitrader_core.live.autoheal import RESTARTS
from aitrader_core.live.state import LiveStateRepository
from aitrader_core.news import (
    NewsConfig,
    NewsPage,
    NewsPoller,
    NewsRepository,
    PollResult,
    StoredNews,
    load_news_config,
    make_client,
)
from aitrader_core.settings import Settings
from aitrader_core.store import CandleStore, SeriesKey

log = logging.getLogger(__name__)
SNAPSHOT = "news-poller"

if TYPE_CHECKING:
    import pandas as pd

    from aitrader_core.analysis import Analysis, AnalysisConfig
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

    def __init__(self, settings: Settings, store: CandleStore, clock: Clock) -> None:
        self.settings = settings
        self.store = store
        self.engine = engine = store.engine
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
        """The poller over the configured feeds, its last snapshot restored from the store."""
        if self._poller is None:
            config = self.config()
            poller = NewsPoller(config, self.repository, make_client(config), self.clock)
            snapshots = self._snapshots()
            if snapshots is not None:
                saved = snapshots.load_snapshot(SNAPSHOT)
                if saved is not None:
                    poller.restore(saved)
                poller.on_change = lambda p: snapshots.save_snapshot(SNAPSHOT, p.snapshot())
            self._poller = poller
        return self._poller

    def _snapshots(self) -> LiveStateRepository | None:
        try:
            return LiveStateRepository(self.engine, self.clock)
        except Exception:  # an unmigrated store: the poller runs without snapshots
            log.warning("news poller state will not be kept (store not migrated)")
            return None

    async def poll_once(self) -> PollSummary:
        """Poll every enabled feed once; a failing feed never stops the others."""
        results = await self.poller().run_once()
        return PollSummary(results, self.repository.count())

    async def start(self) -> None:
        """Poll in the background at each feed's interval (the service lifespan calls this)."""
        if self._task is not None:
            return
        self._stop = asyncio.Event()
        RESTARTS.labels(executor="news").inc(0)  # visible at 0 before any crash
        self._task = asyncio.create_task(self._supervised(self._stop), name="news")

    async def _supervised(self, stop: asyncio.Event) -> None:
        """Run the poller; if it crashes, count it and restart it with capped back-off."""
        failures = 0
        while not stop.is_set():
            started = time.monotonic()
            try:
                await self.poller().run_forever(stop)
                return
            except Exception as exc:  # supervision: any fault restarts the poller
                failures = 1 if time.monotonic() - started > 60 else failures + 1
                delay = min(60.0, 2.0 ** (failures - 1))
                RESTARTS.labels(executor="news").inc()
                log.exception("news poller crashed (%s); restart in %.0f s", exc, delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=delay)

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

    # -- analysis ------------------------------------------------------------
    def analyze(
        self,
        exchange: str,
        symbol: str,
        timeframe: str,
        *,
        slow_timeframe: str = "4h",
        as_of: str | int | None = None,
        bars: int | None = None,
        config: AnalysisConfig | None = None,
    ) -> Analysis:
        """Analyse a stored series with the news received by its last bar's close.

        ``bars`` fast bars up to ``as_of`` (default: the latest) are read
        (default: enough for every component, on the slow timeframe too); the
        slow timeframe comes from the store when that series exists, else it
        is resampled from the fast bars. Headlines are scored (cached) with the
        configured scorer; :func:`~aitrader_core.analysis.analyze_market`
        drops any item received after the close.
        """
        from aitrader_core.analysis import AnalysisConfig, ScoredNews, analyze_market

        cfg = config or AnalysisConfig()
        key = SeriesKey.of(exchange, symbol, timeframe)
        step = timeframe_ms(key.timeframe)
        if step is None:
            raise ValidationError(f"unknown timeframe {timeframe!r}", field="timeframe")
        try:
            slow_timeframe = normalize_timeframe(slow_timeframe)
        except ValidationError as exc:
            raise ValidationError(exc.message, field="slow_timeframe") from exc
        as_of_ms = time_bounds(as_of, None)[0]
        if as_of_ms is None:
            last = self.store.coverage(key).last_ts
            if last is None:
                raise NotFoundError(f"no bars stored for {key.symbol} {key.timeframe}")
            as_of_ms = last + step
        end = as_of_ms - step + 1  # bars that closed by as_of
        fast = self._bars(key, end - (bars or _fast_bars(cfg, step, slow_timeframe)) * step, end)
        if fast.empty:
            raise ValidationError(f"no {key.timeframe} bar closed by then", field="as_of")
        slow = self._slow(exchange, symbol, slow_timeframe, end, cfg)
        close_ms = int(fast["ts"].iloc[-1]) + step
        since = close_ms - int(cfg.news_lookback_hours * 3_600_000)
        items = self._news(key.symbol, since, close_ms + 1)
        scores = self.score([i.title for i in items]) if items else []
        news = [
            ScoredNews.of(i.received_ms, i.published_ms, i.title, i.source, s)
            for i, s in zip(items, scores, strict=True)
        ]
        return analyze_market(
            key.symbol,
            fast,
            key.timeframe,
            slow,
            slow_timeframe,
            news,
            config=cfg,
            as_of_ms=as_of_ms,
        )

    def _bars(self, key: SeriesKey, start: int, end: int) -> pd.DataFrame:
        import pandas as pd

        frame = self.store.read(key, start, end)
        frame.index = pd.to_datetime(frame["ts"], unit="ms", utc=True)
        return frame

    def _slow(
        self, exchange: str, symbol: str, timeframe: str, end: int, cfg: AnalysisConfig
    ) -> pd.DataFrame | None:
        try:
            key = SeriesKey.of(exchange, symbol, timeframe)
            step = timeframe_ms(key.timeframe)
        except ValidationError:
            return None  # analyze_market names the bad slow timeframe
        if step is None:
            return None
        try:
            frame = self._bars(key, end - (cfg.levels_lookback + 200) * step, end)
        except NotFoundError:
            return None  # not stored: resampled from the fast bars
        return frame if len(frame) else None

    def _news(self, symbol: str, start_ms: int, end_ms: int) -> list[StoredNews]:
        items: list[StoredNews] = []
        cursor = None
        while True:
            page = self.page(
                symbol=symbol, start_ms=start_ms, end_ms=end_ms, limit=500, cursor=cursor
            )
            items.extend(page.items)
            cursor = page.next_cursor
            if cursor is None or len(items) >= 2_000:
                return items


def _fast_bars(cfg: AnalysisConfig, step: int, slow_timeframe: str) -> int:
    """Fast bars to read so every component has its history, even on resampled slow bars."""
    m = cfg.min_bars
    fast = max(m.fast_trend, m.momentum, m.volatility, cfg.vol_lookback) + 50
    slow_step = timeframe_ms(slow_timeframe) or step
    slow = max(m.slow_trend, cfg.levels_lookback) + 10
    return min(max(fast, slow * max(1, slow_step // step)), 50_000)
