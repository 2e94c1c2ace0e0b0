"""Cell sources of the notebooks (thin: parameters, calls into aitrader_core, pictures)."""

from __future__ import annotations

import nb_02_indicators
import nb_03_sentiment
import nb_04_ensembles
import nb_05_backtest
import nb_06_ml_drift
import nb_scheduled

DATA_01 = [
    (
        "md",
        """
# 01 · Market data

Load the bundled real Binance candles into the store (SQLite under
`AITRADER_HOME`, or PostgreSQL by `AITRADER_DB_URL`), inspect what is stored and
how complete it is, and draw a candle chart.
""",
    ),
    (
        "code",
        """
# parameters
exchange = "binance"
symbol = "BTC/USDT"
timeframe = "1h"
start = "2023-10-01"
end = "2023-10-15"
""",
    ),
    (
        "code",
        """
import pandas as pd
from bokeh.io import output_notebook, show
from bokeh.resources import INLINE

from aitrader_core import App, Settings
from aitrader_core.charts import candlestick_figure

output_notebook(INLINE, hide_banner=True)
app = App.from_settings(Settings())
app.upgrade_db()
if not app.series():
    app.ingest_sample(progress=True)
""",
    ),
    ("md", "## What is stored"),
    (
        "code",
        """
series = pd.DataFrame(app.series())
series["first"] = pd.to_datetime(series["first_ts"], unit="ms", utc=True)
series["last"] = pd.to_datetime(series["last_ts"], unit="ms", utc=True)
series.drop(columns=["first_ts", "last_ts"])
""",
    ),
    ("md", "## Coverage: expected bars, missing bars and the gaps"),
    (
        "code",
        """
cov = app.coverage(exchange, symbol, timeframe)
gaps = pd.DataFrame(cov.gaps, columns=["first_missing", "last_missing"]).apply(
    pd.to_datetime, unit="ms", utc=True
)
print(f"{cov.count} bars of {cov.expected} expected; {cov.gap_count} gap(s)")
gaps
""",
    ),
    ("md", "## Candles"),
    (
        "code",
        """
bars = app.bars(exchange, symbol, timeframe, start=start, end=end)
assert len(bars) > 0, "no bars in the chosen range"
bars[["open", "high", "low", "close", "volume"]].describe()
""",
    ),
    (
        "code",
        """
show(candlestick_figure(bars, title=f"{symbol} {timeframe} · {exchange}"))
""",
    ),
]

NOTEBOOKS: dict[str, list[tuple[str, str]]] = {
    "notebooks/01_data.ipynb": DATA_01,
    "notebooks/02_indicators.ipynb": nb_02_indicators.CELLS,
    "notebooks/03_sentiment_analysis.ipynb": nb_03_sentiment.CELLS,
    "notebooks/04_ensembles.ipynb": nb_04_ensembles.CELLS,
    "notebooks/05_backtest.ipynb": nb_05_backtest.CELLS,
    "notebooks/06_ml_drift.ipynb": nb_06_ml_drift.CELLS,
    **nb_scheduled.SCHEDULED,
}
