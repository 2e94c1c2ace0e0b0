"""BinanceGateway specifics: what reaches Binance, error payloads, idempotency, secrets.

The real ccxt.binance class runs both ways; answers come from recorded payloads
through :class:`BinanceVenue` (see its module docstring), never the network.
"""

from __future__ import annotations

import logging
from decimal import Decimal

import ccxt
import pytest

from aitrader_core.brokers import (
    BinanceGateway,
    BrokerError,
    DuplicateOrder,
    InsufficientFunds,
    InvalidOrder,
    OrderNotFound,
    RateLimited,
    Transient,
    UnknownBrokerError,
    binance_exchange,
)
from aitrader_core.domain.orders import (
    Order,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
    client_order_id,
)
from aitrader_core.errors import ConfigError
from aitrader_core.testing.broker_checks import CHECKS, Fault, Harness, run_conformance
from aitrader_core.testing.ccxt_replay import Raise, Reply

from .binance_venue import API_KEY, API_SECRET, GATEWAY, BinanceVenue, error, recorded

SYMBOLS = ("BTC/USDT", "ETH/USDT")
ORDER = "/api/v3/order"
BTC = "BTC/USDT"


def gateway(venue: BinanceVenue, symbols: tuple[str, ...] = SYMBOLS) -> BinanceGateway:
    return BinanceGateway(venue.exchange(), symbols=symbols)


def limit(tag: str, qty: str, price: str, side: Side = Side.BUY, **kw: object) -> Order:
    return Order(client_order_id("gw", tag), BTC, side, OrderType.LIMIT, Decimal(qty),
                 Decimal(price), **kw)  # type: ignore[arg-type]  # fmt: skip


def posts(venue: BinanceVenue) -> list[dict[str, str]]:
    return [r.params for r in venue.replay.requests_to(ORDER, "POST")]


def trail(venue: BinanceVenue, since: int = 0) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in venue.replay.requests[since:]]


@pytest.fixture
def venue() -> BinanceVenue:
    return BinanceVenue()


# --- what is sent ------------------------------------------------------------------------------


@pytest.mark.parametrize(("side", "sent_price"), [(Side.BUY, "54000.12"), (Side.SELL, "66000.13")])
def test_limit_order_is_snapped_and_carries_our_client_id(
    venue: BinanceVenue, side: Side, sent_price: str
) -> None:
    gw = gateway(venue)
    if side is Side.SELL:
        gw.submit(Order(client_order_id("gw", "fund"), BTC, Side.BUY, OrderType.MARKET,
                        Decimal("0.002")))  # fmt: skip
    raw_price = "54000.129" if side is Side.BUY else "66000.121"
    order = limit("snap", "0.0012345", raw_price, side)

    placed = gw.submit(order)

    sent = posts(venue)[-1]
    assert sent["quantity"] == "0.00123"  # lot step 0.00001, truncated
    assert sent["price"] == sent_price  # tick 0.01, never more aggressive than asked
    assert sent["newClientOrderId"] == order.client_id
    assert sent["timeInForce"] == "GTC"
    assert (sent["symbol"], sent["side"], sent["type"]) == ("BTCUSDT", side.name, "LIMIT")
    assert placed.qty == Decimal("0.00123")
    assert placed.price == Decimal(sent_price)
    assert placed.status is OrderStatus.OPEN
    assert placed.client_id == order.client_id


@pytest.mark.parametrize("tif", [TimeInForce.IOC, TimeInForce.FOK])
def test_limit_time_in_force_is_sent_and_an_unmatched_ioc_expires(
    venue: BinanceVenue, tif: TimeInForce
) -> None:
    placed = gateway(venue).submit(limit(f"tif-{tif}", "0.001", "50000", tif=tif))
    assert posts(venue)[-1]["timeInForce"] == tif.name
    assert placed.status is OrderStatus.EXPIRED
    assert placed.tif is tif


