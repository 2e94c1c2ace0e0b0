"""Market-data feeds: keep configured series current and announce each closed bar.

A :class:`Feed` emits a :class:`BarClosed` event to its subscribers once per
closed bar, in time order. :class:`ExchangeFeed` back-fills through ccxt, then
polls ``fetch_ohlcv``, upserts closed bars through the store and emits the new
ones; :class:`~aitrader_core.ingest.replay.ReplayFeed` plays stored bars for
demos, tests and deterministic replays. A subscriber that raises is logged and
counted; it never stops a feed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Protocol

import ccxt
import pandas as pd
from prometheus_client import Counter
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import SQLAlchemyError

from aitrader_core.clock import Clock, SystemClock
from aitrader_core.domain.market import next_open
from aitrader_core.errors import ExchangeError, NotFoundError
from aitrader_core.ingest.exchange import (
    BACKOFF_BASE_S,
    BACKOFF_MAX_S,
    _closed_frame,
    _timeframe_ms,
    backfill_ohlcv,
    backoff_delay,
)
from aitrader_core.ingest.metrics import observe_lag
from aitrader_core.observability import CANDLES_WRITTEN, REGISTRY
from aitrader_core.store import BatchRejected, CandleStore, SeriesKey

log = logging.getLogger(__name__)

POLLS = Counter(
    "aitrader_feed_polls_total",
    "Exchange feed requests (startup back-fills and polls) by exchange, symbol and outcome.",
    ["exchange", "symbol", "outcome"],
    registry=REGISTRY,
)
POLL_FAILURES = Counter(
    "aitrader_feed_poll_failures_total",
    "Failed exchange feed polls by exchange, symbol and reason (the ccxt error class, "
    "rejected, store, internal); each one backs the series off.",
    ["exchange", "symbol", "reason"],
    registry=REGISTRY,
)
BARS_EMITTED = Counter(
    "aitrader_feed_bars_total",
    "Closed bars emitted by feeds, by source (exchange, replay), exchange and symbol.",
    ["source", "exchange", "symbol"],
    registry=REGISTRY,
)
SUBSCRIBER_ERRORS = Counter(
    "aitrader_feed_subscriber_errors_total",
    "Exceptions raised by bar-closed subscribers (logged; the feed goes on).",
    ["source"],
    registry=REGISTRY,
)


@dataclass(frozen=True, slots=True)
class BarClosed:
    """A bar that has closed: final OHLCV, keyed like the store (times epoch ms UTC).

    Examples
    --------
    >>> bar = BarClosed("binance", "BTC/USDT", "1h", 1672531200000,
    ...                 16541.77, 16545.7, 16508.39, 16529.67, 4364.8357)
    >>> bar.close_ms - bar.ts_ms, bar.key
    (3600000, SeriesKey(exchange='binance', symbol='BTC/USDT', timeframe='1h'))
    """

    exchange: str
    symbol: str
    timeframe: str
    ts_ms: int
    """Bar open time."""
    open: float
    high: float
    low: float
    close: float
    volume: float

    @property
    def close_ms(self) -> int:
        """When the bar closed: the next bar's open (the bar covers ``[ts_ms, close_ms)``)."""
        return next_open(self.ts_ms, self.timeframe)

    @property
    def key(self) -> SeriesKey:
        """The store key of the bar's series."""
        return SeriesKey(self.exchange, self.symbol, self.timeframe)


def bars_from_frame(key: SeriesKey, frame: pd.DataFrame) -> list[BarClosed]:
    """Events for the rows of an OHLCV frame (``ts, open, high, low, close, volume``)."""
    cols = [frame[c].tolist() for c in ("ts", "open", "high", "low", "close", "volume")]
    return [
        BarClosed(key.exchange, key.symbol, key.timeframe, int(ts), o, h, lo, c, v)
        for ts, o, h, lo, c, v in zip(*cols, strict=True)
    ]


