"""A small L2-regularised logistic regression in numpy, and binary-classification scores.

Deterministic (Newton's method from zero weights), standardised inputs, and
plain arrays for its state, so a saved model reloads to identical
probabilities. Meta-labelling has a few hundred samples and a dozen
features: nothing bigger is warranted, and no new dependency is needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit

from aitrader_core.errors import ValidationError


@dataclass(frozen=True)
class Logistic:
    """Weights of a fitted model over standardised features."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """P(label = 1) for each row of ``x`` (NaN rows give NaN)."""
        z = ((np.asarray(x, dtype=float) - self.mean) / self.scale) @ self.coef + self.intercept
        return np.asarray(expit(z), dtype=float)

    def to_json(self) -> dict[str, Any]:
        """Plain lists and floats (Python's float repr round-trips exactly)."""
        return {
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "coef": self.coef.tolist(),
            "intercept": float(self.intercept),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Logistic:
        """Inverse of :meth:`to_json`."""
        return cls(
            np.asarray(data["mean"], dtype=float),
            np.asarray(data["scale"], dtype=float),
            np.asarray(data["coef"], dtype=float),
            float(data["intercept"]),
        )


def fit_logistic(x: np.ndarray, y: np.ndarray, *, l2: float = 1.0, max_iter: int = 50) -> Logistic:
    """Minimise log-loss + ``l2``/2 ||coef||² by Newton's method (intercept unpenalised).

    Examples
    --------
    >>> x = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> model = fit_logistic(x, np.array([0, 0, 1, 1]), l2=0.1)
    >>> np.round(model.predict_proba(np.array([[0.0], [3.0]])), 2).tolist()
    [0.03, 0.97]
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.ndim != 2 or len(x) != len(y) or len(y) == 0:
        raise ValidationError("x must be 2-D with one row per label", field="x")
    if not np.isfinite(x).all():
        raise ValidationError("features contain NaN or inf", field="x")
    if len(np.unique(y)) < 2:
        raise ValidationError("labels have a single class: nothing to learn", field="y")
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    a = np.column_stack([np.ones(len(x)), (x - mean) / scale])
    penalty = np.full(a.shape[1], float(l2))
    penalty[0] = 1e-9  # keeps the Hessian invertible without biasing the intercept
    w = np.zeros(a.shape[1])
    for _ in range(max_iter):
        p = expit(a @ w)
        grad = a.T @ (p - y) + penalty * w
        hess = a.T @ (a * (p * (1 - p))[:, None]) + np.diag(penalty)
        step = np.linalg.solve(hess, grad)
        w = w - step
        if np.max(np.abs(step)) < 1e-10:
            break
    return Logistic(mean, scale, w[1:].copy(), float(w[0]))


def binary_report(y: np.ndarray, proba: np.ndarray, threshold: float = 0.5) -> dict[str, Any]:
    """Precision, recall, F1, accuracy (at ``threshold``) and AUC; None when undefined.

    ``base_rate`` is the share of positives: the precision of taking every signal.

    Examples
    --------
    >>> r = binary_report(np.array([1, 0, 1, 0]), np.array([0.9, 0.6, 0.4, 0.1]))
    >>> r["precision"], r["recall"], r["accuracy"], r["auc"]
    (0.5, 0.5, 0.5, 0.75)
    """
    y = np.asarray(y, dtype=int)
    proba = np.asarray(proba, dtype=float)
    pred = proba >= threshold
    tp = int(np.sum(pred & (y == 1)))
    fp = int(np.sum(pred & (y == 0)))
    fn = int(np.sum(~pred & (y == 1)))
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1 = (
        2 * precision * recall / (precision + recall)
        if precision is not None and recall is not None and precision + recall > 0
        else None
    )
    positives = int(y.sum())
    negatives = len(y) - positives
    auc = None
    if positives and negatives:
        ranks = pd.Series(proba).rank().to_numpy()  # ties share their average rank
        auc = float(
            (ranks[y == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives)
        )
    return {
        "samples": len(y),
        "base_rate": positives / len(y) if len(y) else None,
        "taken": int(pred.sum()),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "accuracy": float(np.mean(pred == (y == 1))) if len(y) else None,
        "auc": auc,
    }