def test_market_order_carries_quantity_only(venue: BinanceVenue) -> None:
    order = Order(client_order_id("gw", "mkt"), BTC, Side.BUY, OrderType.MARKET,
                  Decimal("0.0004567"), tif=TimeInForce.IOC)  # fmt: skip

    filled = gateway(venue).submit(order)

    sent = posts(venue)[-1]
    assert sent["type"] == "MARKET"
    assert sent["quantity"] == "0.00045"
    for absent in ("timeInForce", "price", "quoteOrderQty", "stopPrice"):
        assert absent not in sent
    assert filled.status is OrderStatus.FILLED
    assert filled.avg_price == Decimal("60741.68")  # the recorded ask
    assert filled.filled_qty == Decimal("0.00045")


def test_stop_limit_goes_as_stop_loss_limit(venue: BinanceVenue) -> None:
    order = Order(client_order_id("gw", "stop"), BTC, Side.BUY, OrderType.STOP_LIMIT,
                  Decimal("0.001"), price=Decimal("62000.509"),
                  stop_price=Decimal("61999.996"))  # fmt: skip

    placed = gateway(venue).submit(order)

    sent = posts(venue)[-1]
    assert (sent["type"], sent["price"], sent["stopPrice"]) == (
        "STOP_LOSS_LIMIT",
        "62000.5",
        "62000",
    )
    assert sent["timeInForce"] == "GTC"
    assert placed.type is OrderType.STOP_LIMIT
    assert placed.stop_price == Decimal("62000")
    assert placed.status is OrderStatus.OPEN


def test_stop_market_not_offered_by_the_market_is_refused_before_sending(
    venue: BinanceVenue,
) -> None:
    # The recorded BTCUSDT orderTypes lack STOP_LOSS; ccxt checks before sending.
    order = Order(client_order_id("gw", "stopmkt"), BTC, Side.SELL, OrderType.STOP,
                  Decimal("0.001"), stop_price=Decimal("55000"))  # fmt: skip
    with pytest.raises(InvalidOrder, match="not allowed"):
        gateway(venue).submit(order)
    assert posts(venue) == []


@pytest.mark.parametrize(
    ("order", "reason"),
    [
        (Order("ait-x", "DOGE/USDT", Side.BUY, OrderType.LIMIT, Decimal(100), Decimal(1)),
         "no spot market 'DOGE/USDT'"),
        (Order("has space", BTC, Side.BUY, OrderType.LIMIT, Decimal("0.001"), Decimal(50000)),
         "client id must match"),
        (Order("x" * 37, BTC, Side.BUY, OrderType.LIMIT, Decimal("0.001"), Decimal(50000)),
         "client id must match"),
        (Order("ait-ref", BTC, Side.BUY, OrderType.MARKET, Decimal("0.0001"),
               price=Decimal(60000)), "notional 6.00000 below the minimum 10.0"),
        (Order("ait-nostop", BTC, Side.BUY, OrderType.STOP_LIMIT, Decimal("0.001"),
               price=Decimal(60000)), "needs a stop price"),
        (limit("sub-lot", "0.000009", "60000"), "quantity must be positive"),
    ],
)  # fmt: skip
def test_refused_before_anything_is_sent(venue: BinanceVenue, order: Order, reason: str) -> None:
    gw = gateway(venue)
    gw.instruments()
    before = venue.requests_seen()
    with pytest.raises(InvalidOrder, match=reason):
        gw.submit(order)
    assert venue.requests_seen() == before


def test_market_order_without_reference_price_is_checked_by_the_venue(
    venue: BinanceVenue,
) -> None:
    order = Order(client_order_id("gw", "tinymkt"), BTC, Side.BUY, OrderType.MARKET,
                  Decimal("0.0001"))  # fmt: skip
    with pytest.raises(InvalidOrder, match="MIN_NOTIONAL"):
        gateway(venue).submit(order)
    assert len(posts(venue)) == 1
    assert venue.orders_with_client_id(order.client_id) == 0


# --- idempotency -------------------------------------------------------------------------------


