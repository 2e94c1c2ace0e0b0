"""Sentiment throughput: lexicon, fitted and transformer scorers; cached vs uncached lookups.

Run: ``.venv/bin/python bench/sentiment.py [--no-base]``. Headlines are the
1,976 held-out tweets of tests/data/sentiment. The transformers are built here
from a config (no download): the tiny test BERT (hidden 32, 2 layers) and,
unless ``--no-base``, an untrained BERT-base (hidden 768, 12 layers; FinBERT's
shape and cost). Target: a cached lookup ≥ 100× faster than transformer scoring.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aitrader_core.sentiment import (  # noqa: E402
    CachedScorer,
    FittedScorer,
    LexiconScorer,
    Scorer,
    SentimentCacheRepository,
    read_labelled,
)
from aitrader_core.sentiment.transformer import TransformerScorer  # noqa: E402
from aitrader_core.store import make_engine, upgrade  # noqa: E402
from tests.unit.sentiment.conftest import HELDOUT, TRAIN, build_tiny_bert  # noqa: E402


def best(fn: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def rate(scorer: Scorer, texts: Sequence[str], repeat: int = 3) -> float:
    scorer.score(texts[:8])  # warm-up
    return len(texts) / best(lambda: scorer.score(texts), repeat)


def build_base_bert(folder: Path, vocab_from: Path) -> Path:
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    build_tiny_bert(folder, {0: "negative", 1: "neutral", 2: "positive"})  # writes the vocab
    vocab = (folder / "vocab.txt").read_text().splitlines()
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(vocab),
        id2label={0: "negative", 1: "neutral", 2: "positive"},
        label2id={"negative": 0, "neutral": 1, "positive": 2},
    )  # BERT-base defaults: hidden 768, 12 layers, 12 heads
    BertForSequenceClassification(config).save_pretrained(folder)
    BertTokenizerFast(vocab=str(folder / "vocab.txt")).save_pretrained(folder)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-base", action="store_true", help="skip the BERT-base model")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (0: torch default)")
    args = parser.parse_args()
    threads = args.threads or None
    texts, _ = read_labelled(HELDOUT)
    train_texts, train_labels = read_labelled(TRAIN)
    rows: list[tuple[str, float, str]] = []

    rows.append(("lexicon", rate(LexiconScorer(), texts), "batch of 1,976"))
    t = time.perf_counter()
    fitted = FittedScorer.fit(train_texts, train_labels)
    fit_s = time.perf_counter() - t
    rows.append(("fitted", rate(fitted, texts), f"batch of 1,976 (fit on 7,567: {fit_s:.1f} s)"))

    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        tiny = TransformerScorer(
            build_tiny_bert(tmpdir / "tiny", {0: "negative", 1: "neutral", 2: "positive"}),
            batch_size=32,
            threads=threads,
        )
        import torch

        print(f"torch threads: {torch.get_num_threads()}")
        rows.append(("transformer tiny", rate(tiny, texts), "batch 32, CPU"))
        single = texts[:200]
        tiny_one = len(single) / best(lambda: [tiny.score([x]) for x in single], 1)
        rows.append(("transformer tiny, 1 per call", tiny_one, "CPU"))
        slow = tiny
        if not args.no_base:
            slow = TransformerScorer(
                build_base_bert(tmpdir / "base", TRAIN), batch_size=32, threads=threads
            )
            rows.append(("transformer BERT-base", rate(slow, texts[:256], 1), "batch 32, CPU"))
            base_one = 50 / best(lambda: [slow.score([x]) for x in texts[:50]], 1)
            rows.append(("transformer BERT-base, 1 per call", base_one, "CPU"))

        engine = make_engine(f"sqlite:///{tmpdir / 'cache.db'}")
        upgrade(engine)
        repo = SentimentCacheRepository(engine)
        warm = CachedScorer(slow, repo)
        t = time.perf_counter()
        warm.score(texts)  # every miss: scored and stored once
        fill_rate = len(texts) / (time.perf_counter() - t)
        rows.append(
            (f"cached, all misses ({slow.model_id.split(':')[1]})", fill_rate, "score + store")
        )
        rows.append(("cached, memory hits", rate(warm, texts), "batch of 1,976"))
        mem_one = len(texts) / best(lambda: [warm.score([x]) for x in texts])
        rows.append(("cached, memory hits, 1 per call", mem_one, ""))
        cold = CachedScorer(slow, repo, memory_size=0)  # a new process: only the store
        rows.append(("cached, store hits", rate(cold, texts), "batch of 1,976, SQLite"))
        store_one = 500 / best(lambda: [cold.score([x]) for x in texts[:500]])
        rows.append(("cached, store hits, 1 per call", store_one, "SQLite"))
        engine.dispose()

    width = max(len(r[0]) for r in rows)
    print(f"{'scorer':<{width}}  {'headlines/s':>12}  note")
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>12,.0f}  {note}")
    speed = {r[0]: r[1] for r in rows}
    refs = ["transformer tiny"] + ([] if args.no_base else ["transformer BERT-base"])
    print()
    for ref in refs:
        for kind in ("cached, store hits", "cached, memory hits"):
            batched = speed[kind] / speed[ref]
            one = speed[kind + ", 1 per call"] / speed[ref + ", 1 per call"]
            print(f"{kind} vs {ref}: batched {batched:,.0f}x, one per call {one:,.0f}x")


if __name__ == "__main__":
    main()
