"""Market metrics card: Sharpe and annualised volatility over a window, graded; a chart.

Two series are measured over the same window of closed bars: the account's
equity (rebuilt from its fills and the closes, :mod:`aitrader_core.ui.figures`)
and the chosen market's closes. Figures come from
:mod:`aitrader_core.backtest.metrics`, annualised by the timeframe; the bars are
read up to the trading clock, so a replay shows the window it has reached, not
its future. Thresholds are configurable; the card shows window and annualisation.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ipywidgets as w
import pandas as pd
from bokeh.embed.notebook import notebook_content
from IPython.display import HTML, Javascript, display

from aitrader_core.backtest.metrics import periods_per_year
from aitrader_core.charts import equity_drawdown_figure
from aitrader_core.ui.card import Card, failed
from aitrader_core.ui.figures import (
    MetricThresholds,
    SeriesStats,
    account_equity,
    market_closes,
    stats,
)
from aitrader_core.ui.format import badge, esc, field, kv, table
from aitrader_core.ui.prefs import WINDOWS
from aitrader_core.ui.snapshot import TRADES_LIMIT, SeriesQuery, Snapshot

GRADE_KIND = {"good": "ok", "weak": "warn", "poor": "bad", "n/a": "muted"}


@dataclass(frozen=True)
class Measured:
    """What the card shows for one refresh: figures of both series and the equity curve."""

    symbol: str
    timeframe: str
    window: int
    account: SeriesStats | None
    market: SeriesStats | None
    equity: pd.DataFrame


def measure(snap: Snapshot, window: int) -> Measured | None:
    """The card's figures from a snapshot (None without a traded series)."""
    if snap.series is None:
        return None
    symbol, timeframe = snap.series
    bars: dict[str, list[dict[str, Any]]] = snap.get("bars") or {}
    trades, balance = snap.get("trades"), snap.get("balance")
    equity = pd.DataFrame({"equity": [], "drawdown": []})
    account = None
    if trades is not None and balance is not None and bars:
        equity = account_equity(
            trades, balance, bars, timeframe, window, complete=len(trades) < TRADES_LIMIT
        )
        if len(equity):
            account = stats(equity["equity"], timeframe, "account equity")
    market = None
    if bars.get(symbol):
        market = stats(market_closes(bars[symbol], window), timeframe, f"{symbol} close")
    return Measured(symbol, timeframe, window, account, market, equity)


def _fmt(value: float, spec: str) -> str:
    return format(value, spec) if math.isfinite(value) else "n/a"


def _row(s: SeriesStats, t: MetricThresholds, key: str) -> list[str]:
    s_grade, v_grade = t.sharpe_grade(s.sharpe), t.vol_grade(s.volatility)
    sharpe_tip = f"good ≥ {t.sharpe_good:g}, weak ≥ {t.sharpe_weak:g}, else poor"
    vol_tip = f"good ≤ {t.vol_good:.0%}, weak ≤ {t.vol_weak:.0%}, else poor"
    return [
        esc(s.label),
        field(f"{key}_sharpe", _fmt(s.sharpe, ".2f"), repr(s.sharpe))
        + " "
        + field(f"{key}_sharpe_grade", badge(s_grade, GRADE_KIND[s_grade], sharpe_tip), s_grade),
        field(f"{key}_volatility", _fmt(s.volatility, ".1%"), repr(s.volatility))
        + " "
        + field(f"{key}_vol_grade", badge(v_grade, GRADE_KIND[v_grade], vol_tip), v_grade),
        field(f"{key}_returns", str(s.returns), s.returns),
        esc(f"{s.start} → {s.end}"),
    ]


def render_metrics(m: Measured, thresholds: MetricThresholds) -> str:
    """Both series' figures and grades, with the window and the annualisation used."""
    rows, keys = [], []
    for key, s in (("account", m.account), ("market", m.market)):
        if s is not None:
            rows.append(_row(s, thresholds, key))
            keys.append(key)
    ppy = periods_per_year(m.timeframe)
    t = thresholds
    return table(
        ["series", "Sharpe", "annual volatility", "returns", "window (UTC)"],
        rows,
        name="metrics",
        empty="no bars in the window yet",
        row_keys=keys,
    ) + kv(
        [
            ("window", field("window", esc(f"{m.window} bars of {m.timeframe}"), m.window)),
            (
                "annualisation",
                field("ppy", esc(f"× √{ppy:g} ({ppy:g} {m.timeframe} bars a year)"), ppy),
            ),
            (
                "thresholds",
                '<span class="ait-muted">'
                + esc(
                    f"Sharpe good ≥ {t.sharpe_good:g}, weak ≥ {t.sharpe_weak:g}; "
                    f"volatility good ≤ {t.vol_good:.0%}, weak ≤ {t.vol_weak:.0%}"
                )
                + "</span>",
            ),
        ]
    )


def chart(m: Measured, theme: str) -> Any:
    """Bokeh: the account's equity over the window above its drawdown."""
    eq = m.equity
    if eq.empty:
        eq = pd.DataFrame({"equity": [float("nan")], "drawdown": [0.0]},
                          index=[pd.Timestamp(0, tz="UTC")])  # fmt: skip
    title = f"account equity (USDT), {m.timeframe} bars"
    fig: Any = equity_drawdown_figure(eq["equity"], eq["drawdown"], title=title)
    if theme == "dark":
        for child in fig.children:
            child.background_fill_color = "#1b2129"
            child.border_fill_color = "#1b2129"
            child.title.text_color = "#e3e8ef"
            for axis in (*child.xaxis, *child.yaxis):
                axis.major_label_text_color = "#9aa6b5"
                axis.axis_line_color = "#2e3744"
            for grid in (*child.xgrid, *child.ygrid):
                grid.grid_line_color = "#2e3744"
    return fig


