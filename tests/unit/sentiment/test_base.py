"""Score and label conventions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import aitrader_core.sentiment as sentiment
from aitrader_core.sentiment import LexiconScorer, Score, Scorer, normalize_label

weights = st.floats(min_value=0, max_value=1e6, allow_nan=False)


@given(pos=weights, neg=weights, neu=weights)
def test_from_probs_sums_to_one_and_score_is_pos_minus_neg(
    pos: float, neg: float, neu: float
) -> None:
    s = Score.from_probs({"positive": pos, "negative": neg, "neutral": neu})
    assert sum(s.probs.values()) == pytest.approx(1.0)
    assert -1.0 <= s.score <= 1.0
    assert s.score == pytest.approx(s.probs["positive"] - s.probs["negative"])
    assert s.probs[s.label] == max(s.probs.values())


def test_ties_and_empty_weights_are_neutral() -> None:
    assert Score.from_probs({"positive": 1, "neutral": 1}).label == "neutral"
    assert Score.from_probs({}).probs == {"negative": 0.0, "neutral": 1.0, "positive": 0.0}
    assert Score.from_probs({"positive": 2, "negative": 2}).label in ("positive", "negative")


@pytest.mark.parametrize(
    ("name", "label"),
    [("Bullish", "positive"), ("BEARISH", "negative"), ("neu", "neutral"), ("Positive", "positive"),
     ("neg", "negative"), ("LABEL_1", None), ("", None), (2, None)],
)  # fmt: skip
def test_normalize_label(name: object, label: str | None) -> None:
    assert normalize_label(name) == label


def test_scorers_satisfy_the_protocol() -> None:
    assert isinstance(LexiconScorer(), Scorer)


def test_public_surface_is_pinned() -> None:
    assert set(sentiment.__all__) == {
        "LABELS", "TWITTER_LABELS", "CachedScorer", "FittedScorer", "HashingFeaturizer", "Label",
        "LexiconScorer", "Report", "Score", "Scorer", "SentimentCacheRepository", "evaluate",
        "fit_scorer", "load_scorer", "normalize_label", "read_labelled", "report_from", "text_key",
    }  # fmt: skip
