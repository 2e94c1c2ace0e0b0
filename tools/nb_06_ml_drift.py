"""Cells of notebooks/06_ml_drift.ipynb: meta-labelling on real trades, drift routing."""

from __future__ import annotations

CELLS: list[tuple[str, str]] = [
    (
        "md",
        """
# 06 · Meta-labelling and model drift

**Meta-labelling.** The shipped default ensemble decides the side; a second
model learns which of its trades to take. Each backtest trade is labelled by
triple barriers (profit target, stop, time limit, sized to the volatility at
the decision), described by indicators read on the signal bar (the bar before
the next-open fill), and scored by purged, embargoed walk-forward
cross-validation. `aitrader ml train-meta` runs the same code.

**Drift.** The model router serves each model kind from its best healthy
model, watches every model's online error with river's ADWIN, falls back to
the next model on drift, and demotes the strategy to paper when none is left;
each event is journaled and counted (`aitrader_drift_events_total`).
""",
    ),
    (
        "code",
        """
# parameters
symbol = "BTC/USDT"
timeframe = "1h"
start = "2023-01-01"
end = "2024-01-10"
ensemble_file = "configs/ensembles/default.yaml"
pt, sl, max_holding = 1.0, 1.0, 24  # barriers in units of the horizon volatility; bars
splits, embargo = 5, "24h"
threshold = 0.5
drift_samples, main_changes_at, backup_changes_at = 5000, 2000, 4000
error_before, error_after, seed = 0.1, 0.6, 7
""",
    ),
    (
        "code",
        """
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from bokeh.io import output_notebook, show
from bokeh.resources import INLINE

import aitrader_core
from aitrader_core import App, Settings
from aitrader_core.clock import ReplayClock
from aitrader_core.compliance import Journal
from aitrader_core.ml import (
    ModelCard,
    ModelRouter,
    replay_errors,
    size_from_proba,
    train_meta_model,
)
from aitrader_core.ml.charts import drift_figure, fold_scores_figure
from aitrader_core.store import make_engine, upgrade

output_notebook(INLINE, hide_banner=True)
ROOT = Path(aitrader_core.__file__).resolve().parents[1]
app = App.from_settings(Settings())
app.upgrade_db()
if not app.series():
    app.ingest_sample()
""",
    ),
    ("md", "## Triple-barrier labels of the default ensemble's trades"),
    (
        "code",
        """
run = app.run_backtest(symbol=symbol, timeframe=timeframe, start=start, end=end,
                       ensemble=str(ROOT / ensemble_file))
bars = app.bars("binance", symbol, timeframe, start=start, end=end)
model, data = train_meta_model(bars, run.result.trades, pt=pt, sl=sl, max_holding=max_holding,
                               n_splits=splits, embargo=embargo)
print(f"{len(run.result.trades)} trades, {len(data.y)} labelled, "
      f"base rate {data.y.mean():.3f} (the precision of taking every signal)")
data.labels.groupby("barrier")["ret"].describe()[["count", "mean", "min", "max"]]
""",
    ),
    ("md", "## Walk-forward report (purged, embargoed)"),
    (
        "code",
        """
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
show(fold_scores_figure(model.folds(),
                        title="Precision by fold: above the base rate, the filter helped"))
""",
    ),
    (
        "md",
        """
Read the fold table before trusting the filter: with a couple of hundred
trades a fold holds a few dozen, so precision moves by ±0.1 from chance
alone. The model saved by `aitrader ml train-meta` carries this report.
Sizes the coordinator would use for the latest trades (in-sample, for
illustration):
""",
    ),
    (
        "code",
        """
proba = model.predict_proba(data.features)
pd.DataFrame({"proba": proba, "size": size_from_proba(proba, threshold),
              "label": data.y, "ret": data.labels["ret"]}, index=data.y.index).tail(8)
""",
    ),
    ("md", "## Drift: the router on a synthetic error stream"),
    (
        "code",
        """
rng = np.random.default_rng(seed)
step = np.arange(drift_samples)
rate = {name: np.where(step < at, error_before, error_after)
        for name, at in (("main", main_changes_at), ("backup", backup_changes_at))}
errors = pd.DataFrame({n: rng.random(drift_samples) < p for n, p in rate.items()}, dtype=float)
demo_db = make_engine(f"sqlite:///{tempfile.mkdtemp()}/drift-demo.db")  # not your journal
upgrade(demo_db)
journal = Journal(demo_db, ReplayClock(0))
router = ModelRouter(journal, on_demote=lambda kind, why: print(f"→ {kind} to paper: {why}"))
for name, priority in (("main", 1), ("backup", 2)):
    router.register(ModelCard(name=name, kind="signal", version="demo", trained_from_ms=0,
                              trained_to_ms=0, validation_score=0.9), priority=priority)
events = replay_errors(router, errors)
events["delay"] = events["step"] - np.where(events["model"] == "main", main_changes_at,
                                            backup_changes_at)
events[["step", "delay", "model", "action", "mean_before", "mean_after", "replacement"]]
""",
    ),
    (
        "code",
        """
show(drift_figure(errors, events, window=100, change_at=main_changes_at,
                  title="Rolling error; dashed: main's change, solid: the router's events"))
""",
    ),
    (
        "code",
        """
pd.DataFrame([s.model_dump() for s in router.status()]).set_index("name")
""",
    ),
    (
        "code",
        """
pd.DataFrame([{"seq": r.seq, "actor": r.actor, **r.payload}
              for r in journal.records(kinds=["drift"])])
""",
    ),
]
