"""Back-fill through the real ccxt.binance class, fed recorded Binance responses.

Nothing here reaches the network: the replayer answers only recorded routes
(keyed by the ``startTime``/``limit`` ccxt sends, so a wrong cursor fails the
test) and the exchange's HTTP session refuses to connect.

Recorded payloads (see tests/data/binance/README.md): ten live 1m BTCUSDT klines
(2021-10-22), Binance's documented klines example, and the live exchangeInfo
for the markets. Where a test needs more than ten bars, further pages are
*derived* from the recorded bars by shifting their open/close times
(:func:`derived_klines`); prices and volumes are the recorded ones.
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

import ccxt
import numpy as np
import pandas as pd
import pytest

from aitrader_core.clock import ReplayClock
from aitrader_core.errors import ExchangeError
from aitrader_core.ingest import OHLCV_COLUMNS, backfill_ohlcv, make_exchange
from aitrader_core.testing.ccxt_replay import CcxtReplayer, Raise, Reply, UnrecordedRequestError

BINANCE = Path(__file__).resolve().parents[1] / "data" / "binance"
LIVE = BINANCE / "live_spot_2021-10-22"
KLINES: list[list[Any]] = json.loads((LIVE / "http_spot_market_klines.json").read_text())
DOCS_KLINES: list[list[Any]] = json.loads(
    (BINANCE / "docs_examples" / "spot_klines_response.json").read_text()
)
PATH = "/api/v3/klines"
MINUTE = 60_000
FIRST, LAST = KLINES[0][0], KLINES[-1][0]  # 2021-10-22T23:03Z .. 23:12Z, 10 bars
ALL_CLOSED = LAST + MINUTE + 5_000  # "now" when every recorded bar has closed
RATE_LIMITED = Reply({"code": -1003, "msg": "Too many requests; use the websocket."}, status=429)
# ccxt's rate limiter (enableRateLimit) waits rateLimit*cost ms between requests on the
# exchange clock; a simulated round trip longer than that keeps the real wait at zero.
LATENCY_MS = 500


@functools.cache
def _markets() -> dict[str, Any]:
    replay = CcxtReplayer().on_json_file(
        "GET", "/api/v3/exchangeInfo", LIVE / "http_spot_market_exchange_info.json"
    )
    exchange = make_exchange("binance", config={"options": {"fetchMarkets": {"types": ["spot"]}}})
    replay.install(exchange)
    markets: dict[str, Any] = exchange.load_markets()
    assert [r.path for r in replay.requests] == ["/api/v3/exchangeInfo"]
    return markets


def recorded_markets() -> dict[str, Any]:
    """BTC/USDT and ETH/USDT as ccxt parsed them from the recorded exchangeInfo."""
    return copy.deepcopy(_markets())


def binance(replay: CcxtReplayer, now_ms: int, **kwargs: Any) -> ccxt.Exchange:
    exchange = make_exchange("binance", markets=recorded_markets(), **kwargs)
    return replay.install(exchange, clock=ReplayClock(now_ms))


def derived_klines(count: int) -> list[list[Any]]:
    """``count`` consecutive 1m klines: the 10 recorded ones, repeated 10 minutes later each time.

    Only open time (field 0) and close time (field 6) are shifted.
    """
    rows = []
    for i in range(count):
        row = list(KLINES[i % len(KLINES)])
        shift = (i // len(KLINES)) * len(KLINES) * MINUTE
        row[0] += shift
        row[6] += shift
        rows.append(row)
    return rows


class Sleeps(list[float]):
    """An injected ``sleep`` that records the delays instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def start_times(replay: CcxtReplayer) -> list[int]:
    return [int(r.params["startTime"]) for r in replay.requests_to(PATH)]


def concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True)


# --- pagination -----------------------------------------------------------------------------


