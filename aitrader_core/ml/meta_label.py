"""Meta-labelling: learn which of a primary strategy's signals to take, and how much.

The primary strategy (an ensemble) decides the side; the backtest's trades are
its events. Each is labelled by triple barriers scaled to the volatility at
the decision (:mod:`~aitrader_core.ml.labels`); features are read at the
signal bar, the bar *before* the fill (the engine fills at the next open), so
the model sees only what was known when the order was decided. A logistic
regression is scored by purged, embargoed walk-forward CV and then refitted on
everything; :func:`filter_signals` and :func:`size_from_proba` are what the
live coordinator applies.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtr

from aitrader_core.errors import ValidationError
from aitrader_core.ml.cards import ModelCard
from aitrader_core.ml.classifier import Logistic, binary_report, fit_logistic
from aitrader_core.ml.cv import purged_walk_forward
from aitrader_core.ml.features import meta_features
from aitrader_core.ml.labels import barrier_width, triple_barrier_labels

FORMAT = "aitrader-meta-model/1"
MODEL_FILE = "meta_model.json"
_SCORES = ("precision", "recall", "f1", "accuracy", "auc", "base_rate")


def events_from_trades(trades: pd.DataFrame, bars: pd.DataFrame) -> pd.DataFrame:
    """Events of a backtest's trades: entry bar, ``side``, fill ``price``, ``signal_time``.

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=3, freq="1h", tz="UTC")
    >>> trades = pd.DataFrame({"entry_time": [idx[2]], "direction": ["long"],
    ...                        "entry_price": [101.0]})
    >>> ev = events_from_trades(trades, pd.DataFrame(index=idx))
    >>> ev[["side", "price"]].iloc[0].tolist(), ev["signal_time"].iloc[0].hour
    ([1.0, 101.0], 1)
    """
    entry = pd.DatetimeIndex(trades["entry_time"], name="entry_time")
    pos = bars.index.get_indexer(entry)
    if (pos < 1).any():  # next-open fills: every entry follows its signal bar
        raise ValidationError("a trade enters on no bar or on the first bar", field="trades")
    side = np.where(trades["direction"].to_numpy() == "long", 1.0, -1.0)
    events = pd.DataFrame(
        {
            "side": side,
            "price": trades["entry_price"].to_numpy(float),
            "signal_time": bars.index[pos - 1],
        },
        index=entry,
    )
    return events[~events.index.duplicated()].sort_index()


@dataclass(frozen=True)
class MetaDataset:
    """Events with labels and signal-bar features, rows with warm-up NaNs dropped."""

    events: pd.DataFrame
    labels: pd.DataFrame
    features: pd.DataFrame

    @property
    def y(self) -> pd.Series:
        """The meta-labels (1: the trade reached profit first or ended up)."""
        return self.labels["label"]

    @property
    def t1(self) -> pd.Series:
        """When each label became known (its exit bar)."""
        return self.labels["t1"]


def meta_dataset(
    bars: pd.DataFrame,
    trades: pd.DataFrame,
    *,
    pt: float = 1.0,
    sl: float = 1.0,
    max_holding: int = 24,
    vol_span: int = 100,
) -> MetaDataset:
    """Label the trades' events (barriers in units of the horizon volatility) and
    read their features at the signal bar."""
    events = events_from_trades(trades, bars)
    width = barrier_width(bars["close"], span=vol_span, horizon=max_holding)
    events["trgt"] = width.reindex(events["signal_time"]).to_numpy()
    events = events[np.isfinite(events["trgt"]) & (events["trgt"] > 0)]
    labels = triple_barrier_labels(bars, events, pt=pt, sl=sl, max_holding=max_holding)
    feats = meta_features(bars).reindex(events.loc[labels.index, "signal_time"])
    feats.index = labels.index
    feats["side"] = labels["side"].astype(float)
    keep = feats.notna().all(axis=1)
    return MetaDataset(events.loc[labels.index[keep]], labels[keep], feats[keep])


class MetaModel:
    """A fitted meta-classifier with its metadata and cross-validation report."""

    def __init__(self, classifier: Logistic, features: list[str], metadata: dict[str, Any]):
        self.classifier = classifier
        self.features = features
        self.metadata = metadata

    @classmethod
    def fit(
        cls,
        features: pd.DataFrame,
        labels: pd.Series,
        t1: pd.Series,
        *,
        n_splits: int = 5,
        embargo: str | pd.Timedelta = "24h",
        l2: float = 1.0,
        threshold: float = 0.5,
        version: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> MetaModel:
        """Score by purged walk-forward CV, then fit on all samples.

        Examples
        --------
        >>> rng = np.random.default_rng(0)
        >>> t0 = pd.date_range("2024-01-01", periods=120, freq="1h", tz="UTC")
        >>> x = pd.DataFrame({"f": rng.normal(size=120)}, index=t0)
        >>> y = pd.Series((x["f"] + rng.normal(size=120) > 0).astype(int), index=t0)
        >>> m = MetaModel.fit(x, y, pd.Series(t0 + pd.Timedelta("2h"), index=t0), n_splits=3)
        >>> len(m.report["folds"]), m.report["pooled"]["auc"] > 0.7
        (3, True)
        """
        x = features.to_numpy(dtype=float)
        y = labels.to_numpy(dtype=int)
        folds, oos_y, oos_p = [], [], []
        for k, (train, test) in enumerate(
            purged_walk_forward(pd.DatetimeIndex(features.index), t1, n_splits, embargo)
        ):
            row: dict[str, Any] = {
                "fold": k,
                "train": len(train),
                "test_from": features.index[test[0]].isoformat(),
                "test_to": features.index[test[-1]].isoformat(),
            }
            if len(np.unique(y[train])) < 2:
                folds.append(
                    {**row, **binary_report(y[test], np.zeros(len(test))), "skipped": True}
                )
                continue
            proba = fit_logistic(x[train], y[train], l2=l2).predict_proba(x[test])
            folds.append({**row, **binary_report(y[test], proba, threshold)})
            oos_y.append(y[test])
            oos_p.append(proba)
        pooled = (
            binary_report(np.concatenate(oos_y), np.concatenate(oos_p), threshold) if oos_y else {}
        )
        start, end = features.index.min(), features.index.max()
        metadata = {
            "format": FORMAT,
            "version": version or f"meta-{end:%Y%m%dT%H%M}",
            "trained_from": start.isoformat(),
            "trained_to": end.isoformat(),
            "samples": len(y),
            "base_rate": float(y.mean()),
            "features": list(features.columns),
            "threshold": threshold,
            "l2": l2,
            "params": dict(params or {}),
            "cv": {
                "n_splits": n_splits,
                "embargo": str(pd.Timedelta(embargo)),
                "folds": folds,
                "mean": _mean_scores(folds),
                "pooled": pooled,
            },
        }
        return cls(fit_logistic(x, y, l2=l2), list(features.columns), metadata)

    @property
    def report(self) -> dict[str, Any]:
        """The cross-validation report: ``folds``, their ``mean`` and the ``pooled`` scores."""
        return dict(self.metadata["cv"])

    def folds(self) -> pd.DataFrame:
        """The per-fold scores as a table."""
        return pd.DataFrame(self.metadata["cv"]["folds"]).set_index("fold")

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray:
        """P(the signal pays) per row; rows with a missing feature give NaN."""
        missing = [f for f in self.features if f not in features]
        if missing:
            raise ValidationError(f"missing features {missing}", field="features")
        return self.classifier.predict_proba(features[self.features].to_numpy(dtype=float))

    def card(self, name: str = "meta", path: str | None = None) -> ModelCard:
        """The model's card for the :class:`~aitrader_core.ml.router.ModelRouter`."""
        auc = self.metadata["cv"]["pooled"].get("auc")
        return ModelCard(
            name=name,
            kind="signal",
            version=self.metadata["version"],
            trained_from_ms=int(pd.Timestamp(self.metadata["trained_from"]).value // 1_000_000),
            trained_to_ms=int(pd.Timestamp(self.metadata["trained_to"]).value // 1_000_000),
            validation_score=float("nan") if auc is None else float(auc),
            path=path,
            params=dict(self.metadata["params"]),
        )

    def save(self, folder: str | Path) -> Path:
        """Write ``meta_model.json`` (metadata, CV report, weights) into ``folder``."""
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        path = out / MODEL_FILE
        body = {**self.metadata, "classifier": self.classifier.to_json()}
        path.write_text(json.dumps(body, indent=2, allow_nan=False, default=_json_default))
        return path

    @classmethod
    def load(cls, folder: str | Path) -> MetaModel:
        """Read a model written by :meth:`save`."""
        path = Path(folder) / MODEL_FILE
        body = json.loads(path.read_text())
        if body.get("format") != FORMAT:
            raise ValidationError(f"{path} is not a {FORMAT} file", field="folder")
        classifier = Logistic.from_json(body.pop("classifier"))
        return cls(classifier, list(body["features"]), body)


def train_meta_model(
    bars: pd.DataFrame,
    trades: pd.DataFrame,
    *,
    pt: float = 1.0,
    sl: float = 1.0,
    max_holding: int = 24,
    n_splits: int = 5,
    embargo: str | pd.Timedelta = "24h",
    l2: float = 1.0,
    params: Mapping[str, Any] | None = None,
) -> tuple[MetaModel, MetaDataset]:
    """Build the dataset from a backtest's trades and fit a :class:`MetaModel` on it.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> idx = pd.date_range("2024-01-01", periods=600, freq="1h", tz="UTC")
    >>> close = pd.Series(100 * np.exp(np.cumsum(rng.normal(0, 0.01, 600))), index=idx)
    >>> bars = pd.DataFrame({"open": close.shift(1).fillna(100), "high": close * 1.004,
    ...                      "low": close * 0.996, "close": close, "volume": 1.0})
    >>> trades = pd.DataFrame({"entry_time": idx[100:560:15], "direction": "long",
    ...                        "entry_price": bars["open"].iloc[100:560:15].to_numpy()})
    >>> model, data = train_meta_model(bars, trades, n_splits=3, embargo="12h")
    >>> len(data.y), len(model.report["folds"]), model.metadata["params"]["max_holding"]
    (31, 3, 24)
    """
    data = meta_dataset(bars, trades, pt=pt, sl=sl, max_holding=max_holding)
    if len(data.y) < n_splits + 1:
        raise ValidationError(f"only {len(data.y)} labelled trades", field="trades")
    settings = {"pt": pt, "sl": sl, "max_holding": max_holding, **(params or {})}
    model = MetaModel.fit(
        data.features, data.y, data.t1, n_splits=n_splits, embargo=embargo, l2=l2, params=settings
    )
    return model, data


def filter_signals(signals: pd.Series, proba: pd.Series, threshold: float = 0.5) -> pd.Series:
    """Drop whole positions whose entry the model scored below ``threshold``.

    ``proba`` is indexed by signal bars (where a run of equal non-zero
    signals starts); a run without a score is kept.

    Examples
    --------
    >>> s = pd.Series([0, 1, 1, 0, 1, 1, -1])
    >>> filter_signals(s, pd.Series({1: 0.3, 4: 0.8}), 0.5).tolist()
    [0, 0, 0, 0, 1, 1, -1]
    """
    s = signals.to_numpy()
    p = proba.reindex(signals.index).to_numpy(dtype=float)
    starts = np.r_[True, s[1:] != s[:-1]] if len(s) else np.zeros(0, dtype=bool)
    run = np.cumsum(starts) - 1
    drop = (s[starts] != 0) & (p[starts] < threshold)
    return pd.Series(np.where(drop[run], 0, s), index=signals.index, name=signals.name)


def size_from_proba(proba: np.ndarray | pd.Series, threshold: float = 0.5) -> np.ndarray:
    """Bet size in [0, 1] from P(win): ``2·Φ(z) − 1`` with ``z = (p − ½)/√(p(1 − p))``.

    Zero below ``threshold`` (and for NaN); 1 only as p → 1 (López de Prado, ch. 10).

    Examples
    --------
    >>> np.round(size_from_proba(np.array([0.4, 0.5, 0.6, 0.9])), 3).tolist()
    [0.0, 0.0, 0.162, 0.818]
    """
    p = np.clip(np.asarray(proba, dtype=float), 1e-12, 1 - 1e-12)
    size = 2 * ndtr((p - 0.5) / np.sqrt(p * (1 - p))) - 1
    return np.where(np.nan_to_num(p, nan=0.0) >= max(threshold, 0.5), size, 0.0)


def _mean_scores(folds: list[dict[str, Any]]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for name in _SCORES:
        values = [f[name] for f in folds if not f.get("skipped") and f.get(name) is not None]
        out[name] = float(np.mean(values)) if values else None
    return out


def _json_default(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")
