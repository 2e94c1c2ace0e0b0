"""Async RSS/Atom poller: conditional GET, retries, parse, normalise, dedupe, store.

One failing or malformed feed never stops the others: each feed's failure is
counted, recorded in :meth:`NewsPoller.status`, and the rest carry on.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

import feedparser
import httpx
from pydantic import BaseModel, ConfigDict

from aitrader_core.clock import Clock
from aitrader_core.news import metrics
from aitrader_core.news.feeds import FeedConfig, NewsConfig
from aitrader_core.news.normalize import NewsItem, SymbolTagger, normalize_entry
from aitrader_core.news.repository import NewsRepository

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5"
)
# CoinDesk sends an empty <dc:description/> after the real <description>;
# feedparser maps both to ``summary`` and the empty one would win.
_EMPTY_DC_DESCRIPTION = re.compile(rb"<dc:description\s*/>|<dc:description>\s*</dc:description>")


class FeedStatus(BaseModel):
    """Health of one feed, as ``/news/status`` reports it. Times are epoch ms UTC."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    url: str
    enabled: bool
    polls: int = 0
    last_outcome: str | None = None  # ok, not_modified, error
    last_success_ms: int | None = None
    last_error: str | None = None
    last_error_reason: str | None = None
    last_error_ms: int | None = None
    consecutive_failures: int = 0
    last_warning: str | None = None  # e.g. a feed recovered from malformed XML
    items_seen: int = 0
    items_new: int = 0
    next_due_ms: int = 0


