"""Machine learning around the strategies: a drift-aware model router and meta-labelling.

:class:`ModelRouter` serves each model kind (``signal``, ``sentiment``) from
its best healthy model, watches every model's online error with river's ADWIN
and falls back, or demotes the strategy to paper, on drift (journaled and
counted). Meta-labelling (:func:`train_meta_model`, :class:`MetaModel`)
learns from a backtest's trades which primary signals to take and how much:
triple-barrier labels, purged and embargoed walk-forward CV, a small logistic
regression saved with its metadata and report.
"""

from aitrader_core.ml.classifier import Logistic, binary_report, fit_logistic
from aitrader_core.ml.cv import purged_walk_forward
from aitrader_core.ml.features import FEATURES, meta_features
from aitrader_core.ml.labels import barrier_width, triple_barrier_labels
from aitrader_core.ml.meta_label import (
    MetaDataset,
    MetaModel,
    events_from_trades,
    filter_signals,
    meta_dataset,
    size_from_proba,
    train_meta_model,
)
from aitrader_core.ml.router import DriftEvent, ModelCard, ModelRouter, ModelStatus, replay_errors

__all__ = [
    "FEATURES",
    "DriftEvent",
    "Logistic",
    "MetaDataset",
    "MetaModel",
    "ModelCard",
    "ModelRouter",
    "ModelStatus",
    "barrier_width",
    "binary_report",
    "events_from_trades",
    "filter_signals",
    "fit_logistic",
    "meta_dataset",
    "meta_features",
    "purged_walk_forward",
    "replay_errors",
    "size_from_proba",
    "train_meta_model",
    "triple_barrier_labels",
]
