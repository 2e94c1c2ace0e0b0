"""Cell sources of notebooks/04_ensembles.ipynb: build, validate and inspect an ensemble."""

from __future__ import annotations

CELLS: list[tuple[str, str]] = [
    (
        "md",
        """
# 04 · Strategy ensembles

Load an ensemble config (`configs/ensembles/*.yaml`), validate it, run it on
real candles from the store and look at what it decided: each member's vote,
the weighted score, the signals the governor let through and the ones it
suppressed. The schema is in `configs/ensembles/README.md`.
""",
    ),
    (
        "code",
        """
# parameters
ensemble_file = "configs/ensembles/default.yaml"  # relative to the project root, or absolute
exchange = "binance"
symbol = "BTC/USDT"
timeframe = "1h"
start = "2023-10-01"  # chart window; the ensemble runs on all history up to `end`
end = "2023-11-15"
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
from aitrader_core.charts import add_signal_markers, candlestick_figure, panel_figure
from aitrader_core.strategies import Ensemble, ensemble_errors, load_ensemble, signal_changes

output_notebook(INLINE, hide_banner=True)
app = App.from_settings(Settings())
app.upgrade_db()
if not app.series():
    app.ingest_sample()
config_path = Path(aitrader_core.__file__).resolve().parents[1] / ensemble_file
""",
    ),
    ("md", "## Validate the config: every problem at once, each with its path"),
    (
        "code",
        """
problems = ensemble_errors(config_path)
print("\\n".join(problems) or f"{config_path.name}: valid")
config = load_ensemble(config_path)
members = pd.DataFrame([m.model_dump() for m in config.members]).set_index("name")
members.assign(normalised_weight=config.weights())
""",
    ),
    (
        "md",
        """
A broken copy of the same config shows what validation reports: the
parameter, the member and the reason, for every mistake in one pass.
""",
    ),
    (
        "code",
        """
broken = config.model_dump()
broken["threshold"] = 1.5
broken["members"][0]["params"]["slow"] = 1
broken["members"][1]["kind"] = "macd"
broken["members"][2]["name"] = broken["members"][3]["name"]
print("\\n".join(ensemble_errors(broken)))
""",
    ),
    ("md", "## Run on real candles"),
    (
        "code",
        """
bars = app.bars(exchange, symbol, timeframe, end=end)
assert len(bars) > 0, "no bars stored for this series"
result = Ensemble(config).run(bars)
votes = result.members.loc[start:end]
pd.DataFrame(
    {
        "weight": result.weights,
        "long share": (votes == 1).mean(),
        "short share": (votes == -1).mean(),
        "changes": votes.diff().fillna(0).ne(0).sum(),
    }
).round(3)
""",
    ),
    (
        "code",
        """
trades = signal_changes(result.signal).loc[start:end]
dropped = result.suppressed.loc[start:end]
print(f"{config.name}: long {(result.signal.loc[start:end] == 1).mean():.0%} of the window, "
      f"{len(trades)} changes of direction, {len(dropped)} new signals suppressed")
dropped.assign(score=result.score)
""",
    ),
    (
        "md",
        """
## Price with the ensemble's signals, and the score

Green triangles: the target direction went up (buy); red: it went down
(sell); grey crosses: new signals the governor suppressed. Below, the
weighted score with the threshold (dashed): beyond it the vote becomes a
signal.
""",
    ),
    (
        "code",
        """
view = bars.loc[start:end]
chart = candlestick_figure(view, title=f"{config.name} · {symbol} {timeframe} · {exchange}")
add_signal_markers(chart, view["close"], trades, dropped.index)
panel_figure(chart, {"score": result.score.loc[start:end]}, title="ensemble score",
             levels=(config.threshold, -config.threshold))
show(chart)
""",
    ),
]
