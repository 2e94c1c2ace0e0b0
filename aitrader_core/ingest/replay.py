"""Replay stored bars through the :class:`~aitrader_core.ingest.feed.Feed` interface."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Sequence

from aitrader_core.clock import ReplayClock
from aitrader_core.ingest.feed import BarClosed, Emitter, SeriesStatus, bars_from_frame
from aitrader_core.ingest.metrics import observe_lag
from aitrader_core.store import CandleStore, SeriesKey


class _Cursor:
    """One series read from the store page by page (keyset), so memory stays bounded."""

    def __init__(self, store: CandleStore, key: SeriesKey, start: int | None, end: int | None):
        self.key = key
        self.emitted = 0
        self.last_ms: int | None = None
        self._store, self._start, self._end = store, start, end
        self._buffer: deque[BarClosed] = deque()
        self._page: str | None = None
        self._exhausted = False

    def head(self, page_size: int) -> BarClosed | None:
        if not self._buffer and not self._exhausted:
            page = self._store.page(
                self.key, start=self._start, end=self._end, limit=page_size, cursor=self._page
            )
            self._buffer.extend(bars_from_frame(self.key, page.rows))
            self._page = page.next_cursor
            self._exhausted = page.next_cursor is None
        return self._buffer[0] if self._buffer else None

    def pop(self) -> BarClosed:
        bar = self._buffer.popleft()
        self.emitted += 1
        self.last_ms = bar.ts_ms
        return bar


class ReplayFeed(Emitter):
    """Emit stored bars in time order, merged across symbols, moving a replay clock.

    Each :meth:`step` emits the next bar time: every symbol's bar opening then,
    by symbol, after setting :attr:`clock` to their close time, so a simulator or
    coordinator sharing the clock sees the time at which the bars became final.

    Parameters
    ----------
    store
        Where the bars are read from (nothing is written).
    exchange, symbols, timeframe
        The series to replay; each must be in the store
        (:class:`~aitrader_core.errors.NotFoundError` on the first step otherwise).
    start_ms, end_ms
        Replay bars opening in ``[start_ms, end_ms)``; ``None``: from the first, to
        the last. A restarted replay passes the previous one's :attr:`resume_ms`.
    speed
        Bar times per second in :meth:`run`; ``0``: as fast as possible.
    clock
        The replay clock to move (a new one, at ``start_ms`` or 0, if ``None``).
    page_size
        Bars read from the store at a time, per series.

    Examples
    --------
    >>> from sqlalchemy.pool import StaticPool
    >>> from aitrader_core.store import CandleStore, SeriesKey, make_engine, upgrade
    >>> engine = make_engine("sqlite://", poolclass=StaticPool)  # one in-memory database
    >>> upgrade(engine)
    >>> store = CandleStore(engine)
    >>> btc = [(1672531200000, 16541.77, 16545.7, 16508.39, 16529.67, 4364.8357),
    ...        (1672534800000, 16529.59, 16556.8, 16525.78, 16551.47, 3590.06669)]
    >>> eth = [(1672534800000, 1194.09, 1196.37, 1193.84, 1196.02, 3157.2079)]
    >>> cols = ("ts", "open", "high", "low", "close", "volume")
    >>> for sym, rows in (("BTC/USDT", btc), ("ETH/USDT", eth)):
    ...     _ = store.upsert(SeriesKey.of("binance", sym, "1h"),
    ...                      [dict(zip(cols, r)) for r in rows])
    >>> feed = ReplayFeed(store, "binance", ["ETH/USDT", "BTC/USDT"], "1h")
    >>> feed.subscribe(lambda b: print(b.symbol, b.ts_ms, b.close, feed.clock.now_ms()))
    >>> _ = feed.step()
    BTC/USDT 1672531200000 16529.67 1672534800000
    >>> _ = feed.step()
    BTC/USDT 1672534800000 16551.47 1672538400000
    ETH/USDT 1672534800000 1196.02 1672538400000
    >>> feed.done, feed.step(), feed.resume_ms
    (True, [], 1672534800001)
    """

    source = "replay"

    def __init__(
        self,
        store: CandleStore,
        exchange: str,
        symbols: Sequence[str],
        timeframe: str,
        *,
        start_ms: int | None = None,
        end_ms: int | None = None,
        speed: float = 0.0,
        clock: ReplayClock | None = None,
        page_size: int = 5000,
    ) -> None:
        super().__init__()
        if speed < 0:
            raise ValueError(f"speed must be ≥ 0 (0: as fast as possible), got {speed}")
        self.store = store
        self.speed = speed
        self.start_ms = start_ms
        self.end_ms = end_ms
        self.page_size = page_size
        self.clock = clock if clock is not None else ReplayClock(start_ms or 0)
        keys = sorted({SeriesKey.of(exchange, s, timeframe) for s in symbols}, key=_symbol)
        self._cursors = [_Cursor(store, k, start_ms, end_ms) for k in keys]
        self._resume_ms = start_ms

    @property
    def done(self) -> bool:
        """True once every stored bar in range has been emitted."""
        return all(c.head(self.page_size) is None for c in self._cursors)

    @property
    def resume_ms(self) -> int | None:
        """The ``start_ms`` that continues after the last bar time emitted."""
        return self._resume_ms

    def step(self) -> list[BarClosed]:
        """Emit and return the bars of the next bar time (``[]`` when done)."""
        heads = [(c, c.head(self.page_size)) for c in self._cursors]
        live = [(c, h) for c, h in heads if h is not None]
        if not live:
            return []
        ts = min(h.ts_ms for _, h in live)
        bars = [c.pop() for c, h in live if h.ts_ms == ts]  # cursors are sorted by symbol
        self.clock.set(bars[0].close_ms)
        self._resume_ms = ts + 1
        for c in self._cursors:  # on the replay clock: 0 unless a series has a gap
            if c.last_ms is not None:
                observe_lag(c.key, c.last_ms, self.clock.now_ms())
        self._dispatch(bars)
        return bars

    async def run(self, stop: asyncio.Event) -> None:
        """Step at :attr:`speed` bar times per second until done or ``stop`` is set."""
        while not stop.is_set() and self.step():
            if self.speed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=1 / self.speed)
            else:
                await asyncio.sleep(0)  # let the loop breathe between steps

    def status(self) -> dict[str, SeriesStatus]:
        """Per symbol: last bar emitted, bars emitted and when the next one closes."""
        out = {}
        for c in self._cursors:
            head = c.head(self.page_size)
            out[c.key.symbol] = SeriesStatus(
                exchange=c.key.exchange,
                symbol=c.key.symbol,
                timeframe=c.key.timeframe,
                ready=True,
                last_closed_ms=c.last_ms,
                polls=c.emitted,
                bars=c.emitted,
                next_due_ms=head.close_ms if head is not None else None,
            )
        return out


def _symbol(key: SeriesKey) -> str:
    return key.symbol
