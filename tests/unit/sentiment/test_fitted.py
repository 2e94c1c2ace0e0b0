"""The fitted scorer: held-out skill, save/load without pickle, fit_scorer."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from aitrader_core.errors import ConfigError, ValidationError
from aitrader_core.sentiment import (
    FittedScorer,
    HashingFeaturizer,
    evaluate,
    fit_scorer,
    load_scorer,
)
from tests.unit.sentiment.conftest import HELDOUT


def test_beats_always_neutral_on_heldout(fitted: FittedScorer) -> None:
    report = evaluate(fitted, HELDOUT)
    neutral_share = 1304 / 1976
    assert report.accuracy > neutral_share + 0.10  # measured: 0.83 vs 0.66
    assert report.macro_f1 > 0.70
    assert all(report.per_class[lab][2] > 0.6 for lab in ("negative", "positive"))


def test_save_load_round_trip_is_exact(fitted: FittedScorer, tmp_path: Path) -> None:
    folder = fitted.save(tmp_path / "model")
    assert sorted(p.name for p in folder.iterdir()) == ["model.json", "weights.npz"]
    with np.load(folder / "weights.npz", allow_pickle=False) as npz:  # plain arrays only
        assert set(npz.files) == {"weights", "bias", "idf"}
    meta = json.loads((folder / "model.json").read_text())
    assert meta["model_id"] == fitted.model_id
    assert meta["training"]["examples"] == 7567
    again = FittedScorer.load(folder)
    texts = ["$TSLA jumps after deliveries beat", "Fed holds rates", "Oil slumps 5%"]
    np.testing.assert_array_equal(again.predict_proba(texts), fitted.predict_proba(texts))
    assert again.model_id == fitted.model_id
    assert isinstance(load_scorer(folder), FittedScorer)
    assert (folder / "weights.npz").stat().st_size < 5_000_000


def test_tampered_or_foreign_folders_are_refused(fitted: FittedScorer, tmp_path: Path) -> None:
    folder = fitted.save(tmp_path / "model")
    meta = json.loads((folder / "model.json").read_text())
    meta["model_id"] = "fitted:0000000000000000"
    (folder / "model.json").write_text(json.dumps(meta))
    with pytest.raises(ConfigError, match="do not match"):
        FittedScorer.load(folder)
    meta["format"] = "something-else/9"
    (folder / "model.json").write_text(json.dumps(meta))
    with pytest.raises(ConfigError, match="unsupported"):
        FittedScorer.load(folder)
    with pytest.raises(ConfigError, match="not a fitted sentiment model"):
        FittedScorer.load(tmp_path / "empty")
    with pytest.raises(ConfigError, match="expected 'lexicon'"):
        load_scorer(tmp_path / "empty")


def test_fit_scorer_with_a_label_map(tmp_path: Path) -> None:
    csv = tmp_path / "tiny.csv"
    rows = ["text,label"] + [f"stock soars {i},up" for i in range(10)]
    rows += [f"stock plunges {i},down" for i in range(10)] + [
        f"board meets {i},flat" for i in range(10)
    ]
    csv.write_text("\n".join(rows) + "\n")
    model = fit_scorer(
        csv, tmp_path / "out", label_map={"up": "positive", "down": "negative", "flat": "neutral"},
        featurizer=HashingFeaturizer(n_features=2**12),
    )  # fmt: skip
    assert (tmp_path / "out" / "model.json").is_file()
    labels = [
        s.label for s in model.score(["stock soars 99", "stock plunges 99", "board meets 99"])
    ]
    assert labels == ["positive", "negative", "neutral"]


def test_fit_validates_its_input() -> None:
    with pytest.raises(ValidationError, match="as many labels"):
        FittedScorer.fit(["a", "b"], ["neutral"])
    with pytest.raises(ValidationError, match="unknown label"):
        FittedScorer.fit(["a"], ["bullish"])  # type: ignore[list-item]


def test_features_are_stable_and_normalised() -> None:
    f = HashingFeaturizer(n_features=2**12)
    a, b = f.transform(["Stock soars 5%"]), f.transform(["stock SOARS 7%"])  # digits folded
    assert (a != b).nnz == 0
    assert np.sqrt(a.multiply(a).sum()) == pytest.approx(1.0)
    # fixed hashes: a model saved today reads the same columns in any later process
    assert (
        sorted(HashingFeaturizer(n_features=2**12).counts(["ab"]).indices.tolist())[:3]
        == sorted(f.counts(["ab"]).indices.tolist())[:3]
    )
