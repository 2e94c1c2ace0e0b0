"""Cells of notebooks/05_backtest.ipynb: the default ensemble, its curves, a sweep."""

from __future__ import annotations

CELLS: list[tuple[str, str]] = [
    (
        "md",
        """
# 05 · Backtest, sweep and walk-forward

Run the shipped default ensemble on real candles through the engine (next-bar
execution, fees, pessimistic intrabar stops), look at equity, drawdown and the
trades on the chart, then sweep a strategy's parameters and walk them forward.
The CLI (`aitrader backtest`, `aitrader sweep`) and `POST /paper/backtest` run
the very same code.
""",
    ),
    (
        "code",
        """
# parameters
symbol = "BTC/USDT"
timeframe = "1h"
start = "2023-03-01"
end = "2023-09-01"
ensemble_file = "configs/ensembles/default.yaml"
sweep_kind = "ema_cross"
sweep_grid = {"fast": [5, 10, 15, 20], "slow": [30, 50, 80]}
scheduler = None  # None: serial; "local": a Dask LocalCluster; "tcp://host:8786": a cluster
""",
    ),
    (
        "code",
        """
from pathlib import Path

import pandas as pd
from bokeh.io import output_notebook, show
from bokeh.resources import INLINE

import aitrader_core
from aitrader_core import App, Settings
from aitrader_core.charts import (
    add_trade_markers,
    candlestick_figure,
    equity_drawdown_figure,
    heatmap_figure,
)

output_notebook(INLINE, hide_banner=True)
ROOT = Path(aitrader_core.__file__).resolve().parents[1]
app = App.from_settings(Settings())
app.upgrade_db()
if not app.series():
    app.ingest_sample(progress=True)
""",
    ),
    ("md", "## The default ensemble"),
    (
        "code",
        """
run = app.run_backtest(symbol=symbol, timeframe=timeframe, start=start, end=end,
                       ensemble=str(ROOT / ensemble_file))
metrics = pd.Series(run.summary)
metrics[["bars", "trades", "total_return", "cagr", "sharpe", "sortino", "max_drawdown",
         "win_rate", "profit_factor", "exposure", "total_fees", "final_equity"]]
""",
    ),
    (
        "code",
        """
show(equity_drawdown_figure(run.result.equity, run.result.drawdown,
                            title=f"{symbol} {timeframe} · default ensemble"))
""",
    ),
    (
        "code",
        """
bars = app.bars("binance", symbol, timeframe, start=start, end=end)
show(add_trade_markers(candlestick_figure(bars, title="trades"), run.result.trades))
""",
    ),
    (
        "code",
        """
run.result.trades[["direction", "entry_time", "exit_time", "entry_price", "exit_price",
                   "pnl", "return", "exit_reason"]].tail(10)
""",
    ),
    ("md", "## Sweep and walk-forward"),
    (
        "code",
        """
report = app.sweep(sweep_kind, sweep_grid, symbols=[symbol], timeframe=timeframe,
                   start=start, end=end, scheduler=scheduler, walk_forward_splits=3)
report.sweep.table.head(10)
""",
    ),
    (
        "code",
        """
show(heatmap_figure(report.sweep.table, "fast", "slow", "sharpe"))
""",
    ),
    (
        "code",
        """
assert len(report.walk_forward) == 3
report.walk_forward
""",
    ),
]