def test_pages_advance_start_time_past_the_last_bar() -> None:
    replay = CcxtReplayer(latency_ms=LATENCY_MS)
    for page in (KLINES[0:4], KLINES[4:8], KLINES[8:10]):
        replay.on("GET", PATH, page, params={"startTime": page[0][0], "limit": 4})
    ex = binance(replay, ALL_CLOSED)

    frames = list(backfill_ohlcv(ex, "BTC/USDT", "1m", FIRST, limit=4))

    assert [len(f) for f in frames] == [4, 4, 2]
    bars = concat(frames)
    assert tuple(bars.columns) == OHLCV_COLUMNS
    assert bars.ts.tolist() == [row[0] for row in KLINES]
    assert bars.ts.is_unique
    assert bars.ts.is_monotonic_increasing
    assert bars.iloc[0][["open", "high", "low", "close", "volume"]].tolist() == [
        60685.22,
        60729.84,
        60670.9,
        60719.27,
        21.63272,
    ]
    assert bars.ts.dtype == np.int64
    assert start_times(replay) == [FIRST, KLINES[4][0], KLINES[8][0]]
    sent = replay.requests_to(PATH)
    assert {(r.params["symbol"], r.params["interval"], r.params["limit"]) for r in sent} == {
        ("BTCUSDT", "1m", "4")
    }
    replay.assert_all_used()


def test_overlapping_pages_never_yield_a_bar_twice() -> None:
    # Some venues answer "since" with the bar containing it: the second page here
    # starts with the last bar of the first one and repeats a bar inside the page.
    page2 = [KLINES[3], KLINES[4], KLINES[5], KLINES[5]]
    replay = CcxtReplayer(latency_ms=LATENCY_MS)
    replay.on("GET", PATH, KLINES[0:4], params={"startTime": FIRST})
    replay.on("GET", PATH, page2, params={"startTime": KLINES[4][0]})
    replay.on("GET", PATH, KLINES[6:10], params={"startTime": KLINES[6][0]})
    ex = binance(replay, ALL_CLOSED)

    bars = concat(list(backfill_ohlcv(ex, "BTC/USDT", "1m", FIRST, limit=4)))

    assert bars.ts.tolist() == [row[0] for row in KLINES]
    assert start_times(replay) == [FIRST, KLINES[4][0], KLINES[6][0]]


def test_full_size_pages_of_derived_bars_with_progress(capsys: pytest.CaptureFixture[str]) -> None:
    rows = derived_klines(2_500)  # derived from the recorded bars, see derived_klines
    replay = CcxtReplayer(latency_ms=LATENCY_MS)
    for start in range(0, 2_500, 1_000):
        page = rows[start : start + 1_000]
        replay.on("GET", PATH, page, params={"startTime": page[0][0], "limit": 1000})
    now = rows[-1][0] + MINUTE  # the last derived bar has just closed
    ex = binance(replay, now)

    frames = list(backfill_ohlcv(ex, "BTC/USDT", "1m", FIRST, progress=True))

    assert [len(f) for f in frames] == [1_000, 1_000, 500]
    bars = concat(frames)
    assert bars.ts.is_unique
    assert (np.diff(bars.ts) == MINUTE).all()
    assert start_times(replay) == [FIRST, FIRST + 1_000 * MINUTE, FIRST + 2_000 * MINUTE]
    assert "2500/2500" in capsys.readouterr().err  # tqdm total = expected bars


def test_stops_when_the_exchange_has_nothing_newer() -> None:
    replay = CcxtReplayer(latency_ms=LATENCY_MS)
    replay.on("GET", PATH, KLINES, params={"startTime": FIRST})
    replay.on("GET", PATH, [], params={"startTime": LAST + MINUTE})
    ex = binance(replay, LAST + 3_600_000)  # an hour later, yet no newer bars (delisted)

    bars = concat(list(backfill_ohlcv(ex, "BTC/USDT", "1m", FIRST)))

    assert len(bars) == 10
    assert start_times(replay) == [FIRST, LAST + MINUTE]


def test_stops_at_until_ms_exclusive() -> None:
    until = KLINES[6][0]
    replay = CcxtReplayer(latency_ms=LATENCY_MS)
    replay.on("GET", PATH, KLINES[0:4], params={"startTime": FIRST})
    replay.on("GET", PATH, KLINES[4:8], params={"startTime": KLINES[4][0]})
    ex = binance(replay, ALL_CLOSED)

    bars = concat(list(backfill_ohlcv(ex, "BTC/USDT", "1m", FIRST, until, limit=4)))

    assert bars.ts.tolist() == [row[0] for row in KLINES[:6]]
    assert bars.ts.max() < until
    assert len(replay.requests_to(PATH)) == 2  # no request past until_ms