def test_retry_after_a_timeout_finds_the_order_and_posts_once(venue: BinanceVenue) -> None:
    gw = gateway(venue)
    order = limit("timeout", "0.001", "54000")
    venue.fail_next_submit(Fault.TIMEOUT_AFTER_ACCEPT)  # Binance took it; the answer was lost
    with pytest.raises(Transient, match="RequestTimeout"):
        gw.submit(order)
    mark = len(venue.replay.requests)

    placed = gw.submit(order)

    assert len(posts(venue)) == 1  # exactly one POST /api/v3/order ever reached the venue
    assert trail(venue, mark) == [("GET", ORDER)]  # the retry only looked
    assert venue.replay.requests[-1].params["origClientOrderId"] == order.client_id
    assert placed.status is OrderStatus.OPEN
    assert venue.orders_with_client_id(order.client_id) == 1


def test_retry_after_a_lost_request_looks_before_posting(venue: BinanceVenue) -> None:
    gw = gateway(venue)
    order = limit("lost", "0.001", "54000")
    venue.fail_next_submit(Fault.TIMEOUT)  # never reached Binance
    with pytest.raises(Transient):
        gw.submit(order)
    mark = len(venue.replay.requests)

    placed = gw.submit(order)

    assert trail(venue, mark) == [("GET", ORDER), ("POST", ORDER)]
    assert venue.replay.requests[mark].status == 400  # -2013: not there, so posting is safe
    assert placed.status is OrderStatus.OPEN
    assert venue.orders_with_client_id(order.client_id) == 1


def test_duplicate_refusal_returns_the_existing_order(venue: BinanceVenue) -> None:
    order = limit("race", "0.001", "54000")
    first = gateway(venue).submit(order)
    # Another process placed it between our look and our post: the look misses it.
    venue.next_reply("GET", ORDER, error("order_does_not_exist"))
    mark = len(venue.replay.requests)

    again = gateway(venue).submit(order)

    assert trail(venue, mark)[-3:] == [("GET", ORDER), ("POST", ORDER), ("GET", ORDER)]
    assert venue.replay.requests_to(ORDER, "POST")[-1].status == 400  # Duplicate order sent.
    assert again.venue_id == first.venue_id
    assert venue.orders_with_client_id(order.client_id) == 1


def test_a_client_id_reused_for_another_order_is_a_duplicate_error(venue: BinanceVenue) -> None:
    gw = gateway(venue)
    order = limit("reuse", "0.001", "54000")
    gw.submit(order)
    other = limit("reuse", "0.002", "54000")
    with pytest.raises(DuplicateOrder, match=r"already used at binance by buy limit 0\.001"):
        gw.submit(other)
    assert len(posts(venue)) == 1


def test_an_acknowledged_order_the_venue_forgot_is_not_sent_again(venue: BinanceVenue) -> None:
    gw = gateway(venue)
    order = limit("archived", "0.001", "54000")
    gw.submit(order)
    venue.next_reply("GET", ORDER, error("order_does_not_exist"))
    with pytest.raises(InvalidOrder, match="not resent"):
        gw.submit(order)
    assert len(posts(venue)) == 1


def test_cancel_of_a_filled_order_returns_it_filled(venue: BinanceVenue) -> None:
    gw = gateway(venue)
    order = limit("fill-then-cancel", "0.001", "54000")
    gw.submit(order)
    venue.fill(order.client_id)
    done = gw.cancel(order.client_id, BTC)
    assert done.status is OrderStatus.FILLED
    assert [r.status for r in venue.replay.requests_to(ORDER, "DELETE")] == [400]  # -2011


# --- errors ------------------------------------------------------------------------------------

SUBMIT_ERRORS = {
    "insufficient_balance": InsufficientFunds,
    "min_notional": InvalidOrder,
    "notional": InvalidOrder,
    "lot_size": InvalidOrder,
    "price_filter": InvalidOrder,
    "percent_price": InvalidOrder,
    "invalid_symbol": InvalidOrder,
    "too_many_requests": RateLimited,
    "ip_banned": RateLimited,
    "order_does_not_exist": OrderNotFound,
    "unknown_order": OrderNotFound,
    "invalid_api_key": UnknownBrokerError,
    "bad_signature": UnknownBrokerError,
    "outside_recv_window": Transient,
    "internal_error": Transient,
    "backend_timeout": Transient,
    "service_unavailable": Transient,
}


def test_every_recorded_error_payload_is_covered() -> None:
    assert set(recorded(GATEWAY / "errors.json")) == {*SUBMIT_ERRORS, "duplicate_order"}


