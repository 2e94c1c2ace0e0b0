"""Bokeh figures shared by notebooks, the dashboard and reports (no I/O, no display)."""

from __future__ import annotations

import itertools

import pandas as pd
from bokeh.layouts import column
from bokeh.models import ColumnDataSource, HoverTool, LayoutDOM, NumeralTickFormatter
from bokeh.plotting import figure

UP, DOWN = "#26a69a", "#ef5350"


def candlestick_figure(bars: pd.DataFrame, *, title: str = "", height: int = 420) -> LayoutDOM:
    """Candles with a volume panel below, for bars indexed by UTC open time.

    ``bars`` needs ``open, high, low, close`` (and optionally ``volume``) columns
    and a DatetimeIndex (tz-aware or naive UTC), as :meth:`App.bars` returns.

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=3, freq="1h", tz="UTC")
    >>> bars = pd.DataFrame({"open": [1, 2, 3], "high": [2, 3, 4], "low": [0.5, 1, 2],
    ...                      "close": [2, 1, 4], "volume": [5, 6, 7]}, index=idx)
    >>> type(candlestick_figure(bars)).__name__
    'Column'
    """
    if len(bars) == 0:
        raise ValueError("no bars to draw")
    index = pd.DatetimeIndex(bars.index)
    times = index.tz_convert(None) if index.tz is not None else index
    step = (times[1] - times[0]) if len(times) > 1 else pd.Timedelta(minutes=1)
    width_ms = step.total_seconds() * 1000 * 0.7
    rising = bars["close"] >= bars["open"]
    source = ColumnDataSource(
        {
            "time": times,
            "open": bars["open"],
            "high": bars["high"],
            "low": bars["low"],
            "close": bars["close"],
            "volume": bars["volume"].fillna(0) if "volume" in bars else [0] * len(bars),
            "color": [UP if r else DOWN for r in rising],
        }
    )
    price = figure(
        x_axis_type="datetime",
        height=height,
        sizing_mode="stretch_width",
        title=title,
        tools="xpan,xwheel_zoom,box_zoom,reset,save",
        active_scroll="xwheel_zoom",
    )
    price.segment("time", "high", "time", "low", color="color", source=source)
    price.vbar(
        "time", width_ms, "open", "close", fill_color="color", line_color="color", source=source
    )
    price.yaxis.formatter = NumeralTickFormatter(format="0,0.[00000000]")
    price.add_tools(
        HoverTool(
            tooltips=[
                ("time", "@time{%F %H:%M}"),
                ("open", "@open{0,0.[00000000]}"),
                ("high", "@high{0,0.[00000000]}"),
                ("low", "@low{0,0.[00000000]}"),
                ("close", "@close{0,0.[00000000]}"),
                ("volume", "@volume{0,0.[00]}"),
            ],
            formatters={"@time": "datetime"},
            mode="vline",
        )
    )
    volume = figure(
        x_axis_type="datetime",
        height=120,
        sizing_mode="stretch_width",
        x_range=price.x_range,
        tools="",
    )
    volume.vbar(
        "time", width_ms, "volume", fill_color="color", line_color="color", source=source, alpha=0.6
    )
    volume.yaxis.formatter = NumeralTickFormatter(format="0.[0]a")
    return column(price, volume, sizing_mode="stretch_width")


def _naive(index: pd.Index) -> pd.DatetimeIndex:
    idx = pd.DatetimeIndex(index)
    return idx.tz_convert(None) if idx.tz is not None else idx


def add_trade_markers(chart: LayoutDOM, trades: pd.DataFrame) -> LayoutDOM:
    """Mark entries (▲ long / ▼ short) and exits (✕) of a trades table on a candle chart.

    ``chart`` is what :func:`candlestick_figure` returns; ``trades`` needs
    ``entry_time, entry_price, exit_time, exit_price, direction`` (and
    ``exit_reason``), as a backtest's trades table has.
    """
    price = chart.children[0]  # type: ignore[attr-defined]
    if len(trades) == 0:
        return chart
    entries = ColumnDataSource(
        {
            "time": _naive(trades["entry_time"]),
            "price": trades["entry_price"],
            "color": [UP if d == "long" else DOWN for d in trades["direction"]],
            "marker": [
                "triangle" if d == "long" else "inverted_triangle" for d in trades["direction"]
            ],
        }
    )
    closed = trades.dropna(subset=["exit_time"])
    exits = ColumnDataSource(
        {
            "time": _naive(closed["exit_time"]),
            "price": closed["exit_price"],
            "reason": closed.get("exit_reason", pd.Series([""] * len(closed))).astype(str),
        }
    )
    price.scatter(
        "time",
        "price",
        marker="marker",
        size=10,
        color="color",
        source=entries,
        legend_label="entry",
    )
    price.scatter(
        "time",
        "price",
        marker="x",
        size=9,
        color="#37474f",
        line_width=2,
        source=exits,
        legend_label="exit",
    )
    price.legend.location = "top_left"
    return chart


