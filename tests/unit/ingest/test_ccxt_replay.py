"""The ccxt replayer: real ccxt request building and error mapping, no network."""

from __future__ import annotations

import asyncio
from pathlib import Path

import ccxt
import ccxt.async_support as ccxt_async
import pytest
import requests

from aitrader_core.clock import ReplayClock
from aitrader_core.testing.ccxt_replay import (
    CcxtReplayer,
    Raise,
    Reply,
    UnrecordedRequestError,
)

BINANCE = Path(__file__).resolve().parents[2] / "data" / "binance"
LIVE = BINANCE / "live_spot_2021-10-22"
EXCHANGE_INFO = LIVE / "http_spot_market_exchange_info.json"
KLINES = LIVE / "http_spot_market_klines.json"
SINCE = 1634943780000  # open time of the first recorded kline
SPOT_ONLY = {"options": {"fetchMarkets": {"types": ["spot"]}}}
FAKE_KEYS = {"apiKey": "key", "secret": "not-a-real-secret"}


def spot_binance(**config: object) -> ccxt.binance:
    return ccxt.binance({**SPOT_ONLY, **config})


def with_markets(replay: CcxtReplayer) -> ccxt.binance:
    """A binance whose markets come from the recorded exchangeInfo, parsed by ccxt."""
    replay.on_json_file("GET", "/api/v3/exchangeInfo", EXCHANGE_INFO)
    exchange = replay.install(spot_binance())
    exchange.load_markets()
    return exchange


def keyed(replay: CcxtReplayer, clock: ReplayClock | None = None) -> ccxt.binance:
    """A binance with (fake) API keys and the recorded markets already set.

    With keys, load_markets would also ask the private currencies endpoint
    (sapi capital/config/getall), so markets are handed over instead.
    """
    markets = with_markets(CcxtReplayer()).markets
    exchange = replay.install(spot_binance(**FAKE_KEYS), clock=clock)
    exchange.set_markets(markets)
    return exchange


def test_markets_load_through_real_parsing_once() -> None:
    replay = CcxtReplayer()
    exchange = with_markets(replay)
    assert sorted(exchange.markets) == ["BTC/USDT", "ETH/USDT"]
    btc = exchange.market("BTC/USDT")
    assert btc["id"] == "BTCUSDT"
    assert btc["precision"]["price"] == 0.01  # tickSize of the recorded PRICE_FILTER
    assert btc["limits"]["amount"]["min"] == 1e-05  # minQty of the recorded LOT_SIZE
    exchange.load_markets()
    assert [r.path for r in replay.requests] == ["/api/v3/exchangeInfo"]


def test_records_what_ccxt_sent() -> None:
    replay = CcxtReplayer().on_json_file("GET", "/api/v3/klines", KLINES)
    exchange = with_markets(replay)
    bars = exchange.fetch_ohlcv("BTC/USDT", "1m", since=SINCE, limit=10)
    assert len(bars) == 10
    assert bars[0] == [SINCE, 60685.22, 60729.84, 60670.9, 60719.27, 21.63272]
    sent = replay.requests_to("/api/v3/klines", "GET")
    assert len(sent) == 1
    assert sent[0].params == {
        "interval": "1m",
        "limit": "10",
        "symbol": "BTCUSDT",
        "startTime": str(SINCE),
    }
    assert sent[0].url.startswith("https://api.binance.com/api/v3/klines?")
    assert sent[0].status == 200
    assert "User-Agent" in sent[0].headers or sent[0].headers == {}


def test_sequence_then_exhausted() -> None:
    replay = CcxtReplayer().on("GET", "/api/v3/time", {"serverTime": 1}, {"serverTime": 2})
    exchange = replay.install(spot_binance())
    assert [exchange.fetch_time(), exchange.fetch_time()] == [1, 2]
    with pytest.raises(UnrecordedRequestError, match="already served"):
        exchange.fetch_time()


def test_repeat_last_and_unused_bookkeeping() -> None:
    replay = CcxtReplayer()
    replay.on("GET", "/api/v3/time", {"serverTime": 5}, repeat_last=True)
    replay.on("GET", "/api/v3/ping", {}, {})
    exchange = replay.install(spot_binance())
    assert [exchange.fetch_time() for _ in range(3)] == [5, 5, 5]
    assert replay.unused() == ["GET /api/v3/ping (2 step(s) left)"]
    with pytest.raises(AssertionError, match="never requested: GET /api/v3/ping"):
        replay.assert_all_used()
    exchange.publicGetPing()
    exchange.publicGetPing()
    replay.assert_all_used()


def test_routes_match_selected_params() -> None:
    replay = CcxtReplayer().on(
        "GET", "/api/v3/klines", [], params={"symbol": "BTCUSDT", "startTime": SINCE}
    )
    exchange = with_markets(replay)
    with pytest.raises(UnrecordedRequestError, match=r"no recorded response for GET .*startTime=1"):
        exchange.fetch_ohlcv("BTC/USDT", "1m", since=SINCE + 60_000)
    assert exchange.fetch_ohlcv("BTC/USDT", "1m", since=SINCE) == []


def test_unrecorded_route_and_session_never_reach_the_network() -> None:
    exchange = CcxtReplayer().install(spot_binance())
    with pytest.raises(UnrecordedRequestError, match=r"GET https://api\.binance\.com/api/v3/time"):
        exchange.fetch_time()
    with pytest.raises(UnrecordedRequestError, match="network access attempted"):
        exchange.session.get("https://api.binance.com/api/v3/ping")
    with pytest.raises(UnrecordedRequestError, match="network access attempted"):
        exchange.session.send(requests.Request("GET", "https://example.com").prepare())


