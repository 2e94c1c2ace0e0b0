"""Labelled CSV reading and the evaluation report."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from aitrader_core.errors import FormatError, ValidationError
from aitrader_core.sentiment import Score, evaluate, read_labelled, report_from
from tests.unit.sentiment.conftest import HELDOUT


class AlwaysNeutral:
    model_id = "always-neutral"

    def score(self, texts: Sequence[str]) -> list[Score]:
        return [Score.from_probs({"neutral": 1.0}) for _ in texts]


def test_report_by_hand() -> None:
    truth = ["positive", "positive", "negative", "neutral", "neutral", "neutral"]
    pred = ["positive", "neutral", "negative", "neutral", "neutral", "positive"]
    r = report_from(truth, pred, "m")
    assert r.accuracy == pytest.approx(4 / 6)
    assert r.confusion == [[1, 0, 0], [0, 2, 1], [0, 1, 1]]
    # F1: negative 1, neutral 2/3, positive 1/2
    assert r.per_class["neutral"] == pytest.approx((2 / 3, 2 / 3, 2 / 3, 3))
    assert r.macro_f1 == pytest.approx((1 + 2 / 3 + 0.5) / 3)
    assert "accuracy  0.6667" in r.format()
    assert "macro-F1  0.7222" in r.format()
    with pytest.raises(ValidationError, match="2 labels but 1"):
        report_from(["neutral"] * 2, ["neutral"])
    with pytest.raises(ValidationError, match="unknown label"):
        report_from(["bullish"], ["neutral"])


def test_always_neutral_baseline_on_heldout() -> None:
    r = evaluate(AlwaysNeutral(), HELDOUT, batch_size=500)
    assert r.n == 1976
    assert r.accuracy == pytest.approx(1304 / 1976)
    assert r.per_class["positive"][2] == 0.0
    assert r.confusion[1] == [0, 1304, 0]


def test_read_labelled_maps_numbers_and_names(tmp_path: Path) -> None:
    texts, labels = read_labelled(HELDOUT)
    assert len(texts) == 1976
    assert set(labels) == {"negative", "neutral", "positive"}
    path = tmp_path / "x.csv"
    path.write_text('headline,y\n"Up, up, away",Bullish\nflat day,neutral\nbad,down\n')
    assert read_labelled(path, text_column="headline", label_column="y") == (
        ["Up, up, away", "flat day", "bad"],
        ["positive", "neutral", "negative"],
    )
    path.write_text("text,label\na,1\nb,7\n")
    with pytest.raises(ValidationError, match="row 3, label: unknown label '7'"):
        read_labelled(path)
    assert read_labelled(path, {"1": "neutral", "7": "negative"})[1] == ["neutral", "negative"]


def test_read_labelled_format_errors(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("sentence,label\na,1\n")
    with pytest.raises(FormatError, match="missing column"):
        read_labelled(path)
    path.write_bytes(b"text,label\n\xff\xfe,1\n")
    with pytest.raises(FormatError, match="UTF-8"):
        read_labelled(path)
    with pytest.raises(FormatError, match="cannot read"):
        read_labelled(tmp_path / "none.csv")