@pytest.mark.parametrize(("name", "expected"), SUBMIT_ERRORS.items(), ids=list(SUBMIT_ERRORS))
def test_error_payload_maps_to_its_class(
    venue: BinanceVenue, name: str, expected: type[BrokerError]
) -> None:
    order = limit(f"err-{name}", "0.001", "54000")
    venue.next_reply("POST", ORDER, error(name))
    with pytest.raises(BrokerError) as caught:
        gateway(venue).submit(order)
    assert type(caught.value) is expected
    assert str(caught.value).startswith(f"binance submit {order.client_id}: ")
    if expected is RateLimited:
        assert caught.value.retry_after_s == {"too_many_requests": 7.0, "ip_banned": 120.0}[name]  # type: ignore[attr-defined]
    assert venue.orders_with_client_id(order.client_id) == 0


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (ccxt.RequestTimeout, Transient),
        (ccxt.ExchangeNotAvailable, Transient),
        (ccxt.NetworkError, Transient),
        (ccxt.RateLimitExceeded, RateLimited),
        (ccxt.DDoSProtection, RateLimited),
    ],
)
def test_transport_errors_map_to_their_class(
    venue: BinanceVenue, raised: type[Exception], expected: type[BrokerError]
) -> None:
    venue.next_reply("POST", ORDER, Raise(raised))
    with pytest.raises(expected):
        gateway(venue).submit(limit(f"raise-{raised.__name__}", "0.001", "54000"))


def test_read_errors_are_mapped_too(venue: BinanceVenue) -> None:
    gw = gateway(venue)
    venue.next_reply("GET", "/api/v3/account", error("too_many_requests"))
    with pytest.raises(RateLimited) as caught:
        gw.balances()
    assert caught.value.retry_after_s == 7.0
    venue.next_reply("GET", "/api/v3/openOrders", error("service_unavailable"))
    with pytest.raises(Transient, match="ExchangeNotAvailable"):
        gw.open_orders()
    venue.next_reply("GET", "/api/v3/myTrades", Raise(ccxt.RequestTimeout))
    with pytest.raises(Transient):
        gw.fills_since(0, BTC)
    venue.next_reply("GET", "/api/v3/exchangeInfo", error("internal_error"))
    with pytest.raises(Transient):
        gateway(venue).instruments()


def test_ping(venue: BinanceVenue, caplog: pytest.LogCaptureFixture) -> None:
    gw = gateway(venue)
    assert gw.ping() is True
    venue.next_reply("GET", "/api/v3/ping", error("service_unavailable"))
    venue.next_reply("GET", "/api/v3/ping", Raise(ccxt.RequestTimeout))
    with caplog.at_level(logging.WARNING, logger="aitrader_core.brokers"):
        assert gw.ping() is False
        assert gw.ping() is False
    assert "binance ping: ExchangeNotAvailable" in caplog.text
    assert gw.ping() is True
    assert [r.path for r in venue.replay.requests] == ["/api/v3/ping"] * 4


# --- secrets -----------------------------------------------------------------------------------


def test_keys_never_reach_logs_reprs_or_errors(
    venue: BinanceVenue, caplog: pytest.LogCaptureFixture
) -> None:
    texts: list[str] = []
    refusals: list[str] = []
    with caplog.at_level(logging.DEBUG):
        gw = gateway(venue)
        texts += [repr(gw), str(gw)]
        gw.submit(limit("secret-ok", "0.001", "54000"))
        gw.balances()
        gw.fills_since(0)
        gw.ping()
        # A venue that echoes the key back, an auth refusal, a rate limit, a timeout:
        venue.next_reply("POST", ORDER, Reply({"code": -2015, "msg": f"bad key {API_KEY}"}, 401))
        venue.next_reply("POST", ORDER, error("invalid_api_key"))
        venue.next_reply("POST", ORDER, error("too_many_requests"))
        venue.next_reply("POST", ORDER, Raise(ccxt.RequestTimeout))
        for n in range(4):
            with pytest.raises(BrokerError) as caught:
                gw.submit(limit(f"secret-{n}", "0.001", "54000"))
            refusals.append(str(caught.value))
            texts += [str(caught.value), repr(caught.value), str(caught.value.__cause__)]
    texts.append(caplog.text)
    assert "bad key ***" in refusals[0]  # the echoed key was scrubbed
    assert caplog.records, "nothing was logged: the check would prove nothing"
    for text in texts:
        assert API_KEY not in text
        assert API_SECRET not in text
    assert gw.exchange.verbose is False  # ccxt's verbose mode would print request headers
    assert venue.replay.requests[-1].headers["X-MBX-APIKEY"] == API_KEY  # the key was used