def test_nothing_requested_for_an_empty_range() -> None:
    replay = CcxtReplayer()
    ex = binance(replay, ALL_CLOSED)
    assert list(backfill_ohlcv(ex, "BTC/USDT", "1m", FIRST, FIRST)) == []
    assert replay.requests == ()


def test_the_still_open_bar_is_excluded() -> None:
    now = LAST + 30_000  # half-way through the last recorded bar
    replay = CcxtReplayer(latency_ms=LATENCY_MS)
    replay.on("GET", PATH, KLINES, params={"startTime": FIRST}, repeat_last=True)
    ex = binance(replay, now)

    bars = concat(list(backfill_ohlcv(ex, "BTC/USDT", "1m", FIRST)))

    assert bars.ts.tolist() == [row[0] for row in KLINES[:-1]]
    assert len(replay.requests_to(PATH)) == 1  # the next bar cannot have closed: stop
    # An until_ms in the future does not let the open bar through either.
    later = concat(list(backfill_ohlcv(ex, "BTC/USDT", "1m", FIRST, now + 86_400_000)))
    assert later.ts.max() == KLINES[-2][0]


def test_documented_klines_example_weekly() -> None:
    (row,) = DOCS_KLINES
    replay = CcxtReplayer(latency_ms=LATENCY_MS)
    replay.on("GET", PATH, DOCS_KLINES, params={"startTime": row[0], "interval": "1w"})
    replay.on("GET", PATH, [], params={"startTime": row[0] + 7 * 86_400_000})
    ex = binance(replay, row[6] + 86_400_000)

    (frame,) = backfill_ohlcv(ex, "ETH/USDT", "1w", row[0])

    assert frame.iloc[0].tolist() == [
        1499040000000,
        0.0163479,
        0.8,
        0.015758,
        0.015771,
        148976.11427815,
    ]
    assert replay.requests_to(PATH)[0].params["symbol"] == "ETHUSDT"


def test_sandbox_requests_go_to_the_testnet() -> None:
    replay = CcxtReplayer().on("GET", PATH, KLINES)
    ex = binance(replay, ALL_CLOSED, sandbox=True)
    assert len(concat(list(backfill_ohlcv(ex, "BTC/USDT", "1m", FIRST)))) == 10
    assert replay.requests[0].url.startswith("https://testnet.binance.vision/api/v3/klines?")


# --- retries ----------------------------------------------------------------------------------


def test_rate_limit_then_success_is_retried_with_back_off() -> None:
    replay = CcxtReplayer(latency_ms=LATENCY_MS)
    replay.on("GET", PATH, RATE_LIMITED, RATE_LIMITED, KLINES)
    ex = binance(replay, ALL_CLOSED)
    sleeps = Sleeps()

    bars = concat(list(backfill_ohlcv(ex, "BTC/USDT", "1m", FIRST, sleep=sleeps)))

    assert len(bars) == 10
    assert sleeps == [1.0, 2.0]
    assert [r.status for r in replay.requests] == [429, 429, 200]
    assert start_times(replay) == [FIRST] * 3  # the same page asked again


@pytest.mark.parametrize(
    "error",
    [ccxt.RequestTimeout, ccxt.RateLimitExceeded, ccxt.ExchangeNotAvailable, ccxt.NetworkError],
)
def test_transient_error_then_success(error: type[Exception]) -> None:
    replay = CcxtReplayer(latency_ms=LATENCY_MS)
    replay.on("GET", PATH, Raise(error), KLINES)
    ex = binance(replay, ALL_CLOSED)
    sleeps = Sleeps()

    bars = concat(list(backfill_ohlcv(ex, "BTC/USDT", "1m", FIRST, sleep=sleeps)))

    assert len(bars) == 10
    assert sleeps == [1.0]
    assert [r.status for r in replay.requests] == [None, 200]


