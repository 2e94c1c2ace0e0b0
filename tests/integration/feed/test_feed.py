"""Market-data feeds: a replay of the bundled sample, and ccxt.binance on recorded klines.

Where the recorded klines come from, and why ETH/USDT is answered with the
BTCUSDT payload, is in this folder's conftest.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

import ccxt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.pool import StaticPool

from aitrader_core.clock import ReplayClock
from aitrader_core.errors import NotFoundError
from aitrader_core.ingest.feed import BarClosed, Feed
from aitrader_core.ingest.replay import ReplayFeed
from aitrader_core.observability import sample as metric
from aitrader_core.store import CandleStore, SeriesKey, make_engine, upgrade
from aitrader_core.testing.ccxt_replay import Raise, Reply
from tests.integration.feed.conftest import (
    KLINES,
    MINUTE,
    SYMBOLS,
    Rig,
    T,
    bar_values,
    kline_values,
    klines_frame,
    make_rig,
    sample,
)

HOUR = 3_600_000
SAMPLE_BARS = 8_996
RATE_LIMITED = Reply({"code": -1003, "msg": "Too many requests; use the websocket."}, status=429)


def failures(symbol: str, reason: str) -> float:
    labels = {"exchange": "binance", "symbol": symbol, "reason": reason}
    return metric("aitrader_feed_poll_failures_total", labels)


def drain(feed: ReplayFeed) -> list[BarClosed]:
    out: list[BarClosed] = []
    while bars := feed.step():
        out.extend(bars)
    return out


def test_both_feeds_report_status_per_symbol(sample_store: CandleStore, rig: Rig) -> None:
    feeds: list[Feed] = [ReplayFeed(sample_store, "binance", SYMBOLS, "1h"), rig.feed()]
    for feed in feeds:
        status = feed.status()
        assert list(status) == list(SYMBOLS)
        dumped = status["ETH/USDT"].model_dump(mode="json")
        assert dumped["symbol"] == "ETH/USDT"
        assert dumped["bars"] == dumped["errors"] == 0
    assert feeds[0].status()["BTC/USDT"].next_due_ms == sample("BTC/USDT").ts[0] + HOUR
    assert feeds[1].status()["BTC/USDT"].ready is False


# --- replay ------------------------------------------------------------------------------------


def test_replay_emits_every_stored_bar_once_in_time_order(sample_store: CandleStore) -> None:
    clock = ReplayClock()
    feed = ReplayFeed(sample_store, "binance", ["ETH/USDT", "BTC/USDT"], "1h", clock=clock)
    seen: list[tuple[BarClosed, int]] = []
    feed.subscribe(lambda bar: seen.append((bar, clock.now_ms())))

    returned = drain(feed)

    emitted = [bar for bar, _ in seen]
    assert emitted == returned
    assert len(emitted) == 2 * SAMPLE_BARS
    keys = [(b.ts_ms, b.symbol) for b in emitted]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)  # nothing twice
    assert all(now == bar.close_ms == bar.ts_ms + HOUR for bar, now in seen)
    for symbol in SYMBOLS:
        stored = sample_store.read(SeriesKey.of("binance", symbol, "1h"))
        mine = [b for b in emitted if b.symbol == symbol]
        assert [b.ts_ms for b in mine] == stored.ts.tolist()
        assert [bar_values(b) for b in mine] == stored.iloc[:, 1:].values.tolist()
    assert feed.done
    assert clock.now_ms() == emitted[-1].close_ms
    status = feed.status()
    assert status["BTC/USDT"].bars == SAMPLE_BARS
    assert status["ETH/USDT"].last_closed_ms == emitted[-1].ts_ms
    assert status["ETH/USDT"].next_due_ms is None


def test_replay_merges_series_of_different_spans(store: CandleStore) -> None:
    btc, eth = sample("BTC/USDT").iloc[:300], sample("ETH/USDT").iloc[100:200]
    store.upsert(SeriesKey.of("binance", "BTC/USDT", "1h"), btc)
    store.upsert(SeriesKey.of("binance", "ETH/USDT", "1h"), eth)
    feed = ReplayFeed(store, "binance", SYMBOLS, "1h", page_size=64)

    steps = []
    while bars := feed.step():
        steps.append(bars)

    assert len(steps) == 300  # one step per bar time
    assert [len(s) for s in steps] == [1] * 100 + [2] * 100 + [1] * 100
    assert all(len({b.ts_ms for b in s}) == 1 for s in steps)
    assert [b.ts_ms for s in steps for b in s if b.symbol == "ETH/USDT"] == eth.ts.tolist()
    assert [b.symbol for b in steps[150]] == ["BTC/USDT", "ETH/USDT"]


@pytest.mark.parametrize(("page_size", "bars", "stop_after"), [(1000, None, 1234), (7, 400, 123)])
def test_a_resumed_replay_continues_without_gaps_or_repeats(
    sample_store: CandleStore, page_size: int, bars: int | None, stop_after: int
) -> None:
    end = None if bars is None else int(sample("BTC/USDT").ts[bars])
    whole = drain(ReplayFeed(sample_store, "binance", SYMBOLS, "1h", end_ms=end))
    first = ReplayFeed(sample_store, "binance", SYMBOLS, "1h", end_ms=end, page_size=page_size)
    part: list[BarClosed] = []
    for _ in range(stop_after):
        part.extend(first.step())
    # a restart: a new feed (and clock) from where the first one stopped
    second = ReplayFeed(
        sample_store,
        "binance",
        SYMBOLS,
        "1h",
        start_ms=first.resume_ms,
        end_ms=end,
        page_size=page_size,
    )
    assert second.clock.now_ms() == first.resume_ms
    rest = drain(second)

    assert part + rest == whole
    assert len(part) == 2 * stop_after
    assert len(whole) == 2 * (bars or SAMPLE_BARS)


def test_replay_of_a_window_is_half_open(sample_store: CandleStore) -> None:
    btc = sample("BTC/USDT")
    start, end = int(btc.ts.iloc[10]), int(btc.ts.iloc[20])
    feed = ReplayFeed(sample_store, "binance", ["BTC/USDT"], "1h", start_ms=start, end_ms=end)
    assert [b.ts_ms for b in drain(feed)] == btc.ts.iloc[10:20].tolist()


def test_replay_of_an_unknown_series_fails_clearly(store: CandleStore) -> None:
    feed = ReplayFeed(store, "binance", ["SOL/USDT"], "1h")
    with pytest.raises(NotFoundError, match="SOL/USDT 1h"):
        feed.step()
    with pytest.raises(ValueError, match="speed"):
        ReplayFeed(store, "binance", ["SOL/USDT"], "1h", speed=-1)


def test_replay_subscriber_errors_are_counted_and_emission_goes_on(
    sample_store: CandleStore,
) -> None:
    feed = ReplayFeed(sample_store, "binance", SYMBOLS, "1h", end_ms=int(sample("BTC/USDT").ts[5]))
    got: list[BarClosed] = []

    def boom(bar: BarClosed) -> None:
        raise RuntimeError(f"subscriber bug on {bar.ts_ms}")

    feed.subscribe(boom)
    feed.subscribe(got.append)
    before = metric("aitrader_feed_subscriber_errors_total", {"source": "replay"})

    assert len(drain(feed)) == 10
    assert len(got) == 10
    assert metric("aitrader_feed_subscriber_errors_total", {"source": "replay"}) - before == 10


def test_replay_run_stops_promptly_when_asked(sample_store: CandleStore) -> None:
    feed = ReplayFeed(sample_store, "binance", SYMBOLS, "1h", speed=1000)
    got: list[BarClosed] = []
    stop = asyncio.Event()

    def on_bar(bar: BarClosed) -> None:
        got.append(bar)
        if len(got) == 40:
            stop.set()

    feed.subscribe(on_bar)
    asyncio.run(asyncio.wait_for(feed.run(stop), timeout=10))

    assert len(got) == 40
    assert got == drain(ReplayFeed(sample_store, "binance", SYMBOLS, "1h"))[:40]
    assert not feed.done


def test_replay_run_returns_when_done(sample_store: CandleStore) -> None:
    end = int(sample("BTC/USDT").ts[300])
    feed = ReplayFeed(sample_store, "binance", SYMBOLS, "1h", end_ms=end)
    got: list[BarClosed] = []
    feed.subscribe(got.append)

    asyncio.run(asyncio.wait_for(feed.run(asyncio.Event()), timeout=10))

    assert feed.done
    assert len(got) == 600


# --- exchange: back-fill -----------------------------------------------------------------------


def test_startup_backfill_stores_closed_bars_and_emits_nothing(rig: Rig) -> None:
    start = rig.clock.now_ms()
    for symbol in SYMBOLS:  # what Binance answers at 23:09:30: up to the open 23:09 bar
        rig.answer(symbol, KLINES[:7])
    feed = rig.feed()

    assert feed.step() == []

    assert rig.events == []
    assert rig.count("BTC/USDT") == rig.count("ETH/USDT") == 6  # 23:09 is still open
    stored = rig.store.read(SeriesKey.of("binance", "BTC/USDT", "1m"))
    assert stored.ts.tolist() == T[:6]
    assert stored.iloc[0, 1:].tolist() == kline_values(KLINES[0])
    assert rig.start_times("BTC/USDT") == [start - 10 * MINUTE]  # lookback_bars=10
    status = feed.status()["BTC/USDT"]
    assert status.ready
    assert status.last_closed_ms == T[5]
    assert status.next_due_ms == T[7]  # when the open bar closes
    rig.replay.assert_all_used()


def test_backfill_starts_after_the_stores_last_bar(rig: Rig) -> None:
    key = SeriesKey.of("binance", "BTC/USDT", "1m")
    rig.store.upsert(key, klines_frame(KLINES[:4]))
    rig.answer("BTC/USDT", KLINES[4:7], repeat_last=True)
    feed = rig.feed(("BTC/USDT",))

    feed.step()

    assert rig.start_times("BTC/USDT") == [T[4]]
    assert rig.count("BTC/USDT") == 6
    # an old store is back-filled only within the lookback
    rig.store.upsert(SeriesKey.of("binance", "ETH/USDT", "1m"), klines_frame(KLINES[:1]))
    rig.answer("ETH/USDT", KLINES[4:7])
    now = rig.clock.now_ms()
    rig.feed(("ETH/USDT",), lookback_bars=3).step()
    assert rig.start_times("ETH/USDT") == [now - 3 * MINUTE]


def test_a_failed_backfill_backs_off_and_is_retried(rig: Rig) -> None:
    rig.answer("BTC/USDT", RATE_LIMITED, KLINES[:7])
    feed = rig.feed(("BTC/USDT",))
    before = failures("BTC/USDT", "DDoSProtection")

    feed.step()

    status = feed.status()["BTC/USDT"]
    assert not status.ready
    assert status.consecutive_failures == 1
    assert "DDoSProtection" in (status.last_error or "")
    assert failures("BTC/USDT", "DDoSProtection") - before == 1
    assert rig.count("BTC/USDT") == 0
    rig.clock.advance(1_000)  # backoff_delay(0)
    feed.step()
    assert feed.status()["BTC/USDT"].ready
    assert rig.count("BTC/USDT") == 6
    assert rig.events == []


# --- exchange: polling -------------------------------------------------------------------------


def test_polls_emit_each_closed_bar_once_and_redelivery_is_harmless(rig: Rig) -> None:
    for symbol in SYMBOLS:
        rig.answer(
            symbol,
            KLINES[:7],  # back-fill at 23:09:30
            KLINES[6:9],  # 23:11:30: 23:09 and 23:10 closed, 23:11 open
            KLINES[5:8],  # 23:12:30: old bars again, 23:11 not yet published
            KLINES[8:10],  # 23:12:35: 23:11 closed, 23:12 open
        )
    feed = rig.feed()
    feed.step()

    rig.clock.set(T[8] + 30_000)
    polled = feed.step()
    assert [(b.ts_ms, b.symbol) for b in rig.events] == [
        (T[6], "BTC/USDT"),
        (T[6], "ETH/USDT"),
        (T[7], "BTC/USDT"),
        (T[7], "ETH/USDT"),
    ]
    assert polled == rig.events
    assert [bar_values(b) for b in rig.events[::2]] == [kline_values(r) for r in KLINES[6:8]]
    assert rig.start_times("BTC/USDT")[1] == T[6]
    assert rig.count("BTC/USDT") == 8

    rig.clock.set(T[9] + 30_000)
    assert feed.step() == []  # re-delivered bars: nothing new
    assert len(rig.events) == 4
    assert rig.count("BTC/USDT") == rig.count("ETH/USDT") == 8
    assert rig.start_times("BTC/USDT")[2] == T[8]

    rig.clock.advance(5_000)  # poll_interval_s: the late bar is asked for again
    assert [(b.ts_ms, b.symbol) for b in feed.step()] == [(T[8], "BTC/USDT"), (T[8], "ETH/USDT")]
    assert rig.count("BTC/USDT") == 9  # 23:12 is still open: not stored
    assert T[9] not in {b.ts_ms for b in rig.events}
    status = feed.status()["ETH/USDT"]
    assert (status.polls, status.bars, status.errors, status.last_closed_ms) == (4, 3, 0, T[8])
    rig.replay.assert_all_used()


def test_a_series_is_not_polled_before_its_next_bar_can_close(rig: Rig) -> None:
    rig.answer("BTC/USDT", KLINES[:7], KLINES[6:8])
    feed = rig.feed(("BTC/USDT",))
    feed.step()
    for _ in range(3):
        rig.clock.advance(7_000)
        assert feed.step() == []
    assert len(rig.start_times("BTC/USDT")) == 1
    rig.clock.set(T[7] + 1)
    assert [b.ts_ms for b in feed.step()] == [T[6]]


def test_a_full_page_is_followed_at_once(rig: Rig) -> None:
    rig.answer("BTC/USDT", KLINES[:2], KLINES[2:4], KLINES[4:7])  # limit=2: catching up
    feed = rig.feed(("BTC/USDT",), limit=2)
    feed.step()  # back-fill pages through everything
    assert rig.start_times("BTC/USDT")[1:] == [T[2], T[4]]
    assert rig.count("BTC/USDT") == 6


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (RATE_LIMITED, "DDoSProtection"),
        (Raise(ccxt.RateLimitExceeded), "RateLimitExceeded"),
        (Raise(ccxt.RequestTimeout), "RequestTimeout"),
        (Raise(ccxt.ExchangeNotAvailable), "ExchangeNotAvailable"),
        (Raise(ccxt.NetworkError), "NetworkError"),
        (Reply("<html>503 Service Unavailable</html>", status=503), "ExchangeNotAvailable"),
        (Reply({"code": -1121, "msg": "Invalid symbol."}, status=400), "BadSymbol"),
    ],
)
def test_an_error_on_one_symbol_backs_it_off_and_the_other_goes_on(
    rig: Rig, error: Any, reason: str
) -> None:
    rig.answer("BTC/USDT", KLINES[:7], error, KLINES[6:8])
    rig.answer("ETH/USDT", KLINES[:7], KLINES[6:8], KLINES[7:9])
    feed = rig.feed()
    feed.step()
    before = failures("BTC/USDT", reason)

    rig.clock.set(T[7] + 30_000)
    assert [(b.ts_ms, b.symbol) for b in feed.step()] == [(T[6], "ETH/USDT")]

    assert failures("BTC/USDT", reason) - before == 1
    btc = feed.status()["BTC/USDT"]
    assert (btc.errors, btc.consecutive_failures) == (1, 1)
    assert btc.last_error is not None
    assert btc.last_error.startswith(reason)
    assert btc.last_error_ms is not None
    assert btc.next_due_ms == btc.last_error_ms + 1_000
    rig.clock.set(btc.next_due_ms - 1)
    assert feed.step() == []  # still backing off: no request
    assert len(rig.start_times("BTC/USDT")) == 2

    rig.clock.set(T[8] + 30_000)
    assert [(b.ts_ms, b.symbol) for b in feed.step()] == [
        (T[6], "BTC/USDT"),  # caught up
        (T[7], "BTC/USDT"),
        (T[7], "ETH/USDT"),
    ]
    btc = feed.status()["BTC/USDT"]
    assert (btc.errors, btc.consecutive_failures, btc.last_closed_ms) == (1, 0, T[7])
    rig.replay.assert_all_used()


def test_back_off_doubles_and_is_capped(rig: Rig) -> None:
    rig.answer("BTC/USDT", Raise(ccxt.RequestTimeout), repeat_last=True)
    feed = rig.feed(("BTC/USDT",), backoff_base_s=1.0, backoff_max_s=3.0)
    delays = []
    for _ in range(5):
        feed.step()
        status = feed.status()["BTC/USDT"]
        assert status.next_due_ms is not None
        assert status.last_error_ms is not None
        delays.append(status.next_due_ms - status.last_error_ms)
        rig.clock.set(status.next_due_ms)
    assert delays == [1_000, 2_000, 3_000, 3_000, 3_000]
    assert feed.status()["BTC/USDT"].consecutive_failures == 5


def test_a_raising_subscriber_does_not_stop_emission(rig: Rig) -> None:
    for symbol in SYMBOLS:
        rig.answer(symbol, KLINES[:7], KLINES[6:9])
    feed = rig.feed()
    calls: list[int] = []

    def boom(bar: BarClosed) -> None:
        calls.append(bar.ts_ms)
        raise ValueError("strategy bug")

    feed.subscribe(boom)
    feed.step()
    before = metric("aitrader_feed_subscriber_errors_total", {"source": "exchange"})

    rig.clock.set(T[8] + 30_000)
    bars = feed.step()

    assert len(bars) == len(rig.events) == len(calls) == 4
    assert metric("aitrader_feed_subscriber_errors_total", {"source": "exchange"}) - before == 4
    assert feed.status()["BTC/USDT"].errors == 0


def test_exchange_run_backfills_polls_and_stops_promptly(rig: Rig) -> None:
    rig.answer("BTC/USDT", KLINES[:7], KLINES[6:8], repeat_last=True)
    feed = rig.feed(("BTC/USDT",), poll_interval_s=0.01)

    async def scenario() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(feed.run(stop))
        await until(lambda: feed.status()["BTC/USDT"].ready)
        assert rig.events == []
        rig.clock.set(T[7] + 30_000)
        await until(lambda: len(rig.events) == 1)
        stop.set()
        await asyncio.wait_for(task, timeout=5)

    asyncio.run(scenario())

    assert [(b.ts_ms, b.symbol) for b in rig.events] == [(T[6], "BTC/USDT")]
    assert rig.count("BTC/USDT") == 7


async def until(condition: Any, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.005)


# --- invariant -------------------------------------------------------------------------------


picks = st.one_of(
    st.builds(lambda a, n: list(range(a, min(10, a + n))), st.integers(0, 9), st.integers(1, 5)),
    st.lists(st.integers(0, 9), max_size=12),  # any recorded bars, any order, repeats
)
answers = st.lists(
    st.tuples(st.integers(0, 90_000), picks),  # clock advance before the step (ms), answer
    min_size=1,
    max_size=12,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers)
def test_whatever_the_exchange_answers_each_closed_bar_is_emitted_once_in_order(
    script: list[tuple[int, list[int]]],
) -> None:
    engine = make_engine("sqlite://", poolclass=StaticPool)
    upgrade(engine)
    rig = make_rig(CandleStore(engine), T[4] + 30_000)  # 23:03-23:06 closed, 23:07 open
    replies = [[KLINES[i] for i in picks] for _, picks in script]
    rig.answer("BTC/USDT", [], *replies, [], repeat_last=True)
    feed = rig.feed(("BTC/USDT",), poll_interval_s=1.0)
    feed.step()  # back-fill: the exchange had nothing yet
    emitted_at: list[tuple[BarClosed, int]] = []
    for advance, _ in script:
        rig.clock.advance(advance)
        now = rig.clock.now_ms()
        emitted_at.extend((b, now) for b in feed.step())

    ts = [b.ts_ms for b, _ in emitted_at]
    assert ts == sorted(set(ts))  # in order, never twice
    assert all(b.close_ms <= now for b, now in emitted_at)  # only closed bars
    served = list(itertools.chain.from_iterable(replies))
    assert set(ts) <= {row[0] for row in served}
    assert [bar_values(b) for b, _ in emitted_at] == [kline_values(KLINES[T.index(t)]) for t in ts]
    stored = rig.store.read(SeriesKey.of("binance", "BTC/USDT", "1m")) if ts else None
    assert ts == ([] if stored is None else stored.ts.tolist())
    engine.dispose()
