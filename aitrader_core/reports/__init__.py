"""Daily reports: the equity curve rebuilt from fills, and the report as CSV and PDF.

:func:`build_daily` turns what the application desk read (fills, closes,
limits, journal status) into a :class:`DailyReport`; :func:`write_report_csvs`
and :func:`render_pdf` lay it out. Nothing here reads a database or a venue.
"""

from aitrader_core.reports.csv import write_report_csvs
from aitrader_core.reports.daily import (
    DailyInputs,
    DailyReport,
    DayPnL,
    DaySummary,
    LimitUsage,
    PositionRow,
    StrategyFill,
    Window,
    build_daily,
    day_window,
    period_start,
)
from aitrader_core.reports.equity import (
    EquityPoint,
    bar_close_marks,
    equity_frame,
    mark_to_market,
    roll_back,
)
from aitrader_core.reports.pdf import find_font, render_pdf

__all__ = [
    "DailyInputs",
    "DailyReport",
    "DayPnL",
    "DaySummary",
    "EquityPoint",
    "LimitUsage",
    "PositionRow",
    "StrategyFill",
    "Window",
    "bar_close_marks",
    "build_daily",
    "day_window",
    "equity_frame",
    "find_font",
    "mark_to_market",
    "period_start",
    "render_pdf",
    "roll_back",
    "write_report_csvs",
]
