"""A small, fast classifier trained on labelled text: softmax regression on hashed n-grams.

Trained with L-BFGS (scipy) on the features of :mod:`~aitrader_core.sentiment.hashing`;
saved as ``weights.npz`` and ``model.json`` in a folder (no pickle).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from aitrader_core.errors import ConfigError, ValidationError
from aitrader_core.sentiment import metrics
from aitrader_core.sentiment.base import LABELS, Label, Score
from aitrader_core.sentiment.evaluate import read_labelled
from aitrader_core.sentiment.hashing import HashingFeaturizer

FORMAT = "aitrader-fitted-sentiment/1"


def _lbfgs(
    fun: Callable[[np.ndarray], tuple[float, np.ndarray]],
    x: np.ndarray,
    *,
    max_iter: int,
    memory: int = 10,
    ftol: float = 1e-7,
) -> tuple[np.ndarray, float, int]:
    """Minimise a smooth function: L-BFGS two-loop recursion, Armijo back-tracking.

    scipy's L-BFGS-B handles bounds we do not need and spends more time in
    them than in our gradient; this is the unbounded textbook method.
    """
    f, g = fun(x)
    hist: list[tuple[np.ndarray, np.ndarray, float]] = []
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - the count is returned
        q = g.copy()
        alphas = []
        for s, y, rho in reversed(hist):
            a = rho * float(s @ q)
            q -= a * y
            alphas.append(a)
        if hist:
            s, y, _ = hist[-1]
            q *= float(s @ y) / float(y @ y)
        for (s, y, rho), a in zip(hist, reversed(alphas), strict=True):
            q += s * (a - rho * float(y @ q))
        d = -q
        slope = float(g @ d)
        if slope >= 0:  # not a descent direction: restart from steepest descent
            hist.clear()
            d, slope = -g, -float(g @ g)
        step = 1.0 if hist else 1.0 / max(1.0, float(np.sqrt(g @ g)))
        while True:
            x_new = x + step * d
            f_new, g_new = fun(x_new)
            if f_new <= f + 1e-4 * step * slope or step < 1e-12:
                break
            step *= 0.5
        s, y = x_new - x, g_new - g
        sy = float(s @ y)
        if sy > 1e-12:
            hist.append((s, y, 1.0 / sy))
            if len(hist) > memory:
                hist.pop(0)
        done = f - f_new <= ftol * max(1.0, abs(f))
        x, f, g = x_new, f_new, g_new
        if done:
            break
    return x, f, it


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class FittedScorer:
    """Softmax regression over hashed word and character n-grams.

    Build one with :meth:`fit` (or :func:`fit_scorer` from a CSV), keep it with
    :meth:`save`, and bring it back with :meth:`load`.

    Examples
    --------
    >>> texts = ["shares soar", "stock rallies", "shares plunge", "stock slumps",
    ...          "dividend declared", "meeting held"] * 5
    >>> labels = ["positive"] * 2 + ["negative"] * 2 + ["neutral"] * 2
    >>> model = FittedScorer.fit(texts, labels * 5, n_features=2**12)
    >>> [s.label for s in model.score(["shares soar", "stock slumps", "meeting held"])]
    ['positive', 'negative', 'neutral']
    """

    def __init__(
        self,
        featurizer: HashingFeaturizer,
        weights: np.ndarray,
        bias: np.ndarray,
        idf: np.ndarray,
        info: Mapping[str, Any] | None = None,
    ) -> None:
        if weights.shape != (featurizer.n_features, len(LABELS)):
            raise ConfigError(f"weights of shape {weights.shape} do not fit the featurizer")
        self.featurizer = featurizer
        self.weights = weights.astype(np.float32)
        self.bias = bias.astype(np.float64)
        self.idf = idf.astype(np.float32)
        self.info = dict(info or {})
        digest = hashlib.sha256()
        for part in (self.weights, self.bias, self.idf):
            digest.update(np.ascontiguousarray(part).tobytes())
        digest.update(json.dumps(featurizer.to_dict(), sort_keys=True).encode())
        self._model_id = f"fitted:{digest.hexdigest()[:16]}"

    @property
    def model_id(self) -> str:
        """``fitted:<sha256 of weights and settings, 16 hex>``."""
        return self._model_id

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Class probabilities, shape ``(len(texts), 3)`` in :data:`LABELS` order."""
        if not texts:
            return np.empty((0, len(LABELS)))
        x = self.featurizer.transform(texts, self.idf)
        return _softmax(np.asarray(x @ self.weights, dtype=np.float64) + self.bias)

    def score(self, texts: Sequence[str]) -> list[Score]:
        """One :class:`Score` per text."""
        metrics.SCORED.labels(model=self._model_id).inc(len(texts))
        return [
            Score.from_probs(dict(zip(LABELS, row.tolist(), strict=True)))
            for row in self.predict_proba(texts)
        ]

    # -- training -----------------------------------------------------------------
    @classmethod
    def fit(
        cls,
        texts: Sequence[str],
        labels: Sequence[Label],
        *,
        featurizer: HashingFeaturizer | None = None,
        n_features: int = 2**18,
        l2: float = 2e-5,
        max_iter: int = 60,
        balanced: bool = True,
        min_df: int = 2,
    ) -> FittedScorer:
        """Train on ``texts`` and their ``labels`` (positive/negative/neutral).

        ``l2`` is the ridge penalty per example; ``balanced`` weighs each class
        by the inverse of its frequency (on the Twitter data: better macro-F1 and accuracy);
        n-grams found in fewer than ``min_df`` texts get no weight.
        """
        if len(texts) != len(labels) or not texts:
            raise ValidationError(
                f"need as many labels as texts, got {len(texts)} and {len(labels)}"
            )
        index = {lab: i for i, lab in enumerate(LABELS)}
        try:
            y = np.array([index[lab] for lab in labels])
        except KeyError as exc:
            raise ValidationError(f"unknown label {exc.args[0]!r}; use {LABELS}") from exc
        featurizer = featurizer or HashingFeaturizer(n_features=n_features)
        n_features = featurizer.n_features
        counts = featurizer.counts(texts)
        df = np.bincount(counts.indices, minlength=n_features)
        idf = (np.log((1 + len(texts)) / (1 + df)) + 1).astype(np.float32)
        x = featurizer.transform(texts, idf)
        # train only on columns seen in min_df texts: far fewer weights, faster L-BFGS
        used = np.flatnonzero(df >= max(1, min_df))
        xu = sparse.csr_matrix(x[:, used])
        xt = sparse.csr_matrix(xu.T)
        onehot = np.eye(len(LABELS))[y]
        freq = np.bincount(y, minlength=len(LABELS)) / len(y)
        w_row = (1 / (len(LABELS) * np.maximum(freq, 1e-12)))[y] if balanced else np.ones(len(y))
        w_row = w_row / w_row.sum()
        k = len(LABELS)

        def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
            w, b = theta[:-k].reshape(-1, k), theta[-k:]
            p = _softmax(np.asarray(xu @ w) + b)
            value = -float(np.sum(w_row * np.log(np.sum(p * onehot, axis=1) + 1e-15)))
            value += 0.5 * l2 * float(np.sum(w * w))
            g = (p - onehot) * w_row[:, None]
            grad_w = np.asarray(xt @ g) + l2 * w
            return value, np.concatenate([grad_w.ravel(), g.sum(axis=0)])

        theta0 = np.zeros(len(used) * k + k)
        theta, final, iterations = _lbfgs(loss, theta0, max_iter=max_iter)
        weights = np.zeros((n_features, k))
        weights[used] = theta[:-k].reshape(-1, k)
        info = {"examples": len(texts), "iterations": iterations, "loss": final,
                "l2": l2, "balanced": balanced, "min_df": min_df}  # fmt: skip
        return cls(featurizer, weights, theta[-k:], idf, info)

    # -- persistence -----------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write ``model.json`` and ``weights.npz`` into the folder ``path``."""
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            folder / "weights.npz", weights=self.weights, bias=self.bias, idf=self.idf
        )
        meta = {
            "format": FORMAT,
            "model_id": self.model_id,
            "labels": list(LABELS),
            "featurizer": self.featurizer.to_dict(),
            "training": self.info,
        }
        (folder / "model.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        return folder

    @classmethod
    def load(cls, path: str | Path) -> FittedScorer:
        """Read a model written by :meth:`save` (raises ConfigError if it is not one)."""
        folder = Path(path)
        try:
            meta = json.loads((folder / "model.json").read_text(encoding="utf-8"))
            with np.load(folder / "weights.npz", allow_pickle=False) as npz:
                weights, bias, idf = npz["weights"], npz["bias"], npz["idf"]
        except (OSError, ValueError, KeyError) as exc:
            raise ConfigError(f"{folder} is not a fitted sentiment model: {exc}") from exc
        if meta.get("format") != FORMAT or tuple(meta.get("labels", ())) != LABELS:
            raise ConfigError(f"{folder}: unsupported model format {meta.get('format')!r}")
        model = cls(
            HashingFeaturizer(**meta["featurizer"]), weights, bias, idf, meta.get("training")
        )
        if model.model_id != meta.get("model_id"):
            raise ConfigError(f"{folder}: weights do not match model.json (changed or corrupt)")
        return model


def fit_scorer(
    csv: str | Path,
    out_path: str | Path,
    *,
    label_map: Mapping[str, Label] | None = None,
    **params: Any,
) -> FittedScorer:
    """Train a :class:`FittedScorer` on a labelled CSV (``text,label``) and save it.

    ``label_map`` maps the CSV's label values to classes (default: 0 Bearish →
    negative, 1 Bullish → positive, 2 Neutral → neutral); ``params`` go to
    :meth:`FittedScorer.fit`.
    """
    texts, labels = read_labelled(csv, label_map)
    model = FittedScorer.fit(texts, labels, **params)
    model.save(out_path)
    return model