class FeedError(Exception):
    """A poll failed; ``reason`` is the metric label, the message the detail."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class PollResult:
    """Outcome of one poll of one feed."""

    feed: str
    outcome: str  # ok, not_modified, error
    seen: int = 0
    new: int = 0
    reason: str | None = None
    warning: str | None = None


_RETRYABLE = frozenset({408, 425, 429, 500, 502, 503, 504})


class NewsPoller:
    """Poll the configured feeds into a :class:`NewsRepository`.

    Parameters
    ----------
    config
        Feeds, aliases and the retry policy.
    repository
        Where items are stored (idempotently).
    client
        The HTTP client; tests pass one over ``httpx.MockTransport``.
    clock
        Received times and scheduling come from it.
    sleep
        Waits between retries (``asyncio.sleep`` unless a test injects one).
    """

    def __init__(
        self,
        config: NewsConfig,
        repository: NewsRepository,
        client: httpx.AsyncClient,
        clock: Clock,
        *,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.config = config
        self.repository = repository
        self.client = client
        self.clock = clock
        self._sleep = sleep
        self._tagger = SymbolTagger(config.aliases)
        self._status = {
            f.name: FeedStatus(name=f.name, url=f.url, enabled=f.enabled) for f in config.feeds
        }
        self._validators: dict[str, dict[str, str]] = {f.name: {} for f in config.feeds}
        self._store_lock = asyncio.Lock()  # one writer: the title dedupe reads then writes
        self.on_change: Callable[[NewsPoller], None] | None = None
        """Called after every poll (the app snapshots the poller's state to the store)."""

    # -- public ---------------------------------------------------------------------
    def snapshot(self) -> dict[str, object]:
        """What a restarted poller needs: each feed's status and its ETag/Last-Modified."""
        return {
            "validators": {k: dict(v) for k, v in self._validators.items()},
            "status": {k: v.model_dump() for k, v in self._status.items()},
        }

    def restore(self, state: dict[str, object]) -> None:
        """Take back a :meth:`snapshot` (feeds no longer configured are ignored)."""
        validators = state.get("validators")
        if isinstance(validators, dict):
            for name, values in validators.items():
                if name in self._validators and isinstance(values, dict):
                    self._validators[name] = {str(k): str(v) for k, v in values.items()}
        status = state.get("status")
        if isinstance(status, dict):
            for name, values in status.items():
                if name in self._status and isinstance(values, dict):
                    current = self._status[name]
                    self._status[name] = FeedStatus.model_validate(
                        {**values, "name": current.name, "url": current.url,
                         "enabled": current.enabled}
                    )  # fmt: skip

    def status(self) -> dict[str, FeedStatus]:
        """Per feed: last success, last error and its time, items seen, failures in a row."""
        return dict(self._status)

    async def run_once(self, feeds: Iterable[str] | None = None) -> list[PollResult]:
        """Poll every enabled feed (or those named) once, concurrently."""
        wanted = set(feeds) if feeds is not None else None
        chosen = [
            f for f in self.config.feeds if f.enabled and (wanted is None or f.name in wanted)
        ]
        return list(await asyncio.gather(*(self.poll(f) for f in chosen)))

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Poll each enabled feed at its own interval until ``stop`` is set."""
        while not stop.is_set():
            now = self.clock.now_ms()
            due = [
                f.name
                for f in self.config.feeds
                if f.enabled and self._status[f.name].next_due_ms <= now
            ]
            if due:
                await self.run_once(due)
            pending = [s.next_due_ms for s in self._status.values() if s.enabled]
            wait_s = max(0.01, (min(pending) - self.clock.now_ms()) / 1000) if pending else None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait_s)

    async def poll(self, feed: FeedConfig) -> PollResult:
        """Fetch, parse and store one feed; never raises for a feed's own failure."""
        started = time.perf_counter()  # duration metric only, not logic time
        try:
            body, headers = await self._fetch(feed)
            if body is None:
                result = PollResult(feed.name, "not_modified")
            else:
                items, warning = await asyncio.to_thread(self._parse, feed, body, headers)
                async with self._store_lock:
                    try:
                        added = await asyncio.to_thread(self.repository.add, items)
                    except Exception as exc:  # a database error is this feed's failure
                        raise FeedError("store", f"storing items failed: {exc}") from exc
                # remembered only now: had parsing or storing failed, a 304 next
                # time would have lost these items for good
                self._validators[feed.name] = {
                    k: headers[k] for k in ("etag", "last-modified") if k in headers
                }
                result = PollResult(feed.name, "ok", len(items), added.inserted, warning=warning)
        except FeedError as exc:
            result = PollResult(feed.name, "error", reason=exc.reason)
            self._record_failure(feed, exc)
        except Exception as exc:  # a bug on one feed's data must not stop the others
            result = PollResult(feed.name, "error", reason="internal")
            self._record_failure(feed, FeedError("internal", f"{type(exc).__name__}: {exc}"))
        else:
            self._record_success(feed, result)
        finally:
            metrics.POLL_DURATION.labels(feed=feed.name).observe(time.perf_counter() - started)
        metrics.POLLS.labels(feed=feed.name, outcome=result.outcome).inc()
        if self.on_change is not None:
            try:
                self.on_change(self)
            except Exception:  # a snapshot failure must not fail the poll
                log.exception("news poller snapshot failed")
        return result

    # -- fetching -------------------------------------------------------------------
    async def _fetch(self, feed: FeedConfig) -> tuple[bytes | None, httpx.Headers]:
        """The body (``None`` on 304) and headers, after bounded retries with back-off."""
        cfg = self.config
        headers = {"User-Agent": cfg.user_agent, "Accept": _ACCEPT}
        validators = self._validators[feed.name]
        if "etag" in validators:
            headers["If-None-Match"] = validators["etag"]
        if "last-modified" in validators:
            headers["If-Modified-Since"] = validators["last-modified"]
        for attempt in range(cfg.max_retries + 1):
            retry_after: float | None = None
            try:
                async with asyncio.timeout(feed.timeout_s):
                    status, body, resp_headers = await self._get(feed, headers)
            except TimeoutError:
                error = FeedError("timeout", f"no complete response within {feed.timeout_s:g} s")
            except httpx.HTTPError as exc:
                error = FeedError("network", f"{type(exc).__name__}: {exc}")
            else:
                if status == 304:
                    return None, resp_headers
                if 200 <= status < 300:
                    return body, resp_headers
                error = FeedError(f"http_{status}", f"HTTP {status} from {feed.url}")
                if status not in _RETRYABLE:
                    raise error
                retry_after = _retry_after(resp_headers.get("retry-after"))
            if attempt == cfg.max_retries:
                raise error
            delay = min(cfg.backoff_s * 2**attempt, cfg.backoff_max_s)
            await self._sleep(min(retry_after, cfg.backoff_max_s) if retry_after else delay)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _get(
        self, feed: FeedConfig, headers: dict[str, str]
    ) -> tuple[int, bytes, httpx.Headers]:
        limit = self.config.max_bytes
        async with self.client.stream(
            "GET", feed.url, headers=headers, timeout=feed.timeout_s, follow_redirects=True
        ) as resp:
            if not 200 <= resp.status_code < 300:
                return resp.status_code, b"", resp.headers
            chunks, size = [], 0
            async for chunk in resp.aiter_bytes():
                size += len(chunk)
                if size > limit:
                    raise FeedError("too_large", f"body exceeds {limit} bytes")
                chunks.append(chunk)
            return resp.status_code, b"".join(chunks), resp.headers

    # -- parsing --------------------------------------------------------------------
    def _parse(
        self, feed: FeedConfig, body: bytes, headers: httpx.Headers
    ) -> tuple[list[NewsItem], str | None]:
        """Items of the feed, and a warning when feedparser had to recover from bad XML."""
        body = _EMPTY_DC_DESCRIPTION.sub(b"", body)
        response_headers = {"content-location": feed.url}
        if "content-type" in headers:
            response_headers["content-type"] = headers["content-type"]
        parsed = feedparser.parse(io.BytesIO(body), response_headers=response_headers)
        problem = parsed.get("bozo_exception")
        if not parsed.entries and (problem or not parsed.get("version")):
            raise FeedError("malformed", f"cannot parse feed: {problem or 'not RSS or Atom'}")
        warning = f"recovered from: {problem}" if problem and parsed.entries else None
        received = self.clock.now_ms()
        items = []
        for entry in parsed.entries:
            item = normalize_entry(
                entry, source=feed.name, received_ms=received, tagger=self._tagger
            )
            if item is not None:
                items.append(item)
        return items, warning

    # -- bookkeeping ----------------------------------------------------------------
    def _record_success(self, feed: FeedConfig, result: PollResult) -> None:
        now = self.clock.now_ms()
        old = self._status[feed.name]
        self._status[feed.name] = old.model_copy(
            update={
                "polls": old.polls + 1,
                "last_outcome": result.outcome,
                "last_success_ms": now,
                "consecutive_failures": 0,
                "last_warning": result.warning,
                "items_seen": old.items_seen + result.seen,
                "items_new": old.items_new + result.new,
                "next_due_ms": now + int(feed.interval_s * 1000),
            }
        )
        if result.seen:
            metrics.ITEMS.labels(feed=feed.name, outcome="new").inc(result.new)
            metrics.ITEMS.labels(feed=feed.name, outcome="duplicate").inc(result.seen - result.new)

    def _record_failure(self, feed: FeedConfig, exc: FeedError) -> None:
        now = self.clock.now_ms()
        old = self._status[feed.name]
        self._status[feed.name] = old.model_copy(
            update={
                "polls": old.polls + 1,
                "last_outcome": "error",
                "last_error": str(exc),
                "last_error_reason": exc.reason,
                "last_error_ms": now,
                "consecutive_failures": old.consecutive_failures + 1,
                "next_due_ms": now + int(feed.interval_s * 1000),
            }
        )
        metrics.POLL_FAILURES.labels(feed=feed.name, reason=exc.reason).inc()


def _retry_after(value: str | None) -> float | None:
    """Seconds of a numeric ``Retry-After`` header (dates are ignored)."""
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None
