"""Cells of notebooks/02_indicators.ipynb: indicators on real candles, overlays, patterns."""

from __future__ import annotations

CELLS: list[tuple[str, str]] = [
    (
        "md",
        """
# 02 · Indicators

TA-Lib-compatible indicators (same names, parameters and warm-up; checked
against TA-Lib to 1e-8 in the tests) on real Binance candles: moving averages
and Bollinger bands over the price, RSI and MACD below, candlestick patterns
marked on the bars. Every indicator takes numpy arrays or pandas Series and
never looks ahead (property-tested).
""",
    ),
    (
        "code",
        """
# parameters
symbol = "ETH/USDT"
timeframe = "1h"
start = "2023-10-15"
end = "2023-11-15"
""",
    ),
    (
        "code",
        """
import pandas as pd
from bokeh.io import output_notebook, show
from bokeh.resources import INLINE

from aitrader_core import App, Settings
from aitrader_core import indicators as ta
from aitrader_core.charts import add_lines, add_pattern_markers, candlestick_figure, panel_figure

output_notebook(INLINE, hide_banner=True)
app = App.from_settings(Settings())
app.upgrade_db()
if not app.series():
    app.ingest_sample(progress=True)
bars = app.bars("binance", symbol, timeframe, start=start, end=end)
o, h, lo, c, v = (bars[k] for k in ("open", "high", "low", "close", "volume"))
""",
    ),
    (
        "code",
        """
upper, middle, lower = ta.bbands(c, timeperiod=20, nbdevup=2.0, nbdevdn=2.0)
macd_line, signal_line, histogram = ta.macd(c)
table = pd.DataFrame({
    "close": c, "ema_20": ta.ema(c, 20), "sma_50": ta.sma(c, 50), "rsi_14": ta.rsi(c, 14),
    "atr_14": ta.atr(h, lo, c, 14), "adx_14": ta.adx(h, lo, c, 14), "bb_upper": upper,
    "bb_lower": lower, "macd": macd_line, "obv": ta.obv(c, v),
})
table.tail(8)
""",
    ),
    (
        "code",
        """
patterns = {"engulfing": ta.engulfing(o, h, lo, c), "hammer": ta.hammer(o, h, lo, c),
            "doji": ta.doji(o, h, lo, c)}
pd.DataFrame({name: (p != 0).sum() for name, p in patterns.items()}, index=["bars"])
""",
    ),
    (
        "code",
        """
chart = candlestick_figure(bars, title=f"{symbol} {timeframe}")
add_lines(chart, {"EMA 20": table["ema_20"], "SMA 50": table["sma_50"],
                  "BB upper": upper, "BB lower": lower})
add_pattern_markers(chart, bars, patterns)
panel_figure(chart, {"RSI 14": table["rsi_14"]}, title="RSI", levels=(30, 70))
panel_figure(chart, {"MACD": macd_line, "signal": signal_line}, title="MACD", levels=(0,))
show(chart)
""",
    ),
    (
        "code",
        """
assert table["rsi_14"].iloc[20:].between(0, 100).all()
assert table["ema_20"].iloc[:19].isna().all()  # TA-Lib's warm-up
""",
    ),
]
