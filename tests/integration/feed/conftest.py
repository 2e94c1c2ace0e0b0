"""Fixtures of the feed tests: real stores, the bundled sample, recorded Binance klines.

Exchange feeds run the real ``ccxt.binance`` class answered by
:class:`~aitrader_core.testing.ccxt_replay.CcxtReplayer` from the recorded
payloads in ``tests/data/binance`` (see its README): the live exchangeInfo for
the markets and ten live 1m BTCUSDT klines (2021-10-22 23:03–23:12 UTC). No
ETHUSDT klines were recorded, so ETH/USDT requests are answered with the same
recorded BTCUSDT payload: the feed never interprets prices, only times, and two
series are what the tests need (one failing while the other goes on).
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import ccxt
import pandas as pd
import pytest

from aitrader_core.clock import ReplayClock
from aitrader_core.ingest import make_exchange, read_ohlcv_file
from aitrader_core.ingest.feed import BarClosed, ExchangeFeed
from aitrader_core.store import CandleStore, SeriesKey, make_engine, upgrade
from aitrader_core.testing.ccxt_replay import CcxtReplayer
from tests.conftest import DATA, SAMPLE

LIVE = DATA / "binance" / "live_spot_2021-10-22"
KLINES: list[list[Any]] = json.loads((LIVE / "http_spot_market_klines.json").read_text())
T = [row[0] for row in KLINES]  # bar opens, 2021-10-22T23:03Z .. 23:12Z
MINUTE = 60_000
PATH = "/api/v3/klines"
# ccxt's rate limiter waits rateLimit (50 ms) between requests on the exchange clock;
# a simulated round trip longer than that keeps that wait at zero.
LATENCY_MS = 500
SYMBOLS = ("BTC/USDT", "ETH/USDT")
WIRE = {"BTC/USDT": "BTCUSDT", "ETH/USDT": "ETHUSDT"}
SAMPLE_FILES = {
    "BTC/USDT": SAMPLE / "BTCUSDT_1h_20230101_20240110.csv.gz",
    "ETH/USDT": SAMPLE / "ETHUSDT_1h_20230101_20240110.csv.gz",
}


@pytest.fixture
def store(db_url: str) -> Iterator[CandleStore]:
    """An empty, migrated store (SQLite file; PostgreSQL too when configured)."""
    engine = make_engine(db_url)
    upgrade(engine)
    yield CandleStore(engine)
    engine.dispose()


@functools.cache
def _sample(symbol: str) -> pd.DataFrame:
    return read_ohlcv_file(SAMPLE_FILES[symbol])


def sample(symbol: str) -> pd.DataFrame:
    """Real Binance 1h bars of 2023 from the bundled sample (a copy)."""
    return _sample(symbol).copy()


@pytest.fixture
def sample_store(store: CandleStore) -> CandleStore:
    """The store with the bundled BTC/USDT and ETH/USDT 1h samples (8,996 bars each)."""
    for symbol in SYMBOLS:
        store.upsert(SeriesKey.of("binance", symbol, "1h"), sample(symbol))
    return store


@functools.cache
def _markets() -> dict[str, Any]:
    replay = CcxtReplayer().on_json_file(
        "GET", "/api/v3/exchangeInfo", LIVE / "http_spot_market_exchange_info.json"
    )
    exchange = make_exchange("binance", config={"options": {"fetchMarkets": {"types": ["spot"]}}})
    replay.install(exchange)
    markets: dict[str, Any] = exchange.load_markets()
    return markets


def klines_frame(rows: list[list[Any]]) -> pd.DataFrame:
    """Recorded klines as the store's OHLCV frame."""
    return pd.DataFrame(
        {
            "ts": [int(r[0]) for r in rows],
            **{
                c: [float(r[i]) for r in rows]
                for i, c in enumerate(("open", "high", "low", "close", "volume"), start=1)
            },
        }
    )


def bar_values(bar: BarClosed) -> list[float]:
    return [bar.open, bar.high, bar.low, bar.close, bar.volume]


def kline_values(row: list[Any]) -> list[float]:
    return [float(v) for v in row[1:6]]


@dataclass
class Rig:
    """An exchange feed over a replayed ccxt.binance, with everything it emitted."""

    replay: CcxtReplayer
    clock: ReplayClock
    exchange: ccxt.Exchange
    store: CandleStore
    events: list[BarClosed] = field(default_factory=list)

    def feed(self, symbols: tuple[str, ...] = SYMBOLS, **kwargs: Any) -> ExchangeFeed:
        kwargs = {"lookback_bars": 10, "poll_interval_s": 5.0, **kwargs}
        feed = ExchangeFeed(self.exchange, self.store, symbols, "1m", clock=self.clock, **kwargs)
        feed.subscribe(self.events.append)
        return feed

    def answer(self, symbol: str, *steps: Any, **kwargs: Any) -> None:
        """Answer ``symbol``'s klines requests with ``steps`` in order."""
        self.replay.on("GET", PATH, *steps, params={"symbol": WIRE[symbol]}, **kwargs)

    def start_times(self, symbol: str) -> list[int]:
        return [
            int(r.params["startTime"])
            for r in self.replay.requests_to(PATH)
            if r.params["symbol"] == WIRE[symbol]
        ]

    def count(self, symbol: str) -> int:
        return self.store.count(SeriesKey.of("binance", symbol, "1m"))


def make_rig(store: CandleStore, now_ms: int) -> Rig:
    replay = CcxtReplayer(latency_ms=LATENCY_MS)
    clock = ReplayClock(now_ms)
    exchange = make_exchange("binance", markets=copy.deepcopy(_markets()))
    replay.install(exchange, clock=clock)
    return Rig(replay, clock, exchange, store)


@pytest.fixture
def rig(store: CandleStore) -> Rig:
    """A rig at 23:09:30 UTC: bars 23:03–23:08 have closed, 23:09 is in progress."""
    return make_rig(store, T[6] + 30_000)
