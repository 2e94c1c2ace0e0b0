"""The account as the risk guard sees it: equity, positions and marks from the venue.

:class:`Market` keeps the venue's instruments and the latest closes.

Equity is the quote balances plus every base balance valued at its symbol's
latest close; start-of-day equity and the day's trade counts come from the
store's day counters, never from a client request (DESIGN.md, risk).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal

from aitrader_core.brokers.base import BrokerGateway
from aitrader_core.clock import Clock
from aitrader_core.domain.money import ZERO, Instrument, to_decimal
from aitrader_core.domain.orders import Balance
from aitrader_core.errors import ValidationError
from aitrader_core.live.history import History
from aitrader_core.live.state import ACCOUNT, LiveStateRepository
from aitrader_core.risk import RiskState

_DAY_MS = 86_400_000


def utc_day(ts_ms: int) -> str:
    """The UTC calendar day of an epoch-ms time, as ``YYYY-MM-DD``.

    Examples
    --------
    >>> utc_day(1_704_067_199_999), utc_day(1_704_067_200_000)
    ('2023-12-31', '2024-01-01')
    """
    return datetime.fromtimestamp(ts_ms // _DAY_MS * 86_400, tz=UTC).date().isoformat()


def equity(
    balances: Mapping[str, Balance],
    instruments: Mapping[str, Instrument],
    marks: Mapping[str, Decimal],
) -> Decimal:
    """Quote balances plus base balances at their marks (assets without a mark count zero).

    Examples
    --------
    >>> btc = Instrument("BTC/USDT", "BTC", "USDT", Decimal("0.01"), Decimal("0.00001"))
    >>> equity({"USDT": Balance("USDT", Decimal("900")), "BTC": Balance("BTC", Decimal("0.01"))},
    ...        {"BTC/USDT": btc}, {"BTC/USDT": Decimal("10000")})
    Decimal('1000.00')
    """
    quotes = {inst.quote for inst in instruments.values()}
    by_base = {inst.base: marks[symbol] for symbol, inst in instruments.items() if symbol in marks}
    total = ZERO
    for asset, balance in balances.items():
        if asset in quotes:
            total += balance.total
        elif asset in by_base:
            total += balance.total * by_base[asset]
    return total


def risk_state(
    gateway: BrokerGateway,
    state: LiveStateRepository,
    instruments: Mapping[str, Instrument],
    marks: Mapping[str, Decimal],
    now_ms: int,
) -> tuple[RiskState, dict[str, Balance]]:
    """The guard's view now (the day's counters opened if new) and the balances it read."""
    balances = gateway.balances()
    positions = gateway.positions()
    eq = equity(balances, instruments, marks)
    day = utc_day(now_ms)
    opened = state.open_day(day, eq)
    counters = state.days(day)
    start = opened.start_of_day_equity if opened.start_of_day_equity is not None else eq
    return (
        RiskState(
            equity=eq,
            start_of_day_equity=start,
            positions={symbol: p.qty for symbol, p in positions.items()},
            marks=dict(marks),
            trades_today=counters[ACCOUNT].trades if ACCOUNT in counters else 0,
            strategy_trades_today={k: c.trades for k, c in counters.items() if k != ACCOUNT},
        ),
        balances,
    )


class Market:
    """The venue's instruments (asked once) and the latest close seen per symbol.

    After a restart a symbol's mark comes from the last bar of its history
    until the feed delivers a new one.
    """

    def __init__(
        self, gateway: BrokerGateway, history: History, timeframes: Mapping[str, str], clock: Clock
    ) -> None:
        self.gateway = gateway
        self.history = history
        self.timeframes = dict(timeframes)  # symbol -> a timeframe it is traded on
        self.clock = clock
        self.marks: dict[str, Decimal] = {}
        self._instruments: dict[str, Instrument] | None = None

    def instruments(self) -> dict[str, Instrument]:
        """Tradable instruments by symbol."""
        if self._instruments is None:
            self._instruments = self.gateway.instruments()
        return self._instruments

    def instrument(self, symbol: str) -> Instrument:
        """One instrument; :class:`~aitrader_core.errors.ValidationError` if not traded."""
        try:
            return self.instruments()[symbol]
        except KeyError:
            raise ValidationError(f"{self.gateway.name} does not trade {symbol}",
                                  field="symbol") from None  # fmt: skip

    def update(self, symbol: str, close: float | Decimal) -> None:
        """Record a newly closed bar's close."""
        self.marks[symbol] = to_decimal(close, field="close")

    def mark(self, symbol: str) -> Decimal:
        """The latest close of ``symbol``; ValidationError when none is known."""
        timeframe = self.timeframes.get(symbol)
        if symbol not in self.marks and timeframe is not None:
            bars = self.history(symbol, timeframe, self.clock.now_ms(), 1)
            if len(bars):
                self.marks[symbol] = to_decimal(float(bars["close"].iloc[-1]))
        if symbol not in self.marks:
            raise ValidationError(f"no price for {symbol} yet", field="symbol")
        return self.marks[symbol]

    def equity(self, balances: Mapping[str, Balance]) -> Decimal:
        """Equity of ``balances`` at the marks (a held asset's mark read from history if new)."""
        for symbol, inst in self.instruments().items():
            held = inst.base in balances and balances[inst.base].total != 0
            if held and symbol not in self.marks and symbol in self.timeframes:
                try:
                    self.mark(symbol)
                except ValidationError:
                    continue  # no bar yet: valued at zero until one comes
        return equity(balances, self.instruments(), self.marks)
