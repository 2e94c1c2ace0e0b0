"""TransformerScorer through the real transformers loading and inference code, on a tiny BERT."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from aitrader_core.errors import ConfigError
from aitrader_core.sentiment import LABELS, evaluate, load_scorer
from aitrader_core.sentiment.transformer import TransformerScorer
from tests.unit.sentiment.conftest import build_tiny_bert

TEXTS = [
    "Bitcoin price target raised to $120k at Bernstein",
    "Shares plunge",
    "",
    "Ether slips 3% as ETF outflows continue for a fourth straight session amid rate worries",
    "Company declares quarterly dividend",
]


def test_loads_and_scores_every_text_in_order(tiny_bert: Path) -> None:
    scorer = TransformerScorer(tiny_bert, batch_size=2)
    scores = scorer.score(TEXTS)
    assert len(scores) == len(TEXTS)
    for s in scores:
        assert set(s.probs) == set(LABELS)
        assert sum(s.probs.values()) == pytest.approx(1.0)
        assert s.score == pytest.approx(s.probs["positive"] - s.probs["negative"])
        assert -1.0 <= s.score <= 1.0
    # batches are formed by length, yet every result belongs to its own text
    alone = [scorer.score([t])[0] for t in TEXTS]
    for batched, single in zip(scores, alone, strict=True):
        for lab in LABELS:
            assert batched.probs[lab] == pytest.approx(single.probs[lab], abs=1e-5)
    assert scorer.score([]) == []


def test_model_id_names_the_folder_and_changes_with_the_weights(
    tiny_bert: Path, tmp_path: Path
) -> None:
    scorer = TransformerScorer(tiny_bert)
    assert scorer.model_id.startswith("transformers:tiny-finbert:")
    assert TransformerScorer(tiny_bert).model_id == scorer.model_id
    other = build_tiny_bert(
        tmp_path / "tiny-finbert", {0: "Bearish", 1: "Neutral", 2: "Bullish"}, bias=[0, 0, 1]
    )
    assert TransformerScorer(other).model_id != scorer.model_id


@pytest.mark.parametrize(
    ("id2label", "bias", "expected"),
    [
        ({0: "positive", 1: "negative", 2: "neutral"}, [4.0, 0.0, 0.0], "positive"),
        ({0: "POSITIVE", 1: "NEGATIVE", 2: "NEUTRAL"}, [0.0, 4.0, 0.0], "negative"),
        ({0: "bearish", 1: "bullish", 2: "neutral"}, [0.0, 0.0, 4.0], "neutral"),
    ],
)
def test_output_indices_follow_the_models_id2label(
    tmp_path: Path, id2label: dict[int, str], bias: list[float], expected: str
) -> None:
    folder = build_tiny_bert(tmp_path / "m", id2label, bias=bias)
    (score,) = TransformerScorer(folder).score(["Markets wait for the Fed"])
    assert score.label == expected
    assert score.probs[expected] > 0.9


def test_labels_that_are_not_the_three_classes_are_refused_by_name(tmp_path: Path) -> None:
    folder = build_tiny_bert(tmp_path / "m", {0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"})
    with pytest.raises(ConfigError, match=r"\['LABEL_0', 'LABEL_1', 'LABEL_2'\]"):
        TransformerScorer(folder)
    config = json.loads((folder / "config.json").read_text())
    config["id2label"] = {"0": "positive", "1": "positive", "2": "neutral"}
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ConfigError, match="do not map onto"):
        TransformerScorer(folder)


def test_missing_or_broken_folders_and_devices_are_config_errors(
    tiny_bert: Path, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError, match=r"no config\.json"):
        TransformerScorer(tmp_path / "nowhere")
    broken = tmp_path / "broken"
    shutil.copytree(tiny_bert, broken)
    (broken / "model.safetensors").write_bytes(b"not weights")
    with pytest.raises(ConfigError, match="cannot load"):
        TransformerScorer(broken)
    import torch

    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="no CUDA GPU"):
            TransformerScorer(tiny_bert, device="cuda")
    assert TransformerScorer(tiny_bert, device="auto").device == (
        "cuda" if torch.cuda.is_available() else "cpu"
    )
    with pytest.raises(ConfigError, match="batch_size"):
        TransformerScorer(tiny_bert, batch_size=0)


def test_load_scorer_picks_the_transformer_for_a_model_folder(tiny_bert: Path) -> None:
    scorer = load_scorer(tiny_bert, batch_size=8)
    assert isinstance(scorer, TransformerScorer)
    assert scorer.batch_size == 8


def test_untrained_tiny_model_evaluates_on_the_heldout_split(
    tiny_bert: Path, heldout: tuple[list[str], list[str]]
) -> None:
    # untrained: this proves loading and batched inference on 1,976 real texts, not skill
    import torch

    before = torch.get_num_threads()
    try:  # one thread: several thrash on a small shared machine (see TransformerScorer)
        scorer = TransformerScorer(tiny_bert, batch_size=64, threads=1)
        report = evaluate(scorer, heldout)  # type: ignore[arg-type]
    finally:
        torch.set_num_threads(before)
    assert report.n == len(heldout[0]) == 1976
    assert sum(map(sum, report.confusion)) == report.n
    assert 0.0 <= report.accuracy <= 1.0


def test_threads_option_sets_torch_threads(tiny_bert: Path) -> None:
    import torch

    before = torch.get_num_threads()
    try:
        TransformerScorer(tiny_bert, threads=1)
        assert torch.get_num_threads() == 1
        with pytest.raises(ConfigError, match="threads"):
            TransformerScorer(tiny_bert, threads=0)
    finally:
        torch.set_num_threads(before)
