"""The daily report as a PDF (fpdf2): every line placed once, at its own height.

Layout rules, so no text ever lands on other text: every line is a ``cell``
of explicit height that moves the cursor down (``new_y=NEXT``); a table row
that would cross the bottom margin starts a new page and repeats the table's
header; a cell's text is cut to its column's width (ending in "…"); the chart
is drawn with lines and polygons in a box reserved for it. Text is set in
DejaVu Sans (a Unicode TrueType font found on the machine, see
:func:`find_font`); without it the core Helvetica font is used and the few
non-Latin-1 signs are spelt in ASCII.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from aitrader_core.reports.daily import DAY_MS, DailyReport

__all__ = ["FONT_DIRS", "find_font", "render_pdf"]

FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/TTF",
    "/usr/share/fonts/dejavu-sans-fonts",
    "/usr/local/share/fonts",
    "/Library/Fonts",
)
"""Where :func:`find_font` looks for ``DejaVuSans.ttf`` (Debian: ``fonts-dejavu-core``)."""

_ASCII = {"≤": "<=", "→": "->", "✓": "OK", "✗": "X", "–": "-", "—": "-", "…": "...", "−": "-"}
_MARGIN, _TOP, _BOTTOM = 12.0, 18.0, 16.0
_GREEN, _AMBER, _RED, _GREY = (46, 139, 87), (230, 160, 20), (200, 40, 40), (150, 150, 150)
_BLUE, _SHADE, _RULE = (31, 90, 180), (226, 236, 250), (200, 200, 200)


def find_font(dirs: Sequence[str | Path] = FONT_DIRS) -> tuple[Path, Path | None] | None:
    """DejaVu Sans (regular, bold) in the first of ``dirs`` that has it, or None.

    Examples
    --------
    >>> find_font(["/nonexistent"]) is None
    True
    """
    for folder in dirs:
        regular = Path(folder) / "DejaVuSans.ttf"
        if regular.is_file():
            bold = regular.with_name("DejaVuSans-Bold.ttf")
            return regular, bold if bold.is_file() else None
    return None


@dataclass(frozen=True)
class _Col:
    title: str
    width: float
    align: str = "L"


class _Doc(FPDF):
    """A4 portrait with a running header (after page 1) and a page-number footer."""

    def __init__(self, title: str, font: tuple[Path, Path | None] | None) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.running_title = title
        if font is None:
            self.family, self.unicode = "helvetica", False
        else:
            self.add_font("DejaVu", "", font[0])
            self.add_font("DejaVu", "B", font[1] or font[0])
            self.family, self.unicode = "DejaVu", True
        self.set_margins(_MARGIN, _TOP, _MARGIN)
        self.set_auto_page_break(auto=True, margin=_BOTTOM)

    @property
    def body_width(self) -> float:
        return float(self.w - 2 * _MARGIN)

    def txt(self, text: str) -> str:
        """``text`` as the font can show it."""
        if self.unicode:
            return text
        for sign, ascii_text in _ASCII.items():
            text = text.replace(sign, ascii_text)
        return text.encode("latin-1", "replace").decode("latin-1")

    def font(self, size: float, bold: bool = False) -> None:
        self.set_font(self.family, "B" if bold else "", size)

    def line_of(self, text: str, h: float, *, size: float = 9, bold: bool = False) -> None:
        """One full-width line of text; the cursor goes to the next line."""
        self.font(size, bold)
        self.cell(self.body_width, h, self.fit(text, self.body_width),
                  new_x=XPos.LMARGIN, new_y=YPos.NEXT)  # fmt: skip

    def fit(self, text: str, width: float) -> str:
        """``text`` cut (with "…") to fit ``width`` mm, cell padding included."""
        text = self.txt(text)
        room = width - 2 * self.c_margin
        if self.get_string_width(text) <= room:
            return text
        ellipsis = self.txt("…")
        while text and self.get_string_width(text + ellipsis) > room:
            text = text[:-1]
        return text + ellipsis

    def header(self) -> None:
        if self.page_no() > 1:
            self.set_xy(_MARGIN, 8)
            self.font(7)
            self.set_text_color(*_GREY)
            self.cell(self.body_width, 5, self.fit(self.running_title, self.body_width))
            self.set_text_color(0, 0, 0)
            self.set_xy(_MARGIN, _TOP)

    def footer(self) -> None:
        self.set_xy(_MARGIN, self.h - 11)
        self.font(7)
        self.set_text_color(*_GREY)
        self.cell(self.body_width, 5, f"page {self.page_no()} of {{nb}}", align="R")
        self.set_text_color(0, 0, 0)


def render_pdf(
    report: DailyReport, path: Path, *, font_dirs: Sequence[str | Path] = FONT_DIRS
) -> Path:
    """Lay ``report`` out as a PDF at ``path``; returns ``path``."""
    w = report.window
    title = f"AI Trader — daily report {w.day}"
    doc = _Doc(title, find_font(font_dirs))
    doc.set_creation_date(datetime.fromtimestamp(report.generated_ms / 1000, tz=UTC))
    doc.set_title(title)
    doc.add_page()
    doc.line_of(title, 9, size=16, bold=True)
    doc.line_of(f"Window: {w.label()}", 5.5)
    generated = datetime.fromtimestamp(report.generated_ms / 1000, tz=UTC)
    doc.line_of(
        f"Venue: {report.venue} ({report.mode}) · figures in {report.quote} · "
        f"generated {generated:%Y-%m-%d %H:%M} UTC (coordinator clock)",
        5.5,
    )
    _badge(doc, report)
    _metrics(doc, report)
    _chart(doc, report)
    _positions(doc, report)
    _limits(doc, report)
    _daily(doc, report)
    _trades(doc, report)
    doc.output(str(path))
    return path


# --- blocks ---------------------------------------------------------------------------------------


def _section(doc: _Doc, title: str, room: float) -> None:
    """A heading, on a new page unless ``room`` mm fit below it (no orphan headings)."""
    if doc.will_page_break(9 + room):
        doc.add_page()
    doc.ln(2)
    doc.line_of(title, 7, size=11, bold=True)


def _badge(doc: _Doc, report: DailyReport) -> None:
    j = report.journal
    if j.ok:
        color, text = _GREEN, (f"✓ Journal verified: {j.records} records, hash chain intact, "
                               f"head {j.head_hash[:16]}…")  # fmt: skip
    else:
        color = _RED
        text = f"✗ Journal BROKEN at record {j.first_bad_seq}: {j.problem or 'unknown problem'}"
    doc.ln(2)
    doc.set_fill_color(*color)
    doc.set_text_color(255, 255, 255)
    doc.font(9, bold=True)
    y = doc.get_y()
    doc.rect(_MARGIN, y, doc.body_width, 7.5, style="F", round_corners=True, corner_radius=1.5)
    doc.set_xy(_MARGIN + 1, y + 0.5)
    doc.cell(doc.body_width - 2, 6.5, doc.fit(text, doc.body_width - 2),
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)  # fmt: skip
    doc.set_text_color(0, 0, 0)
    doc.set_y(y + 7.5)


def _money(x: Decimal) -> str:
    return f"{x:,.2f}"


def _pct(x: float | Decimal, sign: str = "+") -> str:
    v = float(x)
    return "–" if not math.isfinite(v) else f"{v * 100:{sign}.2f} %"


def _num(x: float, digits: int = 2) -> str:
    return "–" if not math.isfinite(x) else f"{x:.{digits}f}"


def _metrics(doc: _Doc, r: DailyReport) -> None:
    s, m = r.summary, r.period
    day = [
        ("Start equity", _money(s.start_equity)),
        ("End equity", _money(s.end_equity)),
        ("PnL", f"{s.pnl:+,.2f}"),
        ("Return", _pct(s.ret)),
        ("Realised PnL (fees incl.)", f"{s.realized:+,.2f}"),
        ("Unrealised PnL at end", f"{s.unrealized:+,.2f}"),
        ("Fees", _money(s.fees)),
        ("Volume", _money(s.volume)),
        ("Fills", str(s.fills)),
        ("Max drawdown (intraday)", _pct(s.max_drawdown)),
    ]
    period = [
        ("Total return", _pct(m.total_return)),
        ("Sharpe (annualised)", _num(m.sharpe)),
        ("Sortino (annualised)", _num(m.sortino)),
        ("Volatility (annualised)", _pct(m.annual_volatility, "")),
        ("Max drawdown", _pct(m.max_drawdown)),
        ("Longest drawdown", f"{m.max_drawdown_bars} bars"),
        ("Time in market", _pct(m.exposure, "")),
        ("Closing fills", str(m.trades)),
        ("Win rate", _pct(m.win_rate, "") if m.trades else "–"),
        ("Profit factor", _num(m.profit_factor) if m.trades else "–"),
    ]
    start = datetime.fromtimestamp(r.period_start_ms / 1000, tz=UTC)
    _section(doc, "Metrics", 6 * (len(day) + 1))
    half = (doc.body_width - 6) / 2
    x2 = _MARGIN + half + 6
    doc.font(8, bold=True)
    y = doc.get_y()
    doc.cell(half, 5, doc.fit(f"Day {r.window.day}", half))
    doc.set_x(x2)
    doc.cell(half, 5, doc.fit(f"Period from {start:%Y-%m-%d} ({r.timeframe} bars)", half),
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)  # fmt: skip
    doc.set_draw_color(*_RULE)
    doc.line(_MARGIN, doc.get_y(), _MARGIN + doc.body_width, doc.get_y())
    doc.font(8)
    for (k1, v1), (k2, v2) in zip(day, period, strict=True):
        y = doc.get_y()
        for x, key, value in ((_MARGIN, k1, v1), (x2, k2, v2)):
            doc.set_xy(x, y)
            doc.cell(half * 0.6, 4.6, doc.fit(key, half * 0.6))
            doc.cell(half * 0.4, 4.6, doc.fit(value, half * 0.4), align="R")
        doc.set_xy(_MARGIN, y + 4.6)


# --- chart ----------------------------------------------------------------------------------------


def _ticks(lo: float, hi: float, n: int = 4) -> list[float]:
    """About ``n`` round values covering ``[lo, hi]``."""
    span = hi - lo
    raw = span / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step) * step
    return [first + i * step for i in range(int((hi - first) / step + 1e-9) + 1)]


def _chart(doc: _Doc, r: DailyReport) -> None:
    curve = r.curve
    _section(doc, f"Equity and drawdown ({r.timeframe} mark-to-market; report day shaded)", 86)
    top = doc.get_y() + 2
    label_w, eq_h, gap, dd_h = 20.0, 48.0, 6.0, 20.0
    x0, width = _MARGIN + label_w, doc.body_width - label_w - 2
    times = (pd.DatetimeIndex(curve.index).as_unit("ms").asi8 if len(curve)
             else np.array([0], dtype=np.int64))  # fmt: skip
    t0, t1 = int(times[0]), max(int(times[-1]), int(times[0]) + 1)

    def x_of(t: float) -> float:
        return x0 + (t - t0) / (t1 - t0) * width

    eq = curve["equity"].to_numpy(dtype=np.float64) if len(curve) else np.array([0.0])
    lo, hi = float(eq.min()), float(eq.max())
    pad = max((hi - lo) * 0.08, abs(hi) * 0.001, 1.0)
    lo, hi = lo - pad, hi + pad
    dd = curve["drawdown"].to_numpy(dtype=np.float64) if len(curve) else np.array([0.0])
    dd_lo = min(float(dd.min()), -0.001) * 1.1
    eq_y = _scale(lo, hi, top + eq_h, top)
    dd_top = top + eq_h + gap
    dd_y = _scale(dd_lo, 0.0, dd_top + dd_h, dd_top)
    # report day band, frames
    doc.set_fill_color(*_SHADE)
    a, b = x_of(max(r.window.start_ms, t0)), x_of(min(r.window.end_ms, t1))
    for y, h in ((top, eq_h), (dd_top, dd_h)):
        doc.rect(a, y, max(b - a, 0.3), h, style="F")
    doc.set_draw_color(*_RULE)
    doc.set_line_width(0.2)
    for y, h in ((top, eq_h), (dd_top, dd_h)):
        doc.rect(x0, y, width, h)
    # y axes
    doc.font(6.5)
    ticks = _ticks(lo, hi)
    digits = 0 if len(ticks) < 2 or ticks[1] - ticks[0] >= 1 else 2
    for value in ticks:
        _y_tick(doc, x0, width, eq_y(value), f"{value:,.{digits}f}", label_w)
    for value in (dd_lo / 1.1, 0.0):
        _y_tick(doc, x0, width, dd_y(value), f"{value * 100:.1f} %", label_w)
    doc.set_xy(x0, top + eq_h + 0.8)
    doc.cell(width, 4, doc.txt("Drawdown from the running peak"), align="L")
    # series
    points = [(x_of(t), eq_y(v)) for t, v in zip(times.tolist(), eq.tolist(), strict=True)]
    doc.set_draw_color(*_BLUE)
    doc.set_line_width(0.45)
    if len(points) > 1:
        doc.polyline(points)
    area = [(x_of(t), dd_y(v)) for t, v in zip(times.tolist(), dd.tolist(), strict=True)]
    if len(area) > 1:
        doc.set_fill_color(240, 170, 170)
        doc.set_draw_color(*_RED)
        doc.set_line_width(0.25)
        doc.polygon([(area[0][0], dd_y(0.0)), *area, (area[-1][0], dd_y(0.0))], style="DF")
    # x axis
    doc.set_draw_color(0, 0, 0)
    doc.set_line_width(0.2)
    doc.font(6.5)
    for t, text in _x_ticks(t0, t1):
        x = x_of(t)
        doc.line(x, dd_top + dd_h, x, dd_top + dd_h + 1)
        doc.set_xy(x - 10, dd_top + dd_h + 1)
        doc.cell(20, 3.5, text, align="C")
    doc.set_xy(_MARGIN, dd_top + dd_h + 6)


def _scale(lo: float, hi: float, y_lo: float, y_hi: float) -> Callable[[float], float]:
    def y_of(v: float) -> float:
        return y_lo + (v - lo) / (hi - lo) * (y_hi - y_lo) if hi > lo else (y_lo + y_hi) / 2

    return y_of


def _y_tick(doc: _Doc, x0: float, width: float, y: float, text: str, label_w: float) -> None:
    doc.set_draw_color(*_RULE)
    doc.line(x0, y, x0 + width, y)
    doc.set_xy(x0 - label_w, y - 1.6)
    doc.cell(label_w - 1, 3.2, text, align="R")


def _x_ticks(t0: int, t1: int) -> list[tuple[int, str]]:
    """Day boundaries (at most 7 labels, ``MM-DD``), or every 6 h within a short span."""
    span_days = (t1 - t0) / DAY_MS
    if span_days <= 2:
        step, fmt = 6 * 3_600_000, "%H:%M"
    else:
        step, fmt = DAY_MS * max(1, math.ceil(span_days / 7)), "%m-%d"
    first = -(-t0 // step) * step
    return [
        (t, datetime.fromtimestamp(t / 1000, tz=UTC).strftime(fmt))
        for t in range(first, t1 + 1, step)
    ]


# --- tables ---------------------------------------------------------------------------------------


def _table(
    doc: _Doc,
    title: str,
    cols: Sequence[_Col],
    rows: Sequence[Sequence[str]],
    *,
    empty: str,
    bold: Callable[[int], bool] = lambda _: False,
) -> None:
    """A table whose header is repeated on every page it spans (a short one is kept whole)."""
    h = 5.0
    _section(doc, title, h * (len(rows) + 1) if len(rows) <= 12 else 2 * h)

    def header() -> None:
        doc.font(7.5, bold=True)
        doc.set_fill_color(235, 235, 235)
        for c in cols:
            doc.cell(c.width, h, doc.fit(c.title, c.width), align=c.align, fill=True)
        doc.ln(h)

    if not rows:
        doc.line_of(empty, h, size=8)
        return
    header()
    for i, row in enumerate(rows):
        if doc.will_page_break(h):
            doc.add_page()
            header()
        doc.font(7.5, bold=bold(i))
        for c, text in zip(cols, row, strict=True):
            doc.cell(c.width, h, doc.fit(text, c.width), align=c.align)
        doc.ln(h)


def _positions(doc: _Doc, r: DailyReport) -> None:
    cols = [_Col("Strategy", 34), _Col("Symbol", 22), _Col("Side", 12), _Col("Qty", 24, "R"),
            _Col("Entry", 24, "R"), _Col("Mark", 24, "R"), _Col("Unrealised", 24, "R"),
            _Col("Realised", 22, "R")]  # fmt: skip
    rows = [
        [p.strategy, p.symbol, "long" if p.qty > 0 else "short", format(abs(p.qty), "f"),
         f"{p.avg_entry:,.2f}", "–" if p.mark is None else f"{p.mark:,.2f}",
         "–" if p.unrealized is None else f"{p.unrealized:+,.2f}", f"{p.realized:+,.2f}"]
        for p in r.positions
    ]  # fmt: skip
    end = datetime.fromtimestamp(r.window.end_ms / 1000, tz=UTC)
    _table(doc, f"Open positions at {end:%Y-%m-%d %H:%M} UTC", cols, rows,
           empty="No open position at the end of the window.")  # fmt: skip


def _limits(doc: _Doc, r: DailyReport) -> None:
    h, bar_w = 6.0, 60.0
    _section(doc, "Risk-limit usage (limits as configured now)", h * len(r.limits))
    label_w = 78.0
    for usage in r.limits:
        if doc.will_page_break(h):
            doc.add_page()
        y = doc.get_y()
        doc.font(8)
        doc.cell(label_w, h, doc.fit(usage.label, label_w))
        frac = usage.fraction
        x = _MARGIN + label_w
        doc.set_fill_color(238, 238, 238)
        doc.rect(x, y + 1.2, bar_w, h - 2.4, style="F")
        if frac is not None:
            color = _GREEN if frac < 0.75 else _AMBER if frac < 1 else _RED
            doc.set_fill_color(*color)
            doc.rect(x, y + 1.2, bar_w * min(max(frac, 0.0), 1.0), h - 2.4, style="F")
        doc.set_xy(x + bar_w + 2, y)
        rest = doc.body_width - label_w - bar_w - 2
        doc.cell(rest, h, doc.fit(usage.text, rest), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _daily(doc: _Doc, r: DailyReport) -> None:
    cols = [_Col("Day", 24), _Col("Start equity", 30, "R"), _Col("End equity", 30, "R"),
            _Col("PnL", 26, "R"), _Col("Return", 20, "R"), _Col("Fees", 20, "R"),
            _Col("Fills", 14, "R"), _Col("Volume", 26, "R")]  # fmt: skip
    rows = [
        [d.day, _money(d.start_equity), _money(d.end_equity), f"{d.pnl:+,.2f}", _pct(d.ret),
         _money(d.fees), str(d.fills), _money(d.volume)]
        for d in r.days
    ]  # fmt: skip
    days = [d.day for d in r.days]
    _table(doc, "Daily PnL", cols, rows, empty="No equity data in the period.",
           bold=lambda i: days[i] == r.window.day)  # fmt: skip


def _trades(doc: _Doc, r: DailyReport) -> None:
    cols = [_Col("Time (UTC)", 28), _Col("Strategy", 26), _Col("Role", 14), _Col("Symbol", 20),
            _Col("Side", 10), _Col("Qty", 22, "R"), _Col("Price", 22, "R"), _Col("Fee", 20, "R"),
            _Col("Trade id", 28)]  # fmt: skip
    rows = []
    for t in r.trades:
        f = t.fill
        when = pd.Timestamp(f.ts_ms, unit="ms", tz="UTC").strftime("%m-%d %H:%M:%S")
        rows.append([when, t.strategy, str(getattr(t.role, "value", t.role)), f.symbol,
                     f.side.value, format(f.qty, "f"), format(f.price, "f"),
                     f"{f.fee:.4f} {f.fee_asset}", f.trade_id])  # fmt: skip
    _table(doc, f"Trades ({len(rows)} fills)", cols, rows, empty="No trades in the window.")