def show_in_notebook(fig: Any) -> None:
    """Display a bokeh layout in the kernel's output (after ``output_notebook``).

    Unlike ``bokeh.io.show``, the embedding script waits until its ``<div>`` is in
    the page: Voila builds widget views (this Output among them) before attaching
    them, and bokeh's own script gives up if its element is not found at once.
    """
    script, div, _ = notebook_content(fig)
    found = re.search(r'id="([^"]+)"', div)
    element = json.dumps(found.group(1) if found else "")
    wrapped = (
        "(function(){const t0=Date.now();function go(){"
        f"if(window.Bokeh!==undefined&&document.getElementById({element})){{{script}}}"
        "else if(Date.now()-t0<600000){setTimeout(go,200);}}go();})();"
    )
    display(HTML(div))
    display(Javascript(wrapped))


class MetricsCard(Card):
    """Risk-adjusted figures of a traded market, with an equity and drawdown chart."""

    title = "Market metrics"
    slug = "metrics"
    wide = True
    help = (
        "Over the chosen window of closed bars of the chosen series' timeframe: Sharpe ratio "
        "(mean over sample standard deviation of bar returns, risk-free 0) and annualised "
        "volatility (standard deviation × √bars per year) of the account's equity (rebuilt "
        "from its fills and the closes) and of the chosen market's closes, computed by "
        "aitrader_core.backtest.metrics. Annualisation comes from the timeframe (365-day "
        "crypto year). Grades good / weak / poor against configurable thresholds (hover a "
        "grade). Chart: the account's equity over the window and its drawdown from the peak."
    )

    def __init__(
        self,
        thresholds: MetricThresholds,
        window: int,
        series: str | None,
        on_change: Callable[[], None],
        theme: str = "light",
        draw: Callable[[Any], None] | None = None,
    ) -> None:
        self.thresholds = thresholds
        self._show = draw or show_in_notebook
        self.theme = theme
        self._on_change = on_change
        self.window = w.Dropdown(
            options=[(f"{n} bars", n) for n in WINDOWS], value=window, description="window"
        )
        self.series = w.Dropdown(
            options=[series] if series else [], value=series, description="series"
        )
        self.window.add_class("ait-metrics-window")
        self.series.add_class("ait-metrics-series")
        self.out = w.Output()
        self.out.add_class("ait-chart")
        self._shown: tuple[Any, ...] | None = None
        self._last: Measured | None = None
        super().__init__()
        self._syncing = False
        self.window.observe(lambda _: self._changed(), names="value")
        self.series.observe(lambda _: self._changed(), names="value")

    def _changed(self) -> None:
        if not self._syncing:
            self._on_change()

    def extra_top(self) -> list[w.Widget]:
        return [w.HBox([self.series, self.window])]

    def extra_bottom(self) -> list[w.Widget]:
        return [self.out]

    def query(self) -> SeriesQuery:
        """What to read for the next refresh."""
        chosen = self.series.value
        symbol, timeframe = chosen.split(" ", 1) if chosen else (None, None)
        return SeriesQuery(symbol, timeframe, int(self.window.value))

    def _sync_series(self, strategies: Any, current: tuple[str, str] | None) -> None:
        """Offer the traded series; keep the operator's choice while it is still offered."""
        names = sorted({f"{s['symbol']} {s['timeframe']}" for s in strategies or []})
        fallback = f"{current[0]} {current[1]}" if current else None
        if fallback and fallback not in names:
            names.append(fallback)
        chosen = self.series.value if self.series.value in names else fallback
        if list(self.series.options) != names or self.series.value != chosen:
            self._syncing = True  # not the operator's doing: no refresh, nothing remembered
            try:
                self.series.options = names
                self.series.value = chosen
            finally:
                self._syncing = False

    def render(self, snap: Snapshot) -> str | None:
        self._sync_series(snap.get("strategies"), snap.series)
        if snap.series is not None and self.series.value != " ".join(snap.series):
            return None  # read before the operator chose another series: the next one is due
        m = measure(snap, int(self.window.value))
        if m is None:
            return '<span class="ait-muted">no traded series</span>'
        self._draw(m)
        errors = "".join(failed(snap, k) or "" for k in sorted(snap.errors) if k.startswith("bars"))
        return render_metrics(m, self.thresholds) + errors

    def _draw(self, m: Measured) -> None:
        """Redraw the chart only when its data or theme changed (bokeh output is heavy)."""
        self._last = m
        eq = m.equity["equity"]
        last = (str(eq.index[-1]), float(eq.iloc[-1])) if len(eq) else None
        key = (m.symbol, m.timeframe, m.window, len(eq), last, self.theme)
        if key != self._shown:
            self._shown = key
            self.out.clear_output(wait=True)
            with self.out:
                self._show(chart(m, self.theme))

    def set_theme(self, theme: str) -> None:
        """Redraw the chart in the new theme."""
        self.theme = theme
        if self._last is not None:
            self._draw(self._last)