def equity_drawdown_figure(equity: pd.Series, drawdown: pd.Series, *, title: str = "") -> LayoutDOM:
    """Equity curve above its drawdown (shaded), sharing the time axis.

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=3, freq="1h", tz="UTC")
    >>> eq = pd.Series([100.0, 110.0, 99.0], index=idx)
    >>> type(equity_drawdown_figure(eq, eq / eq.cummax() - 1)).__name__
    'Column'
    """
    times = _naive(equity.index)
    top = figure(
        x_axis_type="datetime",
        height=300,
        sizing_mode="stretch_width",
        title=title,
        tools="xpan,xwheel_zoom,box_zoom,reset,save",
    )
    top.line(times, equity.to_numpy(), line_width=2, color="#1565c0")
    top.yaxis.formatter = NumeralTickFormatter(format="0,0")
    bottom = figure(
        x_axis_type="datetime",
        height=150,
        sizing_mode="stretch_width",
        x_range=top.x_range,
        tools="",
        title="drawdown",
    )
    bottom.varea(x=times, y1=drawdown.to_numpy(), y2=0.0, color=DOWN, alpha=0.4)
    bottom.yaxis.formatter = NumeralTickFormatter(format="0%")
    return column(top, bottom, sizing_mode="stretch_width")


def heatmap_figure(
    table: pd.DataFrame, x: str, y: str, value: str, *, title: str = ""
) -> LayoutDOM:
    """A parameter heat-map (e.g. Sharpe over fast × slow) with the value on hover.

    Examples
    --------
    >>> t = pd.DataFrame({"fast": [5, 5, 10, 10], "slow": [20, 50, 20, 50],
    ...                   "sharpe": [0.1, 0.5, -0.2, 0.9]})
    >>> type(heatmap_figure(t, "fast", "slow", "sharpe")).__name__
    'figure'
    """
    from bokeh.models import ColorBar, FactorRange, LinearColorMapper  # type: ignore[attr-defined]
    from bokeh.palettes import RdYlGn11

    xs = [str(v) for v in sorted(table[x].unique())]
    ys = [str(v) for v in sorted(table[y].unique())]
    values = table[value].astype(float)
    mapper = LinearColorMapper(
        palette=list(reversed(RdYlGn11)),
        low=float(values.min()),
        high=float(values.max()),
        nan_color="#eeeeee",
    )
    source = ColumnDataSource({x: table[x].astype(str), y: table[y].astype(str), value: values})
    fig = figure(
        x_range=FactorRange(factors=xs),
        y_range=FactorRange(factors=ys),
        height=320,
        sizing_mode="stretch_width",
        title=title or f"{value} by {x} × {y}",
        tools="hover,save",
        tooltips=[(x, f"@{x}"), (y, f"@{y}"), (value, f"@{value}{{0.000}}")],
    )
    fig.rect(
        x, y, 1, 1, source=source, fill_color={"field": value, "transform": mapper}, line_color=None
    )
    fig.add_layout(ColorBar(color_mapper=mapper), "right")
    fig.xaxis.axis_label, fig.yaxis.axis_label = x, y
    return fig


PALETTE = ("#1565c0", "#ef6c00", "#6a1b9a", "#2e7d32", "#ad1457", "#00838f")


def add_lines(chart: LayoutDOM, lines: dict[str, pd.Series]) -> LayoutDOM:
    """Overlay indicator lines (same index as the candles) on a candle chart."""
    price = chart.children[0]  # type: ignore[attr-defined]
    for (name, series), color in zip(lines.items(), itertools.cycle(PALETTE), strict=False):
        price.line(
            _naive(series.index), series.to_numpy(), color=color, line_width=1.5, legend_label=name
        )
    price.legend.location = "top_left"
    price.legend.click_policy = "hide"
    return chart


