"""CachedScorer on a real store: each text scored once per model, hits and misses counted."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest
from sqlalchemy import Engine

from aitrader_core.clock import ReplayClock
from aitrader_core.observability import sample
from aitrader_core.sentiment import (
    CachedScorer,
    LexiconScorer,
    Score,
    SentimentCacheRepository,
    text_key,
)
from aitrader_core.store import make_engine, upgrade

CACHE = "aitrader_sentiment_cache_total"


class Counting:
    """Wraps a scorer and records every batch it is asked to score."""

    def __init__(self, model_id: str = "lexicon-test") -> None:
        self.inner = LexiconScorer()
        self.model_id = model_id
        self.calls: list[list[str]] = []

    def score(self, texts: Sequence[str]) -> list[Score]:
        self.calls.append(list(texts))
        return self.inner.score(texts)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    upgrade(eng)
    yield eng
    eng.dispose()


def test_each_text_is_scored_once_and_hits_are_exact(engine: Engine) -> None:
    inner = Counting()
    cached = CachedScorer(inner, SentimentCacheRepository(engine, ReplayClock(7)))
    texts = ["Shares plunge", "Bitcoin soars to record high", "Shares plunge", "Fed holds"]
    hits0, misses0 = (
        sample(CACHE, {"model": "lexicon-test", "result": r}) for r in ("hit", "miss")
    )
    first = cached.score(texts)
    assert inner.calls == [["Shares plunge", "Bitcoin soars to record high", "Fed holds"]]
    assert first == inner.inner.score(texts)
    assert first[0] == first[2]
    second = cached.score(list(reversed(texts)))
    assert len(inner.calls) == 1
    assert second == list(reversed(first))
    assert sample(CACHE, {"model": "lexicon-test", "result": "miss"}) - misses0 == 3
    assert sample(CACHE, {"model": "lexicon-test", "result": "hit"}) - hits0 == 5
    assert cached.model_id == "lexicon-test"


def test_cache_persists_across_processes_and_separates_models(engine: Engine) -> None:
    CachedScorer(Counting(), SentimentCacheRepository(engine)).score(["Shares plunge", "Fed holds"])
    fresh = Counting()  # a new process: empty memory, same database
    again = CachedScorer(fresh, SentimentCacheRepository(engine)).score(
        ["Fed holds", "Shares plunge"]
    )
    assert fresh.calls == []
    assert [s.label for s in again] == ["neutral", "negative"]
    other = Counting("another-model")
    CachedScorer(other, SentimentCacheRepository(engine)).score(["Fed holds"])
    assert other.calls == [["Fed holds"]]
    repo = SentimentCacheRepository(engine)
    assert repo.count("lexicon-test") == 2
    assert repo.count("another-model") == 1
    assert repo.count() == 3


def test_repository_round_trip_and_idempotent_put(engine: Engine) -> None:
    repo = SentimentCacheRepository(engine, ReplayClock(1))
    s = Score.from_probs({"positive": 0.7, "negative": 0.1, "neutral": 0.2})
    repo.put_many("m", {text_key("x"): s})
    repo.put_many("m", {text_key("x"): Score.from_probs({"negative": 1.0})})  # first one stays
    assert repo.get_many("m", [text_key("x"), text_key("y")]) == {text_key("x"): s}
    keys = [text_key(str(i)) for i in range(1000)]  # more than one IN (...) chunk
    repo.put_many("bulk", {k: s for k in keys})
    assert len(repo.get_many("bulk", keys)) == 1000


def test_memory_is_bounded(engine: Engine) -> None:
    inner = Counting()
    cached = CachedScorer(inner, SentimentCacheRepository(engine), memory_size=2)
    cached.score(["a", "b", "c"])
    assert len(cached._memory) == 2
    cached.score(["a"])  # evicted from memory, served by the store
    assert len(inner.calls) == 1
