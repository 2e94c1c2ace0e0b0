"""The Scorer protocol and the Score type every sentiment model returns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

Label = Literal["positive", "negative", "neutral"]
#: Canonical order of the classes (confusion matrices, probability arrays).
LABELS: tuple[Label, ...] = ("negative", "neutral", "positive")

_SPELLINGS: dict[str, Label] = {
    **dict.fromkeys(("positive", "pos", "bullish", "bull", "up"), "positive"),
    **dict.fromkeys(("negative", "neg", "bearish", "bear", "down"), "negative"),
    **dict.fromkeys(("neutral", "neu", "neut", "none", "flat"), "neutral"),
}


def normalize_label(name: object) -> Label | None:
    """The class a model's or a data set's label name stands for, else ``None``.

    Examples
    --------
    >>> normalize_label("Bullish"), normalize_label(" NEG "), normalize_label("LABEL_0")
    ('positive', 'negative', None)
    """
    return _SPELLINGS.get(str(name).strip().casefold())


@dataclass(frozen=True)
class Score:
    """One text's sentiment: the label, the class probabilities, and ``p_pos − p_neg``.

    Examples
    --------
    >>> s = Score.from_probs({"positive": 0.6, "negative": 0.1, "neutral": 0.3})
    >>> s.label, round(s.score, 2)
    ('positive', 0.5)
    """

    label: Label
    probs: Mapping[Label, float] = field(hash=False)
    score: float

    @classmethod
    def from_probs(cls, probs: Mapping[str, float]) -> Score:
        """Normalise non-negative class weights to sum 1; ties go to neutral."""
        raw = {lab: max(0.0, float(probs.get(lab, 0.0))) for lab in LABELS}
        total = sum(raw.values())
        norm: dict[Label, float] = (
            {lab: v / total for lab, v in raw.items()}
            if total > 0
            else {"negative": 0.0, "neutral": 1.0, "positive": 0.0}
        )
        best = max(norm.values())
        label: Label = "neutral" if norm["neutral"] == best else max(norm, key=norm.__getitem__)
        return cls(label, norm, norm["positive"] - norm["negative"])


@runtime_checkable
class Scorer(Protocol):
    """Scores texts in batches. ``model_id`` names the model and its version exactly,
    so cached scores of one model are never served for another."""

    @property
    def model_id(self) -> str:
        """Identifier of the model and its weights."""
        ...

    def score(self, texts: Sequence[str]) -> list[Score]:
        """One :class:`Score` per text, in order."""
        ...
