"""The daily report's content: trades, daily PnL, metrics, positions, limit usage, journal.

:func:`build_daily` is pure: the application desk reads the coordinator, the
store and the journal into :class:`DailyInputs`, and this module turns them
into a :class:`DailyReport` that the CSV and PDF writers lay out. Money stays
``Decimal``; the curve and the ratios (Sharpe, Sortino, volatility) are float,
from :mod:`aitrader_core.backtest.metrics` annualised by the bars' timeframe.

A report covers one UTC day ``[00:00, 24:00)`` of the coordinator's clock: by
default the last complete day before the clock; the current day is accepted
too and then ends at the clock (the report says "so far").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Protocol

import numpy as np
import pandas as pd

from aitrader_core.backtest.metrics import Metrics, compute_metrics
from aitrader_core.compliance import VerifyReport
from aitrader_core.domain.market import TIMEFRAMES
from aitrader_core.domain.money import ZERO, to_decimal
from aitrader_core.domain.orders import Fill, Position
from aitrader_core.errors import ValidationError
from aitrader_core.reports.equity import (
    EquityPoint,
    bar_close_marks,
    base_quote,
    equity_frame,
    mark_to_market,
)
from aitrader_core.risk import RiskLimits

__all__ = [
    "DAY_MS",
    "DailyInputs",
    "DailyReport",
    "DayPnL",
    "DaySummary",
    "LimitUsage",
    "PositionRow",
    "StrategyFill",
    "Window",
    "build_daily",
    "day_window",
    "period_start",
]

DAY_MS = 86_400_000


class StrategyFill(Protocol):
    """A fill with the strategy and role it served (the coordinator's ``LiveFill``)."""

    @property
    def fill(self) -> Fill: ...

    @property
    def strategy(self) -> str: ...

    @property
    def role(self) -> object: ...


@dataclass(frozen=True)
class Window:
    """The report's time window ``[start_ms, end_ms)``; ``complete`` unless it ends at the clock."""

    day: str
    start_ms: int
    end_ms: int
    complete: bool

    def label(self) -> str:
        """``2023-09-04 00:00 → 2023-09-05 00:00 UTC (complete day)`` or ``… (day so far)``."""
        fmt = "%Y-%m-%d %H:%M"
        lo = datetime.fromtimestamp(self.start_ms / 1000, tz=UTC).strftime(fmt)
        hi = datetime.fromtimestamp(self.end_ms / 1000, tz=UTC).strftime(fmt)
        return f"{lo} → {hi} UTC ({'complete day' if self.complete else 'day so far'})"


def day_window(day: str | None, now_ms: int) -> Window:
    """The window of ``day`` (``YYYY-MM-DD``) as of ``now_ms``; default: the last complete day.

    Raises :class:`~aitrader_core.errors.ValidationError` (field ``day``) for
    a malformed date or a day that has not started by ``now_ms``.

    Examples
    --------
    >>> now = 1_693_879_200_000  # 2023-09-05 02:00 UTC
    >>> day_window(None, now)
    Window(day='2023-09-04', start_ms=1693785600000, end_ms=1693872000000, complete=True)
    >>> day_window("2023-09-05", now).label()
    '2023-09-05 00:00 → 2023-09-05 02:00 UTC (day so far)'
    >>> day_window("2023-09-06", now)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    aitrader_core.errors.ValidationError: day: 2023-09-06 has not started (clock: 2023-09-05 ...)
    """
    if day is None:
        start = (now_ms // DAY_MS - 1) * DAY_MS
    else:
        try:
            parsed = date.fromisoformat(day) if len(day) == 10 else None
        except ValueError:
            parsed = None
        if parsed is None:
            raise ValidationError(f"{day!r} is not a date (YYYY-MM-DD)", field="day")
        start = int(datetime(parsed.year, parsed.month, parsed.day, tzinfo=UTC).timestamp()) * 1000
        if start >= now_ms:
            clock = datetime.fromtimestamp(now_ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M")
            raise ValidationError(f"{day} has not started (clock: {clock} UTC)", field="day")
    end = min(start + DAY_MS, now_ms)
    label = datetime.fromtimestamp(start / 1000, tz=UTC).date().isoformat()
    return Window(label, start, end, end == start + DAY_MS)


def period_start(window: Window, first_fill_ms: int | None, lookback_days: int = 30) -> int:
    """Where the chart and the period metrics begin: ``lookback_days`` before the window's
    end, but not before the day of the first fill, and never after the window's start.

    Examples
    --------
    >>> w = day_window("2023-09-04", 1_693_879_200_000)
    >>> period_start(w, 1_693_796_400_000) == w.start_ms  # first fill that day
    True
    >>> (w.end_ms - period_start(w, 0, lookback_days=7)) // DAY_MS
    7
    """
    earliest = window.end_ms - lookback_days * DAY_MS
    if first_fill_ms is not None:
        earliest = max(earliest, first_fill_ms // DAY_MS * DAY_MS)
    return min(earliest, window.start_ms)


@dataclass(frozen=True)
class DailyInputs:
    """Everything a daily report is built from (read by the application desk).

    ``fills`` are every fill of the account up to now (oldest first), ``start``
    the balances before the first of them; ``closes`` each symbol's closes by
    bar open ms covering ``[period_start_ms - one bar, window end)``.
    """

    window: Window
    period_start_ms: int
    fills: Sequence[StrategyFill]
    closes: Mapping[str, pd.Series]
    timeframe: str
    start: Mapping[str, Decimal]
    limits: RiskLimits
    journal: VerifyReport
    venue: str
    mode: str
    generated_ms: int
    trades_counted: int | None = None
    """The day counter's trades (what the risk guard counted); None: count entry fills."""
    start_of_day_equity: Decimal | None = None
    """The day counter's start-of-day equity (the guard's loss reference), if any."""
    quote: str = "USDT"


@dataclass(frozen=True)
class DayPnL:
    """One UTC day of the account: equity at its start and end, fees, fills, volume."""

    day: str
    start_equity: Decimal
    end_equity: Decimal
    fees: Decimal
    fills: int
    volume: Decimal

    @property
    def pnl(self) -> Decimal:
        """End minus start equity."""
        return self.end_equity - self.start_equity

    @property
    def ret(self) -> Decimal:
        """PnL over start equity (0 for an empty account)."""
        return self.pnl / self.start_equity if self.start_equity else ZERO


@dataclass(frozen=True)
class DaySummary:
    """The report day's figures (quote currency)."""

    start_equity: Decimal
    end_equity: Decimal
    peak_equity: Decimal
    low_equity: Decimal
    realized: Decimal
    unrealized: Decimal
    fees: Decimal
    volume: Decimal
    fills: int
    max_drawdown: float

    @property
    def pnl(self) -> Decimal:
        """End minus start equity."""
        return self.end_equity - self.start_equity

    @property
    def ret(self) -> Decimal:
        """PnL over start equity."""
        return self.pnl / self.start_equity if self.start_equity else ZERO


@dataclass(frozen=True)
class PositionRow:
    """An open position at the window's end, valued at the last close."""

    strategy: str
    symbol: str
    qty: Decimal
    avg_entry: Decimal
    mark: Decimal | None
    realized: Decimal

    @property
    def unrealized(self) -> Decimal | None:
        """Open PnL at the mark."""
        return None if self.mark is None else (self.mark - self.avg_entry) * self.qty


@dataclass(frozen=True)
class LimitUsage:
    """How much of one risk limit the day used (``limit`` None: the limit is off)."""

    name: str
    label: str
    used: Decimal
    limit: Decimal | None
    text: str

    @property
    def fraction(self) -> float | None:
        """Used over limit (may exceed 1), None without a limit."""
        if self.limit is None:
            return None
        return float(self.used / self.limit) if self.limit else float("inf")


@dataclass(frozen=True)
class DailyReport:
    """A built daily report: what the CSV and PDF writers lay out."""

    window: Window
    period_start_ms: int
    timeframe: str
    venue: str
    mode: str
    quote: str
    generated_ms: int
    trades: list[StrategyFill]
    days: list[DayPnL]
    summary: DaySummary
    period: Metrics
    curve: pd.DataFrame
    positions: list[PositionRow]
    limits: list[LimitUsage]
    journal: VerifyReport


def build_daily(inputs: DailyInputs) -> DailyReport:
    """Build the report of ``inputs.window``: see the module docstring."""
    w = inputs.window
    step = TIMEFRAMES.get(inputs.timeframe)
    if not step:
        raise ValidationError(f"no fixed length for {inputs.timeframe}", field="timeframe")
    marks = _marks(inputs.closes, step, inputs.period_start_ms, w.end_ms)
    ordered = sorted(inputs.fills, key=lambda f: (f.fill.ts_ms, f.fill.trade_id))
    fills = [f.fill for f in ordered]
    points = mark_to_market(fills, marks, inputs.start, quote=inputs.quote)
    curve = equity_frame(points)
    day_points = [p for p in points if w.start_ms <= p.ts_ms <= w.end_ms]
    in_day = [f for f in ordered if w.start_ms <= f.fill.ts_ms < w.end_ms]
    book = _Book(inputs.quote)
    for f in ordered:
        if f.fill.ts_ms >= w.end_ms:
            break
        ts = f.fill.ts_ms
        book.apply(f, counted=ts >= w.start_ms, period=ts >= inputs.period_start_ms)
    last = _last_prices(marks, fills, w.end_ms)
    positions = [
        PositionRow(strategy, symbol, p.qty, p.avg_entry, last.get(symbol), p.realized_pnl)
        for (strategy, symbol), p in sorted(book.positions.items())
        if p.qty != 0
    ]
    summary = _summary(day_points, in_day, book.day_realized, positions)
    returns = curve["equity"].pct_change().iloc[1:].fillna(0.0)
    period = compute_metrics(
        returns.to_numpy(),
        inputs.timeframe,
        in_market=(curve["gross"].iloc[1:] > 0).to_numpy(),
        trade_pnl=np.array([float(x) for x in book.trade_pnl], dtype=np.float64),
    )
    return DailyReport(
        window=w,
        period_start_ms=inputs.period_start_ms,
        timeframe=inputs.timeframe,
        venue=inputs.venue,
        mode=inputs.mode,
        quote=inputs.quote,
        generated_ms=inputs.generated_ms,
        trades=in_day,
        days=_days(points, ordered, inputs.period_start_ms, w.end_ms),
        summary=summary,
        period=period,
        curve=curve,
        positions=positions,
        limits=_limits(inputs, summary, day_points),
        journal=inputs.journal,
    )


def _marks(closes: Mapping[str, pd.Series], step: int, lo: int, hi: int) -> pd.DataFrame:
    """Closes at bar-close times in ``[lo, hi]``, with ``lo`` and ``hi`` themselves present."""
    frame = bar_close_marks(closes, step) if closes else pd.DataFrame(index=pd.Index([], "int64"))
    frame = frame[(frame.index >= lo) & (frame.index <= hi)]
    wanted = frame.index.union(pd.Index([lo, hi], dtype="int64"))
    return frame.reindex(wanted)


def _last_prices(marks: pd.DataFrame, fills: Sequence[Fill], end_ms: int) -> dict[str, Decimal]:
    out = {f.symbol: f.price for f in fills if f.ts_ms < end_ms}
    for symbol in marks.columns:
        known = marks[symbol].loc[marks.index <= end_ms].dropna()
        if len(known):
            out[str(symbol)] = to_decimal(float(known.iloc[-1]))
    return out


class _Book:
    """Positions per (strategy, symbol) replayed from fills, with realised PnL deltas."""

    def __init__(self, quote: str) -> None:
        self.quote = quote
        self.positions: dict[tuple[str, str], Position] = {}
        self.day_realized = ZERO
        self.trade_pnl: list[Decimal] = []

    def apply(self, live: StrategyFill, *, counted: bool, period: bool) -> None:
        f = live.fill
        key = (live.strategy, f.symbol)
        before = self.positions.get(key, Position(f.symbol))
        base, quote = base_quote(f.symbol)
        fee = f.fee if f.fee_asset == quote else f.fee * f.price if f.fee_asset == base else ZERO
        after = before.apply(f.side, f.qty, f.price, fee)
        self.positions[key] = after
        delta = after.realized_pnl - before.realized_pnl
        if counted:
            self.day_realized += delta
        flipped = before.qty * after.qty < 0
        if period and before.qty != 0 and (abs(after.qty) < abs(before.qty) or flipped):
            self.trade_pnl.append(delta)


def _summary(
    points: Sequence[EquityPoint],
    fills: Sequence[StrategyFill],
    realized: Decimal,
    positions: Sequence[PositionRow],
) -> DaySummary:
    equities = [p.equity for p in points]
    start, end = equities[0], equities[-1]
    peak, worst = start, 0.0
    for e in equities:
        peak = max(peak, e)
        if peak > 0:
            worst = min(worst, float(e / peak - 1))
    return DaySummary(
        start_equity=start,
        end_equity=end,
        peak_equity=max(equities),
        low_equity=min(equities),
        realized=realized,
        unrealized=sum((p.unrealized or ZERO for p in positions), ZERO),
        fees=sum((_fee_in_quote(f.fill) for f in fills), ZERO),
        volume=sum((f.fill.qty * f.fill.price for f in fills), ZERO),
        fills=len(fills),
        max_drawdown=worst,
    )


def _fee_in_quote(fill: Fill) -> Decimal:
    base, quote = base_quote(fill.symbol)
    if fill.fee_asset == quote:
        return fill.fee
    return fill.fee * fill.price if fill.fee_asset == base else ZERO


def _days(
    points: Sequence[EquityPoint], fills: Sequence[StrategyFill], lo: int, hi: int
) -> list[DayPnL]:
    out = []
    for start in range(lo // DAY_MS * DAY_MS, hi, DAY_MS):
        end = min(start + DAY_MS, hi)
        inside = [p for p in points if start <= p.ts_ms <= end]
        if not inside:
            continue
        day_fills = [f.fill for f in fills if start <= f.fill.ts_ms < end]
        out.append(
            DayPnL(
                day=datetime.fromtimestamp(start / 1000, tz=UTC).date().isoformat(),
                start_equity=inside[0].equity,
                end_equity=inside[-1].equity,
                fees=sum((_fee_in_quote(f) for f in day_fills), ZERO),
                fills=len(day_fills),
                volume=sum((f.qty * f.price for f in day_fills), ZERO),
            )
        )
    return out


def _limits(inputs: DailyInputs, s: DaySummary, points: Sequence[EquityPoint]) -> list[LimitUsage]:
    lim = inputs.limits
    w = inputs.window
    trades = inputs.trades_counted
    if trades is None:
        trades = len({f.fill.client_id for f in inputs.fills
                      if w.start_ms <= f.fill.ts_ms < w.end_ms
                      and str(f.role) in ("entry", "manual")})  # fmt: skip
    cap = None if lim.max_trades_per_day is None else Decimal(lim.max_trades_per_day)
    out = [
        LimitUsage(
            "max_trades_per_day",
            "Trades today ≤ max_trades_per_day",
            Decimal(trades),
            cap,
            f"{trades} of {lim.max_trades_per_day}" if cap is not None else f"{trades} (no limit)",
        )
    ]
    reference = inputs.start_of_day_equity or s.start_equity
    loss = max(reference - s.low_equity, ZERO) / reference if reference > 0 else ZERO
    out.append(
        LimitUsage(
            "max_daily_loss",
            "Worst loss vs start of day ≤ max_daily_loss",
            loss,
            lim.max_daily_loss,
            _pct_of(loss, lim.max_daily_loss),
        )
    )
    exposure = max((p.gross / p.equity for p in points if p.equity > 0), default=ZERO)
    out.append(
        LimitUsage(
            "max_gross_exposure",
            "Peak gross exposure / equity ≤ max_gross_exposure",
            exposure,
            lim.max_gross_exposure,
            _pct_of(exposure, lim.max_gross_exposure),
        )
    )
    return out


def _pct_of(used: Decimal, limit: Decimal | None) -> str:
    text = f"{float(used) * 100:.2f} %"
    return f"{text} of {float(limit) * 100:.2f} %" if limit is not None else f"{text} (no limit)"
