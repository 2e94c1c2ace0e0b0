"""The public surface of aitrader_core.ml is what its __all__ says."""

from __future__ import annotations

import aitrader_core.ml as ml

PINNED = {
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
}


def test_all_is_pinned_and_resolves() -> None:
    assert set(ml.__all__) == PINNED
    for name in ml.__all__:
        assert getattr(ml, name) is not None