@pytest.mark.parametrize(
    ("status", "payload", "method", "error"),
    [
        # Binance's own handle_errors maps 429/418 to DDoSProtection before the code is read.
        (
            429,
            {"code": -1003, "msg": "Too many requests; use the websocket."},
            "GET",
            ccxt.DDoSProtection,
        ),
        (
            418,
            {"code": -1003, "msg": "Way too many requests; IP banned."},
            "GET",
            ccxt.DDoSProtection,
        ),
        (400, {"code": -1121, "msg": "Invalid symbol."}, "GET", ccxt.BadSymbol),
        (503, "<html>Service Unavailable</html>", "GET", ccxt.ExchangeNotAvailable),
        (
            400,
            {"code": -2010, "msg": "Account has insufficient balance for requested action."},
            "POST",
            ccxt.InsufficientFunds,
        ),
        (400, {"code": -1013, "msg": "Filter failure: LOT_SIZE"}, "POST", ccxt.InvalidOrder),
        (400, {"code": -1013, "msg": "Filter failure: MIN_NOTIONAL"}, "POST", ccxt.BadRequest),
    ],
)
def test_error_payloads_take_ccxts_real_mapping(
    status: int, payload: object, method: str, error: type[Exception]
) -> None:
    replay = CcxtReplayer()
    replay.on("GET", "/api/v3/klines", Reply(payload, status=status))
    replay.on("POST", "/api/v3/order", Reply(payload, status=status))
    exchange = keyed(replay)
    calls = {
        "GET": lambda: exchange.fetch_ohlcv("BTC/USDT", "1m", since=SINCE),
        "POST": lambda: exchange.create_order("BTC/USDT", "limit", "buy", 0.001, 50_000),
    }
    with pytest.raises(error) as caught:
        calls[method]()
    assert type(caught.value) is error
    assert replay.requests[-1].status == status


def test_http_error_without_exchange_mapping_is_ccxt_exchange_error() -> None:
    replay = CcxtReplayer().on("GET", "/api/v3/time", Reply({"weird": True}, status=499))
    exchange = replay.install(spot_binance())
    with pytest.raises(ccxt.ExchangeError, match=r"binance GET https://api\.binance\.com"):
        exchange.fetch_time()


def test_injected_exceptions() -> None:
    boom = ccxt.NetworkError("connection reset by peer")
    replay = CcxtReplayer().on(
        "GET", "/api/v3/time", Raise(ccxt.RequestTimeout), Raise(boom), {"serverTime": 3}
    )
    exchange = replay.install(spot_binance())
    with pytest.raises(
        ccxt.RequestTimeout, match=r"^binance GET https://api\.binance\.com/api/v3/time$"
    ):
        exchange.fetch_time()
    with pytest.raises(ccxt.NetworkError) as caught:
        exchange.fetch_time()
    assert caught.value is boom
    assert exchange.fetch_time() == 3
    assert [r.status for r in replay.requests] == [None, None, 200]


def test_signed_post_body_is_parsed_and_matched() -> None:
    replay = CcxtReplayer(latency_ms=5).on_json_file(
        "POST",
        "/api/v3/order",
        BINANCE / "docs_examples" / "spot_new_order_full_response.json",
        params={"symbol": "BTCUSDT", "side": "SELL", "type": "MARKET"},
    )
    clock = ReplayClock(1_700_000_000_000)
    exchange = keyed(replay, clock)
    order = exchange.create_order("BTC/USDT", "market", "sell", 10)
    assert order["id"] == "28"
    assert order["status"] == "closed"
    assert order["filled"] == 10.0
    sent = replay.requests_to("/api/v3/order")[0]
    assert sent.params["quantity"] == "10"
    assert sent.params["timestamp"] == "1700000000000"  # the nonce comes from the replay clock
    assert clock.now_ms() == 1_700_000_000_005  # one request of simulated latency later
    assert "signature" in sent.params
    assert sent.headers["X-MBX-APIKEY"] == "key"


def test_clock_drives_exchange_time_and_ccxt_sleep() -> None:
    clock = ReplayClock(1_000_000)
    replay = CcxtReplayer(latency_ms=250).on(
        "GET", "/api/v3/time", {"serverTime": 1}, repeat_last=True
    )
    exchange = replay.install(spot_binance(), clock=clock)
    assert exchange.milliseconds() == 1_000_000
    assert exchange.seconds() == 1_000
    exchange.fetch_time()
    exchange.fetch_time()
    assert clock.now_ms() == 1_000_500
    exchange.sleep(1_500)
    assert exchange.milliseconds() == 1_002_000


def test_async_exchange() -> None:
    async def run() -> tuple[list[list[float]], int]:
        exchange = ccxt_async.binance(SPOT_ONLY)
        replay = CcxtReplayer().on_json_file("GET", "/api/v3/exchangeInfo", EXCHANGE_INFO)
        replay.on_json_file("GET", "/api/v3/klines", KLINES)
        replay.install(exchange, clock=ReplayClock(SINCE))
        try:
            await exchange.load_markets()
            bars = await exchange.fetch_ohlcv("BTC/USDT", "1m", since=SINCE)
            await exchange.sleep(10)
            return bars, exchange.milliseconds()
        finally:
            await exchange.close()

    bars, now = asyncio.run(run())
    assert len(bars) == 10
    assert bars[-1][0] == 1634944320000
    assert now == SINCE + 10


def test_reply_helpers() -> None:
    assert Reply("raw text").text() == "raw text"
    assert Reply(None).text() == ""
    assert Reply({}, status=429).reason_phrase() == "Too Many Requests"
    assert Reply({}, status=799).reason_phrase() == ""
    assert Reply.json_file(KLINES).body[0][0] == SINCE
    with pytest.raises(ValueError, match="at least one step"):
        CcxtReplayer().on("GET", "/api/v3/time")
