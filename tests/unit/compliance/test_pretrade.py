"""Pre-trade compliance: each rule denies with its reason; nothing allowed breaks a limit."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from aitrader_core.compliance.pretrade import (
    MarketContext,
    PretradeCheck,
    PretradeConfig,
    TradingWindow,
)
from aitrader_core.domain.orders import Side
from aitrader_core.risk.guard import Proposal

D = Decimal
MONDAY_NOON = 1_704_110_400_000  # 2024-01-01 12:00 UTC, a Monday
CTX = MarketContext(last_trade_price=D(100), recent_volume=D(50), now_ms=MONDAY_NOON)
WEEKDAYS_9_17 = {"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:00"}


def order(side: Side = Side.BUY, qty: str = "1", price: str = "100", stop: str | None = "95",
          symbol: str = "BTC/USDT") -> Proposal:  # fmt: skip
    return Proposal("s", symbol, side, D(qty), D(price), None if stop is None else D(stop))


def at(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


@pytest.mark.parametrize(
    ("config", "proposal", "ctx", "rule"),
    [
        ({"restricted_symbols": ["BTC/USDT"]}, order(), CTX, "restricted_symbol"),
        ({"restricted_symbols": ["BTC/USDT"]}, order(symbol="btcusdt"), CTX, "restricted_symbol"),
        ({"max_order_notional": "99"}, order(), CTX, "max_order_notional"),
        ({"price_band": "0.05"}, order(price="106", stop="100"), CTX, "price_band"),
        ({"price_band": "0.05"}, order(price="94", stop="90"), CTX, "price_band"),
        ({"price_band": "0.05"}, order(), MarketContext(None, D(50), MONDAY_NOON), "price_band"),
        ({"max_volume_share": "0.1"}, order(qty="5.01"), CTX, "volume_share"),
        ({"max_volume_share": "0.1"}, order(), MarketContext(D(100), None, MONDAY_NOON),
         "volume_share"),
        ({"trading_windows": [WEEKDAYS_9_17]}, order(), MarketContext(D(100), D(50),
         at("2024-01-06T12:00")), "trading_window"),
        ({"min_stop_distance": "0.01"}, order(stop=None), CTX, "stop_distance"),
        ({"min_stop_distance": "0.01"}, order(stop="99.5"), CTX, "stop_distance"),
        ({"min_stop_distance": "0.01"}, order(stop="101"), CTX, "stop_distance"),
        ({"min_stop_distance": "0.01"}, order(Side.SELL, stop="99"), CTX, "stop_distance"),
        ({}, order(qty="0"), CTX, "input"),
    ],
)  # fmt: skip
def test_each_rule_denies_with_its_name_and_a_reason(config, proposal, ctx, rule) -> None:
    decision = PretradeCheck(PretradeConfig(**config)).check(proposal, ctx)
    assert not decision.allowed
    assert decision.rule == rule
    assert decision.reason


def test_orders_at_the_limits_pass() -> None:
    check = PretradeCheck(
        PretradeConfig(
            restricted_symbols=["ETH/USDT"],
            max_order_notional=D(500),
            price_band=D("0.05"),
            max_volume_share=D("0.1"),
            trading_windows=[WEEKDAYS_9_17],
            min_stop_distance=D("0.01"),
        )
    )
    assert check.check(order(qty="5", price="100", stop="99"), CTX).allowed
    assert check.check(order(qty="1", price="105", stop="103"), CTX).allowed
    assert check.check(order(Side.SELL, qty="1", price="95", stop="96"), CTX).allowed
    assert check.check(order(), CTX).rule == "ok"


def test_reducing_orders_flatten_outside_windows_and_restrictions_but_not_fat_fingers() -> None:
    check = PretradeCheck(
        PretradeConfig(
            restricted_symbols=["BTC/USDT"],
            trading_windows=[WEEKDAYS_9_17],
            min_stop_distance=D("0.01"),
            max_order_notional=D(1000),
            price_band=D("0.05"),
        )
    )
    night = MarketContext(D(100), D(50), at("2024-01-06T03:00"))
    close = order(Side.SELL, qty="2", stop=None)
    assert not check.check(close, night).allowed
    assert check.check(close, night, reducing=True).allowed
    assert check.check(order(Side.SELL, qty="20", stop=None), night, reducing=True).rule == (
        "max_order_notional"
    )
    assert check.check(order(Side.SELL, price="50", stop=None), night, reducing=True).rule == (
        "price_band"
    )


@pytest.mark.parametrize(
    ("window", "when", "inside"),
    [
        (WEEKDAYS_9_17, "2024-01-01T09:00", True),
        (WEEKDAYS_9_17, "2024-01-01T16:59", True),
        (WEEKDAYS_9_17, "2024-01-01T17:00", False),
        (WEEKDAYS_9_17, "2024-01-01T08:59", False),
        (WEEKDAYS_9_17, "2024-01-07T12:00", False),  # Sunday
        ({"days": [6], "start": "22:00", "end": "02:00"}, "2024-01-07T23:30", True),
        ({"days": [6], "start": "22:00", "end": "02:00"}, "2024-01-08T01:59", True),  # Monday
        ({"days": [6], "start": "22:00", "end": "02:00"}, "2024-01-08T02:00", False),
        ({"days": [6], "start": "22:00", "end": "02:00"}, "2024-01-07T01:00", False),
        ({"days": [0], "start": "00:00", "end": "24:00"}, "2024-01-01T23:59", True),
    ],
)
def test_trading_windows_are_utc_half_open_and_may_run_overnight(window, when, inside) -> None:
    check = PretradeCheck(PretradeConfig(trading_windows=[window]))
    decision = check.check(order(), MarketContext(None, None, at(when)))
    assert decision.allowed is inside
    if not inside:
        assert "UTC is outside the trading windows" in decision.reason


def test_no_windows_means_always_open() -> None:
    assert PretradeCheck(PretradeConfig()).check(order(stop=None), CTX).allowed


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"trading_windows": [{"days": [0], "start": "9:00", "end": "17:00"}]}, "HH:MM"),
        ({"trading_windows": [{"days": [0], "start": "25:00", "end": "17:00"}]}, "HH:MM"),
        ({"trading_windows": [{"days": [0], "start": "10:00", "end": "10:00"}]}, "equals end"),
        ({"trading_windows": [{"days": [0], "start": "24:00", "end": "10:00"}]}, "before 24:00"),
        ({"trading_windows": [{"days": [7], "start": "09:00", "end": "10:00"}]}, "less than"),
        ({"trading_windows": [{"days": [], "start": "09:00", "end": "10:00"}]}, "at least 1"),
        ({"restricted_symbols": ["not a symbol"]}, "is not a symbol"),
        ({"restricted_symbols": "BTC/USDT"}, "list of symbols"),
        ({"max_order_notional": "-1"}, "greater than 0"),
        ({"price_band": "0"}, "greater than 0"),
        ({"max_volume_share": "2"}, "less than or equal to 1"),
        ({"min_stop_distance": "1"}, "less than 1"),
        ({"max_notional": "1"}, "Extra inputs are not permitted"),
    ],
)
def test_configuration_errors_are_clear(config, message) -> None:
    with pytest.raises(ValidationError, match=message):
        PretradeConfig(**config)


def test_configuration_is_frozen_and_symbols_normalized() -> None:
    config = PretradeConfig(restricted_symbols=["lunausdt", "ETH-USDT"])
    assert config.restricted_symbols == {"LUNA/USDT", "ETH/USDT"}
    with pytest.raises(ValidationError):
        config.price_band = D("0.1")  # type: ignore[misc]
    assert PretradeConfig.model_validate(config.model_dump()) == config


# -- property: whatever is allowed respects every configured limit ---------------------------

amounts = st.decimals(min_value=D("0.01"), max_value=D(1000), places=2)
quantities = st.decimals(min_value=D("0.01"), max_value=D(100), places=2)
fractions = st.decimals(min_value=D("0.01"), max_value=D("0.5"), places=2)
window = st.builds(
    lambda days, start, length: TradingWindow(
        days=days, start=f"{start // 60:02d}:{start % 60:02d}",
        end=f"{(start + length) % 1440 // 60:02d}:{(start + length) % 60:02d}"),
    st.frozensets(st.integers(0, 6), min_size=1),
    st.integers(0, 1439),
    st.integers(1, 1439),
)  # fmt: skip
configs = st.builds(
    PretradeConfig,
    restricted_symbols=st.sets(st.sampled_from(["BTC/USDT", "ETH/USDT"]), max_size=1),
    max_order_notional=st.none() | st.decimals(min_value=D(1), max_value=D(200_000), places=2),
    price_band=st.none() | fractions,
    max_volume_share=st.none() | fractions,
    trading_windows=st.lists(window, max_size=3).map(tuple),
    min_stop_distance=st.none() | st.decimals(min_value=D("0.001"), max_value=D("0.2"), places=3),
)


@st.composite
def orders_in_markets(draw: st.DrawFn) -> tuple[Proposal, MarketContext]:
    """Prices near the last trade and stops near the price, so every rule is exercised."""
    last = draw(amounts)
    price = (last * (1 + draw(st.decimals(D("-0.1"), D("0.1"), places=3)))).quantize(D("0.01"))
    side = draw(st.sampled_from(Side))
    stop_gap = draw(st.none() | st.decimals(D("-0.05"), D("0.3"), places=3))
    stop = None if stop_gap is None else (price * (1 - side.sign * stop_gap)).quantize(D("0.01"))
    p = Proposal("s", draw(st.sampled_from(["BTC/USDT", "ETH/USDT", "SOL/USDT"])), side,
                 draw(quantities), max(price, D("0.01")), stop)  # fmt: skip
    ctx = MarketContext(
        last_trade_price=draw(st.sampled_from([last, last, None]) | amounts),
        recent_volume=draw(st.none() | st.decimals(min_value=D(0), max_value=D(10_000), places=2)),
        now_ms=draw(st.integers(1_600_000_000_000, 1_900_000_000_000)),
    )
    return p, ctx


@settings(max_examples=400, deadline=None)
@given(config=configs, case=orders_in_markets(), reducing=st.booleans())
def test_nothing_allowed_breaks_a_configured_limit(config, case, reducing) -> None:
    p, ctx = case
    decision = PretradeCheck(config).check(p, ctx, reducing=reducing)
    if not decision.allowed:
        assert decision.rule in {"restricted_symbol", "max_order_notional", "price_band",
                                 "volume_share", "trading_window", "stop_distance"}  # fmt: skip
        assert decision.reason
        return
    if config.max_order_notional is not None:
        assert p.qty * p.price <= config.max_order_notional
    if config.price_band is not None:
        assert ctx.last_trade_price is not None
        assert abs(p.price / ctx.last_trade_price - 1) <= config.price_band
    if config.max_volume_share is not None:
        assert ctx.recent_volume is not None
        assert p.qty <= config.max_volume_share * ctx.recent_volume
    if reducing:
        return
    assert p.symbol not in config.restricted_symbols
    if config.trading_windows:
        assert _open_at(config.trading_windows, ctx.now_ms)
    if config.min_stop_distance is not None:
        assert p.stop_price is not None
        assert (p.price - p.stop_price) * p.side.sign >= config.min_stop_distance * p.price


def _open_at(windows: tuple[TradingWindow, ...], now_ms: int) -> bool:
    """An independent oracle: windows as intervals of the minute of the week."""
    when = datetime.fromtimestamp(now_ms // 1000, tz=UTC)
    m = when.weekday() * 1440 + when.hour * 60 + when.minute
    for w in windows:
        start = int(w.start[:2]) * 60 + int(w.start[3:])
        end = int(w.end[:2]) * 60 + int(w.end[3:])
        for day in w.days:
            lo = day * 1440 + start
            hi = day * 1440 + end + (0 if end > start else 1440)
            if lo <= m < hi or lo <= m + 7 * 1440 < hi:
                return True
    return False
