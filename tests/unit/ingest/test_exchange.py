"""make_exchange and the pure helpers of the back-fill (no requests here)."""

from __future__ import annotations

import ccxt
import pytest

from aitrader_core.errors import ExchangeError
from aitrader_core.ingest import backfill_ohlcv, make_exchange
from aitrader_core.ingest.exchange import (
    _closed_frame,
    _expected_bars,
    _next_open,
    backoff_delay,
)
from aitrader_core.testing.ccxt_replay import CcxtReplayer

MARKET = {
    "id": "BTCUSDT",
    "symbol": "BTC/USDT",
    "base": "BTC",
    "quote": "USDT",
    "type": "spot",
    "spot": True,
}


def test_make_exchange_forces_rate_limiting_and_keeps_config() -> None:
    ex = make_exchange("binance", config={"enableRateLimit": False, "timeout": 1234})
    assert isinstance(ex, ccxt.binance)
    assert ex.enableRateLimit is True
    assert ex.timeout == 1234
    assert ex.urls["api"]["public"] == "https://api.binance.com/api/v3"


def test_make_exchange_sandbox_and_markets_need_no_request() -> None:
    ex = make_exchange("binance", sandbox=True, markets={"BTC/USDT": MARKET})
    replay = CcxtReplayer()
    replay.install(ex)
    assert list(ex.load_markets()) == ["BTC/USDT"]
    assert ex.market("BTC/USDT")["id"] == "BTCUSDT"
    assert replay.requests == ()
    assert ex.urls["api"]["public"].startswith("https://testnet.binance.vision")


def test_make_exchange_refuses_unknown_ids_and_missing_sandboxes() -> None:
    with pytest.raises(ExchangeError, match="'nasdaq' is not a ccxt exchange id"):
        make_exchange("nasdaq")
    with pytest.raises(ExchangeError, match="bitstamp has no sandbox"):
        make_exchange("bitstamp", sandbox=True)


def test_backoff_is_doubling_capped_and_deterministic() -> None:
    assert [backoff_delay(i) for i in range(7)] == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert backoff_delay(2, base=0.5, cap=1.5) == 1.5


@pytest.mark.parametrize(
    ("ts", "timeframe", "expected"),
    [
        (1634943780000, "1m", 1634943840000),
        (1704067200000, "1M", 1706745600000),  # 2024-01-01 → 2024-02-01
        (1706745600000, "1M", 1709251200000),  # 2024-02-01 → 2024-03-01 (leap year)
        (1704067200000, "3M", 1711929600000),  # 2024-01-01 → 2024-04-01
        (1704672000000, "1w", 1705276800000),  # a Monday → the next Monday
    ],
)
def test_next_open(ts: int, timeframe: str, expected: int) -> None:
    step = ccxt.Exchange.parse_timeframe(timeframe) * 1000
    assert _next_open(ts, timeframe, step) == expected


def test_expected_bars_counts_closed_bars_only() -> None:
    minute = 60_000
    assert _expected_bars(0, None, 10 * minute, minute) == 10
    assert _expected_bars(0, None, 10 * minute - 1, minute) == 9
    assert _expected_bars(0, 4 * minute, 10 * minute, minute) == 4
    assert _expected_bars(5 * minute, 4 * minute, 10 * minute, minute) == 0


def test_argument_checks_happen_before_any_request() -> None:
    ex = make_exchange("binance", markets={"BTC/USDT": MARKET})
    replay = CcxtReplayer()
    replay.install(ex)
    with pytest.raises(ValueError, match="limit must be ≥ 1"):
        next(backfill_ohlcv(ex, "BTC/USDT", "1m", 0, limit=0))
    with pytest.raises(ValueError, match="max_retries must be ≥ 0"):
        next(backfill_ohlcv(ex, "BTC/USDT", "1m", 0, max_retries=-1))
    with pytest.raises(ExchangeError, match="binance has no timeframe '7m'"):
        next(backfill_ohlcv(ex, "BTC/USDT", "7m", 0))
    assert replay.requests == ()


def test_closed_frame_keeps_closed_calendar_months_only() -> None:
    jan, feb, mar = 1704067200000, 1706745600000, 1709251200000  # 2024-01/02/03-01
    rows = [[t, 1.0, 2.0, 0.5, 1.5, 10.0] for t in (mar, jan, feb)]  # unsorted on purpose
    step = ccxt.Exchange.parse_timeframe("1M") * 1000
    frame, newest = _closed_frame(rows, jan, None, mar + 86_400_000, "1M", step)
    assert frame.ts.tolist() == [jan, feb]  # March is still open on March 2nd
    assert newest == mar


def test_closed_frame_without_volume_and_with_malformed_rows() -> None:
    frame, _ = _closed_frame([[0, 1.0, 2.0, 0.5, 1.5]], 0, None, 10**12, "1m", 60_000)
    assert frame.volume.isna().tolist() == [True]
    with pytest.raises(ExchangeError, match="malformed rows"):
        _closed_frame([[0, 1.0], [60_000, 1.0, 2.0]], 0, None, 10**12, "1m", 60_000)
    with pytest.raises(ExchangeError, match="without a timestamp"):
        _closed_frame([[None, 1.0, 2.0, 0.5, 1.5, 1.0]], 0, None, 10**12, "1m", 60_000)