# --- reads -------------------------------------------------------------------------------------


def test_fills_page_by_trade_id(venue: BinanceVenue) -> None:
    gw = gateway(venue)
    order = limit("many", "0.015", "54000")
    gw.submit(order)
    venue.fill(order.client_id, parts=1_500)  # all in one millisecond: time paging would stall

    fills = gw.fills_since(0, BTC)

    assert len(fills) == 1_500
    assert len({f.trade_id for f in fills}) == 1_500
    assert sum(f.qty for f in fills) == Decimal("0.015")
    assert {f.client_id for f in fills} == {order.client_id}
    pages = [r.params for r in venue.replay.requests_to("/api/v3/myTrades")]
    assert [(p.get("startTime"), p.get("fromId"), p["limit"]) for p in pages] == [
        ("0", None, "1000"),
        (None, str(int(fills[999].trade_id) + 1), "1000"),
    ]


def test_fills_of_orders_from_another_session_are_looked_up_once(venue: BinanceVenue) -> None:
    order = Order(client_order_id("gw", "old"), BTC, Side.BUY, OrderType.MARKET, Decimal("0.001"))
    gateway(venue).submit(order)
    later = gateway(venue)  # a restart: this gateway never saw the order

    first = later.fills_since(0, BTC)
    second = later.fills_since(0, BTC)

    assert [f.client_id for f in first] == [order.client_id] == [f.client_id for f in second]
    lookups = [r.params for r in venue.replay.requests_to(ORDER, "GET") if "orderId" in r.params]
    assert len(lookups) == 1
    fill = first[0]
    assert (fill.qty, fill.price, fill.fee, fill.fee_asset) == (
        Decimal("0.00100000"),
        Decimal("60741.68000000"),
        Decimal("0.00000100"),
        "BTC",
    )


def test_fills_since_without_symbol_reads_each_configured_symbol(venue: BinanceVenue) -> None:
    gateway(venue).fills_since(0)
    assert [r.params["symbol"] for r in venue.replay.requests_to("/api/v3/myTrades")] == [
        "BTCUSDT", "ETHUSDT"
    ]  # fmt: skip
    with pytest.raises(ConfigError, match="needs a symbol"):
        BinanceGateway(venue.exchange()).fills_since(0)


def test_balances_are_exact_and_zero_ones_omitted() -> None:
    venue = BinanceVenue(usdt="4723846.89208129")  # the documented account's BTC amount
    balances = gateway(venue).balances()
    assert balances["USDT"].free == Decimal("4723846.89208129")
    assert balances["USDT"].locked == 0
    assert sorted(balances) == ["BNB", "USDT"]


def test_positions_are_base_balances_of_quoted_markets(venue: BinanceVenue) -> None:
    gw = gateway(venue)
    assert gw.positions() == {}  # BNB has no BNB/USDT market here; USDT is cash
    gw.submit(Order(client_order_id("gw", "pos"), BTC, Side.BUY, OrderType.MARKET,
                    Decimal("0.001")))  # fmt: skip
    (position,) = gw.positions().values()
    assert position.symbol == BTC
    assert position.qty == Decimal("0.000999")  # 0.001 less the 0.1 % fee Binance takes in BTC
    assert position.avg_entry == 0


def test_open_orders_for_the_whole_account_send_no_symbol(venue: BinanceVenue) -> None:
    gw = gateway(venue)
    gw.submit(limit("open-all", "0.001", "54000"))
    assert [o.client_id for o in gw.open_orders()] == [client_order_id("gw", "open-all")]
    assert "symbol" not in venue.replay.requests_to("/api/v3/openOrders")[-1].params


