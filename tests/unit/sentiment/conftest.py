"""Session fixtures: the held-out split, a fitted model, and a tiny BERT built here."""

from __future__ import annotations

import csv
import os
import re
from collections import Counter
from pathlib import Path

import pytest

from aitrader_core.sentiment import FittedScorer, read_labelled

os.environ["HF_HUB_OFFLINE"] = "1"  # nothing may be downloaded
DATA = Path(__file__).resolve().parents[2] / "data" / "sentiment"
TRAIN = DATA / "twitter_financial_news_train80.csv"
HELDOUT = DATA / "twitter_financial_news_heldout20.csv"
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


@pytest.fixture(scope="session")
def heldout() -> tuple[list[str], list[str]]:
    texts, labels = read_labelled(HELDOUT)
    return texts, list(labels)


@pytest.fixture(scope="session")
def fitted() -> FittedScorer:
    """The fitted scorer with its default settings, trained on the 80% split."""
    texts, labels = read_labelled(TRAIN)
    return FittedScorer.fit(texts, labels)


def write_wordpiece_vocab(path: Path, size: int = 1500) -> list[str]:
    """A WordPiece vocab: specials, the commonest training words, characters and ##suffixes."""
    with TRAIN.open(newline="", encoding="utf-8") as fh:
        words = Counter(
            w for row in csv.DictReader(fh) for w in re.findall(r"[a-z]+", row["text"].lower())
        )
    chars = list("abcdefghijklmnopqrstuvwxyz0123456789$%.,:;!?'-/&()#@")
    vocab = SPECIALS + chars + [f"##{c}" for c in chars] + ["##s", "##ed", "##ing", "##ly"]
    vocab += [w for w, _ in words.most_common(size) if w not in vocab]
    path.write_text("\n".join(vocab) + "\n", encoding="utf-8")
    return vocab


def build_tiny_bert(
    folder: Path, id2label: dict[int, str], *, bias: list[float] | None = None
) -> Path:
    """Save an untrained BERT (hidden 32, 2 layers) and its tokenizer into ``folder``."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    vocab = write_wordpiece_vocab(folder / "vocab.txt")
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
        id2label=id2label,
        label2id={v: k for k, v in id2label.items()},
    )
    model = BertForSequenceClassification(config)
    if bias is not None:  # make the output known: zero weights, a chosen bias
        with torch.no_grad():
            model.classifier.weight.zero_()
            model.classifier.bias.copy_(torch.tensor(bias))
    model.save_pretrained(folder)
    BertTokenizerFast(vocab=str(folder / "vocab.txt")).save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_bert(
        tmp_path_factory.mktemp("models") / "tiny-finbert",
        {0: "Bearish", 1: "Neutral", 2: "Bullish"},
    )
