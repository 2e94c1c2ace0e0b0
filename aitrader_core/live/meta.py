"""Meta-labelling live: a trained model decides whether (and how much) to take an entry.

The primary strategy says *when*; the meta-model (``aitrader train-meta``,
:mod:`aitrader_core.ml.meta_label`) says whether this signal is worth taking,
from features read on the decision bar only. ``filter`` skips an entry scored
below the threshold; ``size`` scales its quantity by the bet size of its
probability (zero below the threshold). A skipped entry is journaled as a
``decision`` with rule ``meta_filter``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from aitrader_core.ml.features import meta_features
from aitrader_core.ml.meta_label import MetaModel, size_from_proba

Mode = Literal["filter", "size"]


@dataclass(frozen=True)
class MetaGate:
    """A saved meta-model and how its probability gates entries."""

    model: MetaModel
    threshold: float = 0.5
    mode: Mode = "filter"

    @classmethod
    def load(
        cls,
        folder: str | Path,
        *,
        threshold: float = 0.5,
        mode: Literal["filter", "size"] = "filter",
    ) -> MetaGate:
        """The gate over a model folder written by ``aitrader train-meta``."""
        return cls(MetaModel.load(folder), threshold, mode)

    def probability(self, bars: pd.DataFrame, side: int = 1) -> float:
        """P(the ``side`` entry signalled on the last bar pays), from that bar's features only."""
        features = meta_features(bars).iloc[[-1]].copy()
        features["side"] = float(side)
        value = float(self.model.predict_proba(features)[0])
        return value if np.isfinite(value) else 0.0

    def scale(self, probability: float) -> Decimal:
        """The share of the entry to take: 0 or 1 (filter), or the bet size (size).

        Examples
        --------
        >>> gate = MetaGate(model=None, threshold=0.55)  # type: ignore[arg-type]
        >>> gate.scale(0.5), gate.scale(0.6)
        (Decimal('0'), Decimal('1'))
        """
        if self.mode == "filter":
            return Decimal(1) if probability >= self.threshold else Decimal(0)
        size = float(size_from_proba(np.array([probability]), self.threshold)[0])
        return Decimal(repr(round(size, 6)))