def add_pattern_markers(
    chart: LayoutDOM, bars: pd.DataFrame, patterns: dict[str, pd.Series]
) -> LayoutDOM:
    """Mark candlestick patterns (+100 below the low, −100 above the high)."""
    price = chart.children[0]  # type: ignore[attr-defined]
    times = _naive(bars.index)
    for (name, values), color in zip(patterns.items(), itertools.cycle(PALETTE), strict=False):
        v = values.to_numpy()
        bull, bear = v > 0, v < 0
        price.scatter(
            times[bull],
            bars["low"].to_numpy()[bull] * 0.998,
            marker="triangle",
            size=8,
            color=color,
            legend_label=f"{name} +",
        )
        price.scatter(
            times[bear],
            bars["high"].to_numpy()[bear] * 1.002,
            marker="inverted_triangle",
            size=8,
            color=color,
            alpha=0.6,
            legend_label=f"{name} −",
        )
    price.legend.location = "top_left"
    price.legend.click_policy = "hide"
    return chart


def panel_figure(
    chart: LayoutDOM, lines: dict[str, pd.Series], *, title: str, levels: tuple[float, ...] = ()
) -> LayoutDOM:
    """Append an indicator panel (e.g. RSI with 30/70 levels) under a candle chart."""
    from bokeh.models import Span  # type: ignore[attr-defined]

    price = chart.children[0]  # type: ignore[attr-defined]
    panel = figure(
        x_axis_type="datetime",
        height=160,
        sizing_mode="stretch_width",
        x_range=price.x_range,
        tools="",
        title=title,
    )
    for (name, series), color in zip(lines.items(), itertools.cycle(PALETTE), strict=False):
        panel.line(_naive(series.index), series.to_numpy(), color=color, legend_label=name)
    for level in levels:
        panel.add_layout(
            Span(location=level, dimension="width", line_dash="dashed", line_color="#9e9e9e")
        )
    chart.children.append(panel)  # type: ignore[attr-defined]
    return chart


def add_signal_markers(
    chart: LayoutDOM,
    close: pd.Series,
    changes: pd.DataFrame,
    suppressed: pd.Index | None = None,
) -> LayoutDOM:
    """Mark changes of target direction on a candle chart, at the close.

    ``changes`` has ``before``/``after`` columns indexed by time (as
    :func:`aitrader_core.strategies.signal_changes` returns): ▲ where the
    direction went up (buy), ▼ where it went down (sell); ✕ marks the times in
    ``suppressed`` (signals the governor held back).
    """
    price = chart.children[0]  # type: ignore[attr-defined]
    changes = changes[changes.index.isin(close.index)]
    groups = [
        (changes.index[changes["after"] > changes["before"]], "triangle", "#2e7d32", "buy"),
        (
            changes.index[changes["after"] < changes["before"]],
            "inverted_triangle",
            "#c62828",
            "sell",
        ),
        (
            pd.DatetimeIndex([])
            if suppressed is None
            else suppressed[suppressed.isin(close.index)],
            "x",
            "#757575",
            "suppressed",
        ),
    ]
    for times, marker, color, label in groups:
        price.scatter(
            _naive(times),
            close.loc[times].to_numpy(),
            marker=marker,
            size=10,
            color=color,
            legend_label=label,
        )
    price.legend.location = "top_left"
    return chart


def waterfall_figure(
    steps: list[tuple[str, float]], *, title: str = "", total_label: str = "score"
) -> LayoutDOM:
    """A waterfall: each (name, contribution) bar starts where the running sum stood.

    Green bars push up, red bars down; the last bar is the total (for an
    analysis trace: the score, which the contributions sum to).

    Examples
    --------
    >>> fig = waterfall_figure([("trend", 0.3), ("news", -0.1)])
    >>> fig.x_range.factors
    ['trend', 'news', 'score']
    """
    from bokeh.models import FactorRange, Span  # type: ignore[attr-defined]

    names, bottoms, tops, colours, values = [], [], [], [], []
    running = 0.0
    for name, value in steps:
        names.append(name)
        bottoms.append(running)
        running += value
        tops.append(running)
        values.append(value)
        colours.append("#2e7d32" if value > 0 else "#c62828" if value < 0 else "#9e9e9e")
    names.append(total_label)
    bottoms.append(0.0)
    tops.append(running)
    values.append(running)
    colours.append("#1565c0")
    source = ColumnDataSource(
        {"name": names, "bottom": bottoms, "top": tops, "colour": colours, "value": values}
    )
    fig = figure(
        x_range=FactorRange(factors=names),
        height=320,
        sizing_mode="stretch_width",
        title=title or "contributions to the score",
        tools="hover,save",
        tooltips=[("component", "@name"), ("contribution", "@value{+0.0000}")],
    )
    fig.vbar(x="name", bottom="bottom", top="top", width=0.6, color="colour", source=source)
    fig.add_layout(Span(location=0, dimension="width", line_color="#616161", line_width=1))
    fig.yaxis.axis_label = "score"
    return fig