def test_exchange_unavailable_then_success() -> None:
    replay = CcxtReplayer(latency_ms=LATENCY_MS)
    replay.on("GET", PATH, Reply("<html>503 Service Unavailable</html>", status=503), KLINES)
    ex = binance(replay, ALL_CLOSED)
    sleeps = Sleeps()
    assert len(concat(list(backfill_ohlcv(ex, "BTC/USDT", "1m", FIRST, sleep=sleeps)))) == 10
    assert sleeps == [1.0]


def test_gives_up_after_max_retries_with_a_clear_error() -> None:
    replay = CcxtReplayer(latency_ms=LATENCY_MS)
    replay.on("GET", PATH, RATE_LIMITED, repeat_last=True)
    ex = binance(replay, ALL_CLOSED)
    sleeps = Sleeps()

    with pytest.raises(ExchangeError) as caught:
        list(backfill_ohlcv(ex, "BTC/USDT", "1m", FIRST, max_retries=3, sleep=sleeps))

    message = str(caught.value)
    assert "binance fetch_ohlcv BTC/USDT 1m since=1634943780000" in message
    assert "failed after 3 retries: DDoSProtection" in message
    assert isinstance(caught.value.__cause__, ccxt.DDoSProtection)
    assert sleeps == [1.0, 2.0, 4.0]
    assert len(replay.requests) == 4


def test_progress_made_before_giving_up_is_kept() -> None:
    replay = CcxtReplayer(latency_ms=LATENCY_MS)
    replay.on("GET", PATH, KLINES[0:4], params={"startTime": FIRST})
    replay.on("GET", PATH, Raise(ccxt.RequestTimeout), params={"startTime": KLINES[4][0]})
    replay.on("GET", PATH, Raise(ccxt.RequestTimeout), params={"startTime": KLINES[4][0]})
    ex = binance(replay, ALL_CLOSED)
    pages = backfill_ohlcv(ex, "BTC/USDT", "1m", FIRST, limit=4, max_retries=1, sleep=Sleeps())

    first = next(pages)
    with pytest.raises(ExchangeError, match="failed after 1 retries: RequestTimeout"):
        next(pages)

    assert first.ts.tolist() == [row[0] for row in KLINES[:4]]


def test_refusals_are_not_retried() -> None:
    replay = CcxtReplayer(latency_ms=LATENCY_MS)
    replay.on("GET", PATH, Reply({"code": -1121, "msg": "Invalid symbol."}, status=400))
    ex = binance(replay, ALL_CLOSED)
    sleeps = Sleeps()

    with pytest.raises(ExchangeError, match=r"refused: BadSymbol: .*Invalid symbol") as caught:
        list(backfill_ohlcv(ex, "BTC/USDT", "1m", FIRST, sleep=sleeps))

    assert isinstance(caught.value.__cause__, ccxt.BadSymbol)
    assert sleeps == []
    assert len(replay.requests) == 1


def test_unknown_symbol_fails_before_any_request() -> None:
    replay = CcxtReplayer()
    ex = binance(replay, ALL_CLOSED)
    with pytest.raises(ExchangeError, match=r"DOGE/USDT .*BadSymbol"):
        list(backfill_ohlcv(ex, "DOGE/USDT", "1m", FIRST))
    assert replay.requests == ()


# --- no network -------------------------------------------------------------------------------


def test_unrecorded_requests_fail_loudly_and_are_not_retried() -> None:
    replay = CcxtReplayer()
    ex = binance(replay, ALL_CLOSED)
    sleeps = Sleeps()
    with pytest.raises(UnrecordedRequestError, match=r"no recorded response for GET .*klines"):
        list(backfill_ohlcv(ex, "BTC/USDT", "1m", FIRST, sleep=sleeps))
    assert sleeps == []
    with pytest.raises(UnrecordedRequestError, match="network access attempted"):
        ex.session.get("https://api.binance.com/api/v3/klines")


def test_make_exchange_with_markets_loads_them_without_a_request() -> None:
    replay = CcxtReplayer()
    ex = binance(replay, ALL_CLOSED)
    assert sorted(ex.load_markets()) == ["BTC/USDT", "ETH/USDT"]
    assert ex.enableRateLimit is True
    assert replay.requests == ()
