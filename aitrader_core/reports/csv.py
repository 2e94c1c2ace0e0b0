"""The daily report's CSV files: the day's trades, and the daily PnL of the period.

Amounts are exact decimal strings (``format(x, "f")``), times both ISO-8601
UTC and epoch ms. Files are written to a temporary name and renamed, so a
reader never sees half a file.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path

from aitrader_core.domain.market import ms_to_iso
from aitrader_core.reports.daily import DailyReport, DayPnL, StrategyFill

__all__ = [
    "PNL_COLUMNS",
    "TRADE_COLUMNS",
    "pnl_rows",
    "trade_rows",
    "write_csv",
    "write_report_csvs",
]

TRADE_COLUMNS = (
    "time", "ts_ms", "trade_id", "client_id", "strategy", "role", "symbol", "side",
    "qty", "price", "notional", "fee", "fee_asset",
)  # fmt: skip
PNL_COLUMNS = ("day", "start_equity", "end_equity", "pnl", "return", "fees", "fills", "volume")


def _num(value: Decimal) -> str:
    return format(value, "f")


def trade_rows(trades: Iterable[StrategyFill]) -> list[list[str]]:
    """One row per fill, in :data:`TRADE_COLUMNS` order.

    Examples
    --------
    >>> from aitrader_core.domain.orders import Fill, Side
    >>> from types import SimpleNamespace
    >>> f = Fill("ait-1", "sim-1-1", "BTC/USDT", Side.BUY, Decimal("0.07697"),
    ...          Decimal("25983.17"), Decimal("1.99"), "USDT", 1_693_796_400_000)
    >>> trade_rows([SimpleNamespace(fill=f, strategy="s", role="entry")])[0][:3]
    ['2023-09-04T03:00:00Z', '1693796400000', 'sim-1-1']
    """
    rows = []
    for t in trades:
        f = t.fill
        rows.append([
            ms_to_iso(f.ts_ms), str(f.ts_ms), f.trade_id, f.client_id, t.strategy,
            str(getattr(t.role, "value", t.role)), f.symbol, f.side.value, _num(f.qty),
            _num(f.price), _num(f.qty * f.price), _num(f.fee), f.fee_asset,
        ])  # fmt: skip
    return rows


def pnl_rows(days: Iterable[DayPnL]) -> list[list[str]]:
    """One row per day, in :data:`PNL_COLUMNS` order (``return`` rounded to 1e-10)."""
    return [
        [d.day, _num(d.start_equity), _num(d.end_equity), _num(d.pnl),
         _num(round(d.ret, 10)), _num(d.fees), str(d.fills), _num(d.volume)]
        for d in days
    ]  # fmt: skip


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[Sequence[str]]) -> Path:
    """Write a header and rows to ``path`` atomically (temporary file, then rename)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(buffer.getvalue(), encoding="utf-8")
    os.replace(tmp, path)
    return path


def write_report_csvs(report: DailyReport, trades_path: Path, pnl_path: Path) -> list[Path]:
    """The day's trades and the period's daily PnL as two CSV files."""
    return [
        write_csv(trades_path, TRADE_COLUMNS, trade_rows(report.trades)),
        write_csv(pnl_path, PNL_COLUMNS, pnl_rows(report.days)),
    ]
