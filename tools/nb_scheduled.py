"""Cells of the scheduled papermill notebooks (scheduled/*.ipynb).

Thin, like every notebook: a ``parameters`` cell, calls into aitrader_core,
a summary. ``aitrader schedule run NAME`` executes them (aitrader_core.scheduler),
injecting ``run_dir``: the folder of this run's artefacts and the kernel's
working directory. Run by hand (``run_dir = None``) they write where the
use case writes by default (daily report) or to a temporary folder (retrain).
``python tools/nb_scheduled.py`` writes them.
"""

from __future__ import annotations

DAILY_REPORT: list[tuple[str, str]] = [
    (
        "md",
        """
# Daily report

The paper (or live) account's day: the trades CSV, the daily-PnL CSV and the PDF
(journal status, metrics, equity and drawdown, positions, limit usage), written by
`app.reports.daily` into this run's folder. Scheduled in `scheduled/schedule.yaml`;
run by hand with `aitrader schedule run daily_report [-p day 2023-09-04]`.
""",
    ),
    (
        "code",
        """
# parameters
day = None  # UTC day YYYY-MM-DD; None: the last complete day of the coordinator's clock
run_dir = None  # set by the scheduler: this run's folder (None: AITRADER_HOME/reports)
replay_bars = 0  # paper replay only: first advance the replay this many bars (demo, tests)
fail = False  # True: fail on purpose (tests and alert drills)
""",
    ),
    (
        "code",
        """
if fail:
    raise RuntimeError("fail=True: this run fails on purpose (tests and alert drills)")
""",
    ),
    (
        "code",
        """
from pathlib import Path

import pandas as pd

from aitrader_core.app import App

app = App.from_settings()
app.upgrade_db()
for _ in range(replay_bars):
    app.live.step()
files = app.reports.daily(day, folder=Path(run_dir) if run_dir else None)
""",
    ),
    ("md", "## The day"),
    (
        "code",
        """
s = files.report.summary
pd.Series({
    "day": files.day, "window": files.window.label(), "mode": files.report.mode,
    "fills": s.fills, "start equity": s.start_equity, "end equity": s.end_equity,
    "PnL": s.pnl, "return": s.ret, "fees": s.fees, "max drawdown": s.max_drawdown,
    "journal": "verified" if files.report.journal.ok else "BROKEN",
}).to_frame("value")
""",
    ),
    ("md", "## Files written"),
    (
        "code",
        """
pd.DataFrame([{"file": f.name, "kind": f.kind, "bytes": f.size} for f in files.files()])
""",
    ),
    (
        "code",
        """
app.live.stop()
app.close()
""",
    ),
]

RETRAIN: list[tuple[str, str]] = [
    (
        "md",
        """
# Retrain

Refit the models the strategies lean on, each into this run's folder, with its report:

- the fast n-gram sentiment scorer on a labelled CSV, scored on a held-out CSV
  (select it with `AITRADER_SENTIMENT_MODEL=<run folder>/sentiment-model`);
- the meta-labelling model on the default ensemble's backtest trades (triple-barrier
  labels, purged and embargoed walk-forward CV), as `aitrader ml train-meta` does.

Relative paths are the repository's. Scheduled weekly in `scheduled/schedule.yaml`.
""",
    ),
    (
        "code",
        """
# parameters
run_dir = None  # set by the scheduler: this run's folder (None: a temporary folder)
labelled_csv = "data/sentiment/twitter_financial_news_train80.csv.gz"
heldout_csv = "data/sentiment/twitter_financial_news_heldout20.csv.gz"
meta_symbol = "BTC/USDT"
meta_timeframe = "1h"
meta_start = None  # ISO-8601 or None (all stored bars)
meta_end = None
ensemble_file = "configs/ensembles/default.yaml"
splits = 5  # walk-forward folds of the meta-model
""",
    ),
    (
        "code",
        """
import tempfile
from pathlib import Path

import pandas as pd

import aitrader_core
from aitrader_core.app import App
from aitrader_core.ml import train_meta_model

ROOT = Path(aitrader_core.__file__).resolve().parents[1]  # ROOT / "/abs/path" is "/abs/path"
out = Path(run_dir or tempfile.mkdtemp(prefix="retrain-"))
app = App.from_settings()
app.upgrade_db()
""",
    ),
    ("md", "## Sentiment scorer"),
    (
        "code",
        """
scorer = app.fit_sentiment(ROOT / labelled_csv, out / "sentiment-model")
evaluation = app.evaluate_sentiment(ROOT / heldout_csv, model=str(out / "sentiment-model"))
(out / "sentiment-eval.txt").write_text(evaluation.format() + "\\n")
print(f"saved {scorer.model_id} to {out / 'sentiment-model'}\\n")
print(evaluation.format())
""",
    ),
    ("md", "## Meta-labelling model"),
    (
        "code",
        """
run = app.run_backtest(symbol=meta_symbol, timeframe=meta_timeframe, start=meta_start,
                       end=meta_end, ensemble=str(ROOT / ensemble_file))
bars = app.bars(run.key.exchange, run.key.symbol, run.key.timeframe, meta_start, meta_end)
model, data = train_meta_model(bars, run.result.trades, n_splits=splits, params={
    "exchange": run.key.exchange, "symbol": run.key.symbol, "timeframe": run.key.timeframe,
    "ensemble": run.request.ensemble_config().name})
path = model.save(out / "meta-model")
print(f"{len(run.result.trades)} trades, {len(data.y)} labelled, base rate "
      f"{model.metadata['base_rate']:.3f}; model {model.metadata['version']} saved to {path}")
model.folds()[["train", "samples", "base_rate", "taken", "precision", "recall", "f1",
               "accuracy", "auc"]]
""",
    ),
    (
        "code",
        """
pd.DataFrame({"mean of folds": model.report["mean"], "pooled": model.report["pooled"]}).T
""",
    ),
    (
        "code",
        """
app.close()
""",
    ),
]

SCHEDULED: dict[str, list[tuple[str, str]]] = {
    "scheduled/daily_report.ipynb": DAILY_REPORT,
    "scheduled/retrain.ipynb": RETRAIN,
}


def main() -> None:
    """Write the scheduled notebooks (tools/make_notebook.py's builder, stable cell ids)."""
    import sys
    from pathlib import Path

    import nbformat

    tools = Path(__file__).resolve().parent
    sys.path.insert(0, str(tools))
    from make_notebook import ROOT, build

    for rel, cells in SCHEDULED.items():
        nbformat.write(build(cells), ROOT / rel)
        print(f"wrote {rel}")


if __name__ == "__main__":
    main()