def test_instruments_come_from_the_recorded_exchange_info(venue: BinanceVenue) -> None:
    gw = gateway(venue)
    btc, eth = gw.instruments()["BTC/USDT"], gw.instruments()["ETH/USDT"]
    assert (btc.price_tick, btc.qty_step, btc.min_qty, btc.min_notional) == (
        Decimal("0.01"), Decimal("0.00001"), Decimal("0.00001"), Decimal(10)
    )  # fmt: skip
    assert (eth.base, eth.quote, eth.qty_step) == ("ETH", "USDT", Decimal("0.0001"))
    assert len(venue.replay.requests_to("/api/v3/exchangeInfo")) == 1  # loaded once
    assert list(gateway(venue, symbols=("ETH/USDT",)).instruments()) == ["ETH/USDT"]
    with pytest.raises(ConfigError, match="no spot market DOGE/USDT"):
        gateway(venue, symbols=("DOGE/USDT",)).instruments()


def test_recorded_create_order_answer_is_read_exactly(venue: BinanceVenue) -> None:
    answer = recorded(GATEWAY / "order_new_limit_btcusdt.json")
    venue.next_reply("POST", ORDER, Reply(answer))
    order = Order(answer["clientOrderId"], BTC, Side.BUY, OrderType.LIMIT,
                  Decimal("0.00037"), Decimal("54000"))  # fmt: skip

    placed = gateway(venue).submit(order)

    assert placed.venue_id == "9780331417"
    assert placed.created_ms == 1737635557417
    assert (placed.status, placed.qty, placed.price) == (
        OrderStatus.OPEN, Decimal("0.00037"), Decimal("54000")
    )  # fmt: skip
    assert placed.client_id == order.client_id


# --- construction ------------------------------------------------------------------------------


def test_testnet_flag_must_match_the_exchange() -> None:
    with pytest.raises(ConfigError, match=r"testnet=True\) given an exchange on mainnet"):
        BinanceGateway(binance_exchange(testnet=False), testnet=True)
    with pytest.raises(ConfigError, match=r"testnet=False\) given an exchange on the testnet"):
        BinanceGateway(binance_exchange(testnet=True), testnet=False)
    with pytest.raises(ConfigError, match="needs a ccxt binance"):
        BinanceGateway(ccxt.kraken())
    assert BinanceGateway(binance_exchange(testnet=False), testnet=False).testnet is False


# --- the suite can fail ------------------------------------------------------------------------


class ForgetfulGateway(BinanceGateway):
    """Never finds an order by client id: it trusts the venue's duplicate check alone."""

    def resolve(self, client_id: str, symbol: str) -> Order | None:
        return None


class SloppyGateway(BinanceGateway):
    """Reports every venue refusal as a generic error."""

    def submit(self, order: Order) -> Order:
        try:
            return super().submit(order)
        except BrokerError as exc:
            raise UnknownBrokerError(str(exc)) from exc


@pytest.mark.parametrize(
    ("cls", "failing"),
    [
        (ForgetfulGateway, {"same_client_id_twice_is_one_order",
                            "filled_order_is_not_traded_again",
                            "lost_answer_resolves_to_the_order"}),
        (SloppyGateway, {"insufficient_funds_is_refused", "venue_rejection_is_invalid_order",
                         "rate_limit_is_rate_limited", "lost_request_resolves_to_nothing",
                         "lost_answer_resolves_to_the_order", "below_minimums_never_leave"}),
    ],
)  # fmt: skip
def test_the_suite_catches_broken_gateways(cls: type[BinanceGateway], failing: set[str]) -> None:
    def make() -> Harness:
        venue = BinanceVenue()
        return Harness(venue, lambda: cls(venue.exchange(), symbols=SYMBOLS))

    with pytest.raises(AssertionError) as caught:
        run_conformance(make)

    reported = {line.split(":")[0] for line in str(caught.value).splitlines()[1:]}
    assert reported == failing
    assert run_conformance(make, checks=[c for c in CHECKS if c.name not in failing]) == [
        c.name for c in CHECKS if c.name not in failing
    ]
