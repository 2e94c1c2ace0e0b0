"""The meta-classifier: deterministic fit, exact save/load, filtering and sizing helpers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aitrader_core.errors import ValidationError
from aitrader_core.ml import (
    MetaModel,
    binary_report,
    filter_signals,
    fit_logistic,
    size_from_proba,
)


def synthetic(n: int = 300, seed: int = 0) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """Two informative features and a noise one; labels known 6 h after each event."""
    rng = np.random.default_rng(seed)
    t0 = pd.date_range("2024-01-01", periods=n, freq="2h", tz="UTC")
    x = pd.DataFrame(rng.normal(size=(n, 3)), columns=["a", "b", "noise"], index=t0)
    y = pd.Series((x["a"] - 0.5 * x["b"] + rng.normal(0, 1, n) > 0).astype(int), index=t0)
    return x, y, pd.Series(t0 + pd.Timedelta("6h"), index=t0)


def test_fit_save_load_gives_identical_probabilities(tmp_path: Path) -> None:
    x, y, t1 = synthetic()
    model = MetaModel.fit(x, y, t1, n_splits=4, embargo="12h", params={"pt": 1.0})
    path = model.save(tmp_path / "m")
    loaded = MetaModel.load(tmp_path / "m")
    fresh = pd.DataFrame(np.random.default_rng(9).normal(size=(50, 3)), columns=x.columns)
    assert np.array_equal(model.predict_proba(fresh), loaded.predict_proba(fresh))
    assert loaded.metadata == model.metadata
    body = json.loads(path.read_text())
    assert body["features"] == ["a", "b", "noise"]
    assert body["trained_from"].startswith("2024-01-01T00:00")
    assert body["params"] == {"pt": 1.0}
    assert len(body["cv"]["folds"]) == 4
    for fold in body["cv"]["folds"]:
        assert {"precision", "recall", "f1", "accuracy", "auc", "base_rate"} <= set(fold)
    assert body["cv"]["pooled"]["auc"] > 0.7  # the signal is real here, so CV finds it


def test_fitting_is_deterministic_and_columns_are_matched_by_name() -> None:
    x, y, t1 = synthetic(seed=3)
    one = MetaModel.fit(x, y, t1, n_splits=3)
    two = MetaModel.fit(x, y, t1, n_splits=3)
    assert np.array_equal(one.predict_proba(x), two.predict_proba(x))
    assert np.array_equal(one.predict_proba(x), one.predict_proba(x[["noise", "b", "a"]]))
    with pytest.raises(ValidationError, match="missing features"):
        one.predict_proba(x[["a"]])
    proba = one.predict_proba(x.assign(a=np.where(np.arange(len(x)) == 0, np.nan, x["a"])))
    assert np.isnan(proba[0])
    assert np.isfinite(proba[1:]).all()


def test_card_describes_the_model_for_the_router() -> None:
    x, y, t1 = synthetic()
    card = MetaModel.fit(x, y, t1, n_splits=3, version="v7").card("meta-btc", path="/m")
    assert (card.kind, card.version, card.path) == ("signal", "v7", "/m")
    assert card.trained_from_ms == int(x.index[0].value // 1_000_000)
    assert 0.5 < card.validation_score <= 1.0


def test_load_refuses_a_foreign_file(tmp_path: Path) -> None:
    (tmp_path / "meta_model.json").write_text('{"format": "something-else"}')
    with pytest.raises(ValidationError, match="not a aitrader-meta-model"):
        MetaModel.load(tmp_path)


def test_logistic_refuses_what_it_cannot_learn() -> None:
    with pytest.raises(ValidationError, match="single class"):
        fit_logistic(np.ones((4, 1)), np.ones(4))
    with pytest.raises(ValidationError, match="NaN"):
        fit_logistic(np.array([[np.nan], [1.0]]), np.array([0, 1]))


def test_report_is_undefined_rather_than_wrong() -> None:
    report = binary_report(np.array([0, 0, 1]), np.array([0.1, 0.2, 0.3]))
    assert (report["taken"], report["precision"], report["recall"], report["f1"]) == (
        0,
        None,
        0.0,
        None,
    )
    assert binary_report(np.array([1, 1]), np.array([0.9, 0.8]))["auc"] is None


signals = st.lists(st.sampled_from([-1, 0, 1]), min_size=1, max_size=60)


@settings(max_examples=100, deadline=None)
@given(signals, st.data())
def test_filter_keeps_or_drops_whole_positions(raw: list[int], data: st.DataObject) -> None:
    s = pd.Series(raw)
    starts = [i for i in range(len(raw)) if raw[i] != 0 and (i == 0 or raw[i] != raw[i - 1])]
    scored = data.draw(st.lists(st.sampled_from(starts), unique=True)) if starts else []
    proba = pd.Series({i: data.draw(st.floats(0, 1)) for i in scored}, dtype=float)
    out = filter_signals(s, proba, 0.5).tolist()
    for k, start in enumerate(starts):  # a position: its start up to the next change
        end = next((j for j in range(start, len(raw)) if raw[j] != raw[start]), len(raw))
        dropped = start in proba.index and proba[start] < 0.5
        assert out[start:end] == ([0] * (end - start) if dropped else raw[start:end]), k
    assert all(out[j] == 0 for j in range(len(raw)) if raw[j] == 0)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=2, max_size=30))
def test_size_is_bounded_monotone_and_zero_below_threshold(ps: list[float]) -> None:
    p = np.sort(np.array(ps))
    size = size_from_proba(p, threshold=0.55)
    assert ((size >= 0) & (size <= 1)).all()
    assert (np.diff(size) >= -1e-12).all()
    assert (size[p < 0.55] == 0).all()
    assert size_from_proba(np.array([np.nan]))[0] == 0
