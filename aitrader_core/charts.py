"""Bokeh figures shared by notebooks, the dashboard and reports (no I/O, no display)."""

from __future__ import annotations

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
