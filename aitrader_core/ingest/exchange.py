"""Back-fill OHLCV bars from an exchange through ccxt's ``fetch_ohlcv``.

:func:`make_exchange` builds a rate-limited ccxt exchange (optionally on its
testnet, optionally with recorded markets so ``load_markets`` needs no call);
:func:`backfill_ohlcv` pages through ``fetch_ohlcv`` and yields each batch of
*closed* bars as a DataFrame in the column contract of
:mod:`aitrader_core.ingest.formats`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import ccxt
import numpy as np
import pandas as pd
from tqdm import tqdm

from aitrader_core.errors import ExchangeError
from aitrader_core.ingest.formats import ohlcv_frame

log = logging.getLogger(__name__)

#: ccxt errors worth retrying: RequestTimeout, ExchangeNotAvailable (incl. OnMaintenance),
#: DDoSProtection and RateLimitExceeded all derive from NetworkError.
RETRYABLE_ERRORS: tuple[type[Exception], ...] = (ccxt.NetworkError,)
#: First back-off delay in seconds; it doubles on every retry up to BACKOFF_MAX_S.
BACKOFF_BASE_S = 1.0
BACKOFF_MAX_S = 30.0


def make_exchange(
    exchange_id: str = "binance",
    *,
    sandbox: bool = False,
    markets: dict[str, Any] | None = None,
    config: dict[str, Any] | None = None,
) -> ccxt.Exchange:
    """Build a ccxt exchange with its rate limiter on.

    Parameters
    ----------
    exchange_id
        A ccxt id (``"binance"``, ``"kraken"``...).
    sandbox
        Use the exchange's testnet URLs (``ExchangeError`` if it has none).
    markets
        Unified markets as ccxt keeps them (``exchange.markets``, symbol →
        market); given, ``load_markets()`` makes no network call.
    config
        Extra ccxt settings (``apiKey``, ``secret``, ``options``, ``timeout``...).
        ``enableRateLimit`` is always on.

    Returns
    -------
    ccxt.Exchange
        A synchronous ccxt exchange.

    Examples
    --------
    >>> ex = make_exchange("binance", sandbox=True)
    >>> ex.enableRateLimit, ex.urls["api"]["public"]
    (True, 'https://testnet.binance.vision/api/v3')
    """
    if exchange_id not in ccxt.exchanges:
        raise ExchangeError(f"{exchange_id!r} is not a ccxt exchange id (e.g. 'binance')")
    settings = {**(config or {}), "enableRateLimit": True}
    exchange: ccxt.Exchange = getattr(ccxt, exchange_id)(settings)
    if sandbox:
        # ccxt lists urls["test"] = None for exchanges without one, and then fails
        # with a TypeError instead of NotSupported: check first.
        if not exchange.urls.get("test"):
            raise ExchangeError(f"{exchange_id} has no sandbox/testnet in ccxt")
        exchange.set_sandbox_mode(True)
    if markets is not None:
        exchange.set_markets(markets)
    return exchange


def backoff_delay(retry: int, base: float = BACKOFF_BASE_S, cap: float = BACKOFF_MAX_S) -> float:
    """Seconds to wait before retry number ``retry`` (0-based): doubling, capped, no jitter.

    Examples
    --------
    >>> [backoff_delay(i) for i in range(7)]
    [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    """
    return float(min(cap, base * 2.0**retry))


def backfill_ohlcv(
    exchange: ccxt.Exchange,
    symbol: str,
    timeframe: str,
    since_ms: int,
    until_ms: int | None = None,
    *,
    limit: int = 1000,
    max_retries: int = 5,
    sleep: Callable[[float], None] = time.sleep,
    progress: bool = False,
) -> Iterator[pd.DataFrame]:
    """Yield closed bars from ``since_ms`` on, page by page, as DataFrames.

    Pages through ``exchange.fetch_ohlcv(symbol, timeframe, since=..., limit=...)``,
    moving ``since`` to the open of the bar after the newest one returned, so no
    bar is yielded twice. Stops at ``until_ms``, when the exchange returns no
    newer bar, or at the present. A bar still open at the exchange's
    ``milliseconds()`` when the back-fill starts is never yielded.

    Parameters
    ----------
    exchange
        A ccxt exchange, e.g. from :func:`make_exchange` (its ``enableRateLimit``
        throttles requests).
    symbol, timeframe
        Unified symbol (``"BTC/USDT"``) and ccxt timeframe (``"5m"``).
    since_ms
        Earliest bar open time wanted, epoch ms UTC (inclusive).
    until_ms
        Bars opening at or after this time are not wanted (exclusive bound), so
        ``[a, b)`` and ``[b, c)`` back-fills join without overlap. ``None``: up to
        the newest closed bar.
    limit
        Bars asked for per request.
    max_retries
        Retries of one request on timeouts, unavailability and rate limiting
        (ccxt ``NetworkError``), waiting :func:`backoff_delay` seconds (1, 2,
        4, ... up to 30) through ``sleep`` before each.
    sleep
        Called with the back-off delay in seconds; inject a fake in tests.
    progress
        Show a tqdm bar; its total is the number of bars expected.

    Yields
    ------
    pandas.DataFrame
        ``ts, open, high, low, close, volume`` (int64 ms, float64), ascending,
        one frame per non-empty page.

    Raises
    ------
    aitrader_core.errors.ExchangeError
        A request still failed after ``max_retries`` retries, the exchange
        refused it (bad symbol, ...), or the timeframe is not offered.

    Examples
    --------
    Offline, with a Binance answer replayed into the real ccxt class; "now" is
    mid-way through the next bar, so that one is still open:

    >>> from aitrader_core.clock import ReplayClock
    >>> from aitrader_core.testing.ccxt_replay import CcxtReplayer
    >>> market = {"id": "BTCUSDT", "symbol": "BTC/USDT", "base": "BTC", "quote": "USDT",
    ...           "type": "spot", "spot": True}
    >>> ex = make_exchange("binance", markets={"BTC/USDT": market})
    >>> kline = [1634943780000, "60685.22", "60729.84", "60670.9", "60719.27", "21.6",
    ...          1634943839999, "1313200.0", 617, "12.2", "745719.4", "0"]
    >>> _ = CcxtReplayer().on("GET", "/api/v3/klines", [kline]).install(
    ...     ex, clock=ReplayClock(1634943870000))
    >>> frames = list(backfill_ohlcv(ex, "BTC/USDT", "1m", since_ms=1634943780000))
    >>> frames[0].ts.tolist(), frames[0].close.tolist()
    ([1634943780000], [60719.27])
    """
    if limit < 1:
        raise ValueError(f"limit must be ≥ 1, got {limit}")
    if max_retries < 0:
        raise ValueError(f"max_retries must be ≥ 0, got {max_retries}")
    step_ms = _timeframe_ms(exchange, timeframe)
    now_ms = int(exchange.milliseconds())
    bar = tqdm(
        total=_expected_bars(since_ms, until_ms, now_ms, step_ms),
        unit="bar",
        desc=f"{exchange.id} {symbol} {timeframe}",
        disable=not progress,
    )
    cursor = since_ms
    try:
        while until_ms is None or cursor < until_ms:
            if _next_open(cursor, timeframe, step_ms) > now_ms:
                break  # every bar from here on is still open (or in the future)
            rows = _fetch_page(exchange, symbol, timeframe, cursor, limit, max_retries, sleep)
            if not rows:
                break
            frame, newest = _closed_frame(rows, cursor, until_ms, now_ms, timeframe, step_ms)
            if len(frame):
                bar.update(len(frame))
                yield frame
            if newest < cursor:
                break  # the exchange ignored since and has nothing newer
            cursor = _next_open(newest, timeframe, step_ms)
    finally:
        bar.close()


def _timeframe_ms(exchange: ccxt.Exchange, timeframe: str) -> int:
    offered: Mapping[str, Any] | None = getattr(exchange, "timeframes", None)
    if offered and timeframe not in offered:
        raise ExchangeError(
            f"{exchange.id} has no timeframe {timeframe!r}; it offers {', '.join(offered)}"
        )
    try:
        return int(exchange.parse_timeframe(timeframe) * 1000)
    except (ccxt.NotSupported, ValueError) as exc:
        raise ExchangeError(f"{timeframe!r} is not a ccxt timeframe") from exc


def _next_open(ts_ms: int, timeframe: str, step_ms: int) -> int:
    """Open time of the bar after the one opening at ``ts_ms`` (calendar months for ``M``)."""
    if timeframe.endswith("M"):
        months = int(timeframe[:-1] or 1)
        start = np.datetime64(int(ts_ms), "ms").astype("datetime64[M]") + months
        return int(start.astype("datetime64[ms]").astype(np.int64))
    return ts_ms + step_ms


def _expected_bars(since_ms: int, until_ms: int | None, now_ms: int, step_ms: int) -> int:
    """Bars expected in ``[since, min(until, newest closed open + 1))``; a progress total."""
    end = now_ms - step_ms + 1  # bars opening before this have closed
    if until_ms is not None:
        end = min(end, until_ms)
    return max(0, -(-(end - since_ms) // step_ms))


def _fetch_page(
    exchange: ccxt.Exchange,
    symbol: str,
    timeframe: str,
    since_ms: int,
    limit: int,
    max_retries: int,
    sleep: Callable[[float], None],
) -> list[list[Any]]:
    what = f"{exchange.id} fetch_ohlcv {symbol} {timeframe} since={since_ms}"
    for retry in range(max_retries + 1):
        try:
            rows: list[list[Any]] = exchange.fetch_ohlcv(
                symbol, timeframe, since=since_ms, limit=limit
            )
            return rows
        except RETRYABLE_ERRORS as exc:
            if retry == max_retries:
                raise ExchangeError(
                    f"{what} failed after {max_retries} retries: {type(exc).__name__}: {exc}"
                ) from exc
            delay = backoff_delay(retry)
            log.warning(
                "%s: %s (%s); retry %d/%d in %.1f s",
                what, type(exc).__name__, exc, retry + 1, max_retries, delay,
            )  # fmt: skip
            sleep(delay)
        except ccxt.BaseError as exc:
            raise ExchangeError(f"{what} refused: {type(exc).__name__}: {exc}") from exc
    raise AssertionError("unreachable")  # pragma: no cover


def _closed_frame(
    rows: list[list[Any]],
    cursor: int,
    until_ms: int | None,
    now_ms: int,
    timeframe: str,
    step_ms: int,
) -> tuple[pd.DataFrame, int]:
    """Keep the page's new, wanted, closed bars; also return its newest open time."""
    try:
        arr = np.asarray([row[:6] for row in rows], dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ExchangeError(f"fetch_ohlcv returned malformed rows: {rows[:1]}") from exc
    if arr.ndim != 2 or arr.shape[1] < 5:
        raise ExchangeError(
            f"fetch_ohlcv returned rows that are not [ts, o, h, l, c, v]: {rows[:1]}"
        )
    if arr.shape[1] == 5:
        arr = np.column_stack([arr, np.full(len(arr), np.nan)])
    if np.isnan(arr[:, 0]).any():
        raise ExchangeError("fetch_ohlcv returned a bar without a timestamp")
    arr = arr[np.argsort(arr[:, 0], kind="stable")]
    ts = arr[:, 0].astype(np.int64)
    keep = ts >= cursor
    keep[1:] &= ts[1:] != ts[:-1]  # an exchange repeating a bar within a page
    if until_ms is not None:
        keep &= ts < until_ms
    if timeframe.endswith("M"):
        keep &= np.array([_next_open(int(t), timeframe, step_ms) <= now_ms for t in ts], bool)
    else:
        keep &= ts + step_ms <= now_ms
    kept = arr[keep]
    frame = ohlcv_frame(ts[keep], kept[:, 1], kept[:, 2], kept[:, 3], kept[:, 4], kept[:, 5])
    return frame, int(ts[-1])