class SeriesStatus(BaseModel):
    """Health of one fed series, as a ``/health`` or ``/live`` route shows it (epoch ms UTC)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    exchange: str
    symbol: str
    timeframe: str
    ready: bool = False
    """Exchange feed: the startup back-fill is done. Replay: always true."""
    last_closed_ms: int | None = None
    """Open time of the newest closed bar stored (exchange) or emitted (replay)."""
    polls: int = 0
    bars: int = 0
    """Bars emitted."""
    errors: int = 0
    last_error: str | None = None
    last_error_ms: int | None = None
    consecutive_failures: int = 0
    next_due_ms: int | None = None
    """When the series is next polled (exchange) or its next bar closes (replay)."""


class Feed(Protocol):
    """A source of :class:`BarClosed` events (live exchange or replay)."""

    def subscribe(self, callback: Callable[[BarClosed], None]) -> None:
        """Call ``callback`` with every bar closed from now on."""

    async def run(self, stop: asyncio.Event) -> None:
        """Emit bars until ``stop`` is set (a replay also returns when it is done)."""

    def step(self) -> list[BarClosed]:
        """One poll or replay step, synchronously; return the bars it emitted."""

    def status(self) -> dict[str, SeriesStatus]:
        """Per symbol: last closed bar, polls, errors, failures in a row, next due."""


class Emitter:
    """Subscriber list shared by the feeds; one failing subscriber never stops the rest."""

    source = "feed"

    def __init__(self) -> None:
        self._subscribers: list[Callable[[BarClosed], None]] = []

    def subscribe(self, callback: Callable[[BarClosed], None]) -> None:
        """Call ``callback`` with every bar closed from now on."""
        self._subscribers.append(callback)

    def _dispatch(self, bars: Iterable[BarClosed]) -> None:
        for bar in bars:
            BARS_EMITTED.labels(self.source, bar.exchange, bar.symbol).inc()
            for callback in list(self._subscribers):
                try:
                    callback(bar)
                except Exception:  # a subscriber's bug must not stop the feed
                    SUBSCRIBER_ERRORS.labels(self.source).inc()
                    log.exception(
                        "%s feed: subscriber %r failed on %s %s bar %d",
                        self.source, callback, bar.symbol, bar.timeframe, bar.ts_ms,
                    )  # fmt: skip


@dataclass
class _Series:
    key: SeriesKey
    ready: bool = False
    cursor_ms: int | None = None  # open time of the next bar wanted
    last_closed_ms: int | None = None
    polls: int = 0
    bars: int = 0
    errors: int = 0
    last_error: str | None = None
    last_error_ms: int | None = None
    consecutive_failures: int = 0
    next_due_ms: int = 0


class ExchangeFeed(Emitter):
    """Poll an exchange through ccxt, store closed bars and emit them.

    Parameters
    ----------
    exchange
        A synchronous ccxt exchange, e.g. from
        :func:`~aitrader_core.ingest.exchange.make_exchange`; its rate limiter
        throttles the requests.
    store
        Where closed bars are upserted (idempotently) before they are emitted.
    symbols, timeframe
        The series to keep current, in unified form (``BTC/USDT``, ``1m``).
    clock
        "Now": which bars have closed, and when each series is due.
    poll_interval_s
        Least time between two polls of a series. A series that is up to date
        is next polled when its next bar should have closed; one catching up
        (a full page came back) is polled again at once.
    lookback_bars
        The startup back-fill starts after the store's last bar, but no more
        than this many bars ago (an empty store starts there too). Older gaps
        are left to a batch ingest.
    limit
        Bars asked for per request.
    backoff_base_s, backoff_max_s
        A failing series waits ``backoff_delay(failures - 1)`` seconds (doubling
        from the base, capped) before it is polled again.

    Examples
    --------
    A recorded Binance kline replayed into the real ccxt class; "now" is half-way
    through the bar after it:

    >>> from aitrader_core.clock import ReplayClock
    >>> from aitrader_core.ingest.exchange import make_exchange
    >>> from aitrader_core.store import CandleStore, make_engine, upgrade
    >>> from aitrader_core.testing.ccxt_replay import CcxtReplayer
    >>> from sqlalchemy.pool import StaticPool
    >>> engine = make_engine("sqlite://", poolclass=StaticPool)
    >>> upgrade(engine)
    >>> market = {"id": "BTCUSDT", "symbol": "BTC/USDT", "base": "BTC", "quote": "USDT",
    ...           "type": "spot", "spot": True}
    >>> clock = ReplayClock(1634943810000)  # 23:03:30 UTC, the 23:03 bar still open
    >>> ex = make_exchange("binance", markets={"BTC/USDT": market})
    >>> kline = [1634943780000, "60685.22", "60729.84", "60670.9", "60719.27", "21.6",
    ...          1634943839999, "1313200.0", 617, "12.2", "745719.4", "0"]
    >>> _ = CcxtReplayer().on("GET", "/api/v3/klines", [kline], repeat_last=True).install(
    ...     ex, clock=clock)
    >>> feed = ExchangeFeed(ex, CandleStore(engine), ["BTC/USDT"], "1m", clock=clock,
    ...                     lookback_bars=5)
    >>> feed.subscribe(lambda bar: print(bar.symbol, bar.ts_ms, bar.close))
    >>> feed.step()  # startup back-fill: the open bar is neither stored nor emitted
    []
    >>> clock.set(1634943845000)  # the bar has closed
    >>> bars = feed.step()
    BTC/USDT 1634943780000 60719.27
    >>> feed.step(), feed.status()["BTC/USDT"].last_closed_ms  # not due yet: no request
    ([], 1634943780000)
    """

    source = "exchange"

    def __init__(
        self,
        exchange: ccxt.Exchange,
        store: CandleStore,
        symbols: Sequence[str],
        timeframe: str,
        *,
        clock: Clock | None = None,
        poll_interval_s: float = 10.0,
        lookback_bars: int = 1000,
        limit: int = 1000,
        backoff_base_s: float = BACKOFF_BASE_S,
        backoff_max_s: float = BACKOFF_MAX_S,
    ) -> None:
        super().__init__()
        if poll_interval_s <= 0 or lookback_bars < 1 or limit < 1:
            raise ValueError("poll_interval_s must be > 0, lookback_bars and limit ≥ 1")
        self.exchange = exchange
        self.store = store
        self.clock: Clock = clock or SystemClock()
        self.timeframe = timeframe
        self.poll_interval_s = poll_interval_s
        self.lookback_bars = lookback_bars
        self.limit = limit
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self._step_ms = _timeframe_ms(exchange, timeframe)  # ExchangeError if not offered
        keys = [SeriesKey.of(exchange.id, s, timeframe) for s in symbols]
        self._series = {k.symbol: _Series(k) for k in dict.fromkeys(keys)}

    # -- the Feed interface ----------------------------------------------------------
    def step(self) -> list[BarClosed]:
        """Back-fill or poll every due series once; emit and return the new closed bars."""
        bars = self._collect()
        self._dispatch(bars)
        return bars

    async def run(self, stop: asyncio.Event) -> None:
        """Back-fill, then poll each series when due, until ``stop`` is set.

        Requests and upserts run in a worker thread; subscribers are called on
        the event loop's thread.
        """
        while not stop.is_set():
            bars = await asyncio.to_thread(self._collect, stop.is_set)
            self._dispatch(bars)
            due = min((s.next_due_ms for s in self._series.values()), default=None)
            wait_s = self.poll_interval_s
            if due is not None:  # wake when the first series is due, at least every interval
                wait_s = min(wait_s, max(0.0, (due - self.clock.now_ms()) / 1000))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait_s)

    def status(self) -> dict[str, SeriesStatus]:
        """Per symbol: readiness, last closed bar, polls, errors and when it is next due."""
        return {
            sym: SeriesStatus(
                **{k: v for k, v in asdict(s).items() if k not in ("key", "cursor_ms")},
                **asdict(s.key),
            )
            for sym, s in self._series.items()
        }

    # -- polling ---------------------------------------------------------------------
    def _collect(self, should_stop: Callable[[], bool] = lambda: False) -> list[BarClosed]:
        """Request every due series (sequentially); return new bars by (ts, symbol)."""
        out: list[BarClosed] = []
        for s in self._series.values():
            if should_stop():
                break
            if s.next_due_ms > self.clock.now_ms():
                continue
            try:
                if s.ready:
                    bars, behind = self._poll(s)
                else:
                    bars, behind = self._backfill(s, should_stop), False
            except Exception as exc:  # one series' failure never stops the others
                self._record_failure(s, exc)
                continue
            s.bars += len(bars)
            self._record_success(s, behind)
            out.extend(bars)
        out.sort(key=lambda b: (b.ts_ms, b.symbol))
        return out

    def _backfill(self, s: _Series, should_stop: Callable[[], bool]) -> list[BarClosed]:
        """Store the closed bars since the store's last one (within the lookback); emit none."""
        key = s.key
        floor = self.clock.now_ms() - self.lookback_bars * self._step_ms
        if s.cursor_ms is None:
            try:
                stored = self.store.page(key, order="desc", limit=1).rows
            except NotFoundError:
                stored = None
            if stored is not None and len(stored):
                s.last_closed_ms = int(stored["ts"].iloc[0])
                s.cursor_ms = next_open(s.last_closed_ms, key.timeframe)
            if s.cursor_ms is not None and s.cursor_ms < floor:
                log.warning(
                    "%s %s %s: store ends at %s, back-filling only the last %d bars",
                    key.exchange, key.symbol, key.timeframe, s.last_closed_ms, self.lookback_bars,
                )  # fmt: skip
            s.cursor_ms = floor if s.cursor_ms is None else max(s.cursor_ms, floor)
        pages = backfill_ohlcv(
            self.exchange, key.symbol, key.timeframe, s.cursor_ms, limit=self.limit, max_retries=0
        )  # no retries inside: a failure backs off this series like a failed poll
        for frame in pages:
            self._store(s, frame)
            if should_stop():
                return []
        s.ready = True
        return []

    def _poll(self, s: _Series) -> tuple[list[BarClosed], bool]:
        """Fetch bars from the cursor on; store and return the closed ones."""
        assert s.cursor_ms is not None  # noqa: S101 - set by the back-fill
        # "now" before the request: a bar closed by then is final in the answer;
        # one closing while the request is in flight may still be partial in it.
        now = self.clock.now_ms()
        tf = s.key.timeframe
        rows = self.exchange.fetch_ohlcv(s.key.symbol, tf, since=s.cursor_ms, limit=self.limit)
        if not rows:
            return [], False
        frame, _ = _closed_frame(rows, s.cursor_ms, None, now, tf, self._step_ms)
        self._store(s, frame)
        return bars_from_frame(s.key, frame), len(rows) >= self.limit and len(frame) > 0

    def _store(self, s: _Series, frame: pd.DataFrame) -> None:
        if not len(frame):
            return
        result = self.store.upsert(s.key, frame)
        for outcome in ("inserted", "updated", "unchanged"):
            CANDLES_WRITTEN.labels(outcome=outcome).inc(getattr(result, outcome))
        s.last_closed_ms = int(frame["ts"].iloc[-1])
        s.cursor_ms = next_open(s.last_closed_ms, s.key.timeframe)

    # -- bookkeeping -----------------------------------------------------------------
    def _record_success(self, s: _Series, behind: bool) -> None:
        now = self.clock.now_ms()
        s.polls += 1
        s.consecutive_failures = 0
        if s.last_closed_ms is not None:
            observe_lag(s.key, s.last_closed_ms, now)
        POLLS.labels(s.key.exchange, s.key.symbol, "ok").inc()
        if behind:
            s.next_due_ms = now
            return
        assert s.cursor_ms is not None  # noqa: S101 - set by the back-fill
        next_close = next_open(s.cursor_ms, s.key.timeframe)
        s.next_due_ms = max(now + int(self.poll_interval_s * 1000), next_close)

    def _record_failure(self, s: _Series, exc: Exception) -> None:
        now = self.clock.now_ms()
        reason = _reason(exc)
        s.polls += 1
        s.errors += 1
        if s.last_closed_ms is not None:  # the lag grows while the venue fails
            observe_lag(s.key, s.last_closed_ms, now)
        s.consecutive_failures += 1
        s.last_error = f"{reason}: {exc}"
        s.last_error_ms = now
        delay = backoff_delay(s.consecutive_failures - 1, self.backoff_base_s, self.backoff_max_s)
        s.next_due_ms = now + int(delay * 1000)
        POLLS.labels(s.key.exchange, s.key.symbol, "error").inc()
        POLL_FAILURES.labels(s.key.exchange, s.key.symbol, reason).inc()
        what = f"{s.key.exchange} {s.key.symbol} {s.key.timeframe}"
        if reason == "internal":
            log.exception("%s feed failed; retry in %.1f s", what, delay)
        else:
            log.warning("%s feed: %s; retry in %.1f s", what, s.last_error, delay)


def _reason(exc: Exception) -> str:
    """Metric label of a failure: the ccxt error class, rejected, store or internal."""
    if isinstance(exc, ExchangeError) and isinstance(exc.__cause__, ccxt.BaseError):
        exc = exc.__cause__  # back-fill wraps ccxt's error
    if isinstance(exc, ccxt.BaseError | ExchangeError):
        return type(exc).__name__
    if isinstance(exc, BatchRejected):
        return "rejected"
    if isinstance(exc, SQLAlchemyError):
        return "store"
    return "internal"
