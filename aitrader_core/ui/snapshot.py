"""One refresh of the dashboard: every endpoint read once, errors kept per endpoint.

A refresh asks the broker first: if the service does not answer at all the
snapshot says so (``unreachable``) and nothing else is tried, so a dead
service costs one refused connection per tick, not eleven.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aitrader_core.client import ServiceClient, ServiceError, ServiceUnreachable

#: The reads of one refresh, in order (the metrics' bars come last: they need a series).
READS: tuple[str, ...] = (
    "broker",
    "status",
    "balance",
    "positions",
    "orders",
    "trades",
    "pnl",
    "limits",
    "strategies",
    "reports",
)

ORDERS_LIMIT = 100
TRADES_LIMIT = 500  # the metrics card rebuilds the equity curve from these


@dataclass(frozen=True)
class SeriesQuery:
    """The bars the metrics card asks for: a series and how many bars."""

    symbol: str | None
    timeframe: str | None
    bars: int


@dataclass
class Snapshot:
    """What one refresh saw: JSON per endpoint, or that endpoint's error."""

    data: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, ServiceError] = field(default_factory=dict)
    unreachable: ServiceUnreachable | None = None
    taken_ms: int = 0
    series: tuple[str, str] | None = None

    def get(self, key: str) -> Any:
        """The endpoint's JSON, or None when it failed or was not read."""
        return self.data.get(key)

    @property
    def ok(self) -> bool:
        """The service answered (possibly with errors on some endpoints)."""
        return self.unreachable is None


def _reader(client: ServiceClient, key: str) -> Callable[[], Any]:
    calls: dict[str, Callable[[], Any]] = {
        "broker": client.broker,
        "status": client.status,
        "balance": client.balance,
        "positions": client.positions,
        "orders": lambda: client.orders(limit=ORDERS_LIMIT),
        "trades": lambda: client.trades(limit=TRADES_LIMIT),
        "pnl": client.pnl,
        "limits": client.limits,
        "strategies": client.strategies,
        "reports": client.reports,
    }
    return calls[key]


def pick_series(strategies: Any, query: SeriesQuery) -> tuple[str, str] | None:
    """The queried series, else the first traded one.

    Examples
    --------
    >>> pick_series([{"symbol": "ETH/USDT", "timeframe": "1h"}], SeriesQuery(None, None, 10))
    ('ETH/USDT', '1h')
    """
    if query.symbol and query.timeframe:
        return query.symbol, query.timeframe
    for s in strategies or []:
        if isinstance(s, dict) and s.get("symbol") and s.get("timeframe"):
            return str(s["symbol"]), str(s["timeframe"])
    return None


def traded_symbols(strategies: Any, chosen: str) -> list[str]:
    """The chosen symbol first, then every other symbol the strategies trade.

    Examples
    --------
    >>> traded_symbols([{"symbol": "ETH/USDT"}, {"symbol": "BTC/USDT"}], "BTC/USDT")
    ['BTC/USDT', 'ETH/USDT']
    """
    others = sorted({str(s["symbol"]) for s in strategies or [] if isinstance(s, dict)} - {chosen})
    return [chosen, *others]


def fetch_snapshot(
    client: ServiceClient, query: SeriesQuery, keys: tuple[str, ...] = READS
) -> Snapshot:
    """Read every endpoint once (and the metrics' bars); never raises for service errors."""
    snap = Snapshot(taken_ms=int(time.time() * 1000))
    try:
        for key in keys:
            try:
                snap.data[key] = _reader(client, key)()
            except ServiceUnreachable:
                raise
            except ServiceError as exc:
                snap.errors[key] = exc
        if "strategies" in keys:
            snap.series = pick_series(snap.get("strategies"), query)
            if snap.series is not None:
                broker = snap.get("broker") or {}
                # The bars closed by the trading clock (a replay must not show its future).
                end = broker.get("clock_ms") if isinstance(broker, dict) else None
                bars: dict[str, list[dict[str, Any]]] = {}
                for symbol in traded_symbols(snap.get("strategies"), snap.series[0]):
                    try:
                        bars[symbol] = client.ohlcv(
                            symbol, snap.series[1], end=end, limit=query.bars + 1
                        )
                    except ServiceUnreachable:
                        raise
                    except ServiceError as exc:
                        snap.errors[f"bars {symbol}"] = exc
                snap.data["bars"] = bars
    except ServiceUnreachable as exc:
        snap.unreachable = exc
    return snap
