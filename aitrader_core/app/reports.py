"""Daily reports behind ``App.reports``: read the coordinator, store and journal; write files.

The desk gathers a day's inputs (every fill, the stored closes, the limits,
the day counter, the journal's verification) and hands them to
:mod:`aitrader_core.reports`, which builds the report and lays it out. Files
live in ``settings.home / "reports"``; :meth:`ReportDesk.path` serves only
names listed there, so a request cannot reach any other file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from aitrader_core.brokers.simulator import SimulatedBroker
from aitrader_core.domain.market import TIMEFRAMES
from aitrader_core.errors import NotFoundError, ValidationError
from aitrader_core.live.state import ACCOUNT, LiveFill
from aitrader_core.reports import (
    DailyInputs,
    DailyReport,
    Window,
    build_daily,
    day_window,
    period_start,
    render_pdf,
    roll_back,
    write_report_csvs,
)
from aitrader_core.risk import RiskLimits
from aitrader_core.settings import Settings

if TYPE_CHECKING:
    from aitrader_core.app import App
    from aitrader_core.live.coordinator import LiveTradingCoordinator

__all__ = ["NAME_PATTERN", "ReportDesk", "ReportFile", "ReportFiles"]

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,120}\.(?:csv|pdf)")
"""What a report file may be called: no separators, no dots but the extension's."""

MEDIA_TYPES = {"csv": "text/csv", "pdf": "application/pdf"}
EXCHANGE = "binance"  # where the live desk's feed stores bars (aitrader_core.app.live)


@dataclass(frozen=True)
class ReportFile:
    """A file in the reports folder."""

    name: str
    size: int
    modified_ms: int
    kind: str

    @property
    def media_type(self) -> str:
        """``text/csv`` or ``application/pdf``."""
        return MEDIA_TYPES[self.kind]

    @classmethod
    def of(cls, path: Path) -> ReportFile:
        """The file at ``path`` (which must exist)."""
        stat = path.stat()
        return cls(path.name, stat.st_size, stat.st_mtime_ns // 1_000_000, path.suffix[1:])


@dataclass(frozen=True)
class ReportFiles:
    """What :meth:`ReportDesk.daily` wrote: the trades CSV, the daily-PnL CSV and the PDF."""

    day: str
    window: Window
    csv: Path
    pnl_csv: Path
    pdf: Path
    report: DailyReport

    def files(self) -> list[ReportFile]:
        """The three files with their sizes."""
        return [ReportFile.of(p) for p in (self.csv, self.pnl_csv, self.pdf)]


@dataclass(frozen=True)
class _Read:
    fills: list[LiveFill]
    limits: RiskLimits
    trades_counted: int
    start_of_day_equity: Decimal | None
    venue: str
    paper: bool
    balances: dict[str, Decimal]
    timeframes: dict[str, str]
    now_ms: int


class ReportDesk:
    """Daily reports of the live (or paper) account, written under ``home/reports``."""

    def __init__(self, settings: Settings, app: App) -> None:
        self.settings = settings
        self.app = app

    @property
    def folder(self) -> Path:
        """Where reports are written and served from."""
        return Path(self.settings.home) / "reports"

    def daily(
        self, day: str | None = None, folder: Path | None = None, *, lookback_days: int = 30
    ) -> ReportFiles:
        """Write the daily report of ``day`` (default: the last complete UTC day).

        ``day`` is a ``YYYY-MM-DD`` of the coordinator's clock (in paper mode
        the replay's); the current day gives a report "so far". The chart and
        period metrics cover up to ``lookback_days`` before the day's end.
        """
        read = self.app.live.call(lambda c: _read(c, day))
        window = day_window(day, read.now_ms)
        if read.paper:  # the simulator starts from the configured balance, then every fill
            start: Mapping[str, Decimal] = {"USDT": self.settings.sim_start_balance}
        else:  # a venue's history before our fills is unknown: roll today's balances back
            start = roll_back(read.balances, (f.fill for f in read.fills))
        first = read.fills[0].fill.ts_ms if read.fills else None
        lo = period_start(window, first, lookback_days)
        timeframe = min(set(read.timeframes.values()) or {"1h"}, key=lambda tf: TIMEFRAMES[tf] or 0)
        step = TIMEFRAMES[timeframe] or 3_600_000
        symbols = sorted(set(read.timeframes) | {f.fill.symbol for f in read.fills})
        closes = {}
        for symbol in symbols:
            try:
                bars = self.app.bars(EXCHANGE, symbol, timeframe, lo - step, window.end_ms)
            except NotFoundError:
                continue  # no stored bars: fills' prices stand in as marks
            closes[symbol] = pd.Series(bars["close"].to_numpy(), index=bars["ts"].to_numpy())
        report = build_daily(
            DailyInputs(
                window=window,
                period_start_ms=lo,
                fills=read.fills,
                closes=closes,
                timeframe=timeframe,
                start=start,
                limits=read.limits,
                journal=self.app.verify_journal(),
                venue=read.venue,
                mode="paper" if read.paper else "live",
                generated_ms=read.now_ms,
                trades_counted=read.trades_counted,
                start_of_day_equity=read.start_of_day_equity,
            )
        )
        out = Path(folder) if folder is not None else self.folder
        out.mkdir(parents=True, exist_ok=True)
        stem = f"daily-{window.day}"
        trades_csv, pnl_csv = write_report_csvs(
            report, out / f"{stem}-trades.csv", out / f"{stem}-pnl.csv"
        )
        pdf = out / f"{stem}.pdf"
        tmp = out / f".{stem}.pdf.tmp"
        render_pdf(report, tmp)
        tmp.replace(pdf)
        return ReportFiles(window.day, window, trades_csv, pnl_csv, pdf, report)

    def list(self) -> list[ReportFile]:
        """The report files, newest first (then by name)."""
        if not self.folder.is_dir():
            return []
        files = [ReportFile.of(p) for p in self.folder.iterdir()
                 if p.is_file() and NAME_PATTERN.fullmatch(p.name)]  # fmt: skip
        return sorted(files, key=lambda f: (-f.modified_ms, f.name))

    def path(self, name: str) -> Path:
        """The path of the listed report ``name``.

        Raises ValidationError (field ``name``) for a name that is not a plain
        report file name (separators, ``..``), NotFoundError for one not listed.
        """
        if not NAME_PATTERN.fullmatch(name):
            raise ValidationError(f"{name!r} is not a report file name", field="name")
        listed = {f.name for f in self.list()}
        if name not in listed:
            raise NotFoundError(f"no report {name!r}")
        return self.folder / name


def _read(c: LiveTradingCoordinator, day: str | None) -> _Read:
    now = c.clock.now_ms()
    window = day_window(day, now)
    counter = c.state.day(window.day, ACCOUNT)
    balances = {asset: b.total for asset, b in c.gateway.balances().items()}
    return _Read(
        fills=c.fills(),
        limits=c.limits(),
        trades_counted=counter.trades,
        start_of_day_equity=counter.start_of_day_equity,
        venue=c.gateway.name,
        paper=isinstance(c.gateway, SimulatedBroker),
        balances=balances,
        timeframes={s.symbol: s.timeframe for s in c.specs.values()},
        now_ms=now,
    )
