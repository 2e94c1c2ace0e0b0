"""A persistent sentiment cache keyed by (model id, SHA-256 of the text): score a text once."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import cast

from sqlalchemy import Engine, func, select
from sqlalchemy.dialects import postgresql, sqlite

from aitrader_core.clock import Clock, SystemClock
from aitrader_core.sentiment import metrics
from aitrader_core.sentiment.base import Label, Score, Scorer
from aitrader_core.store.schema import sentiment_cache

#: Keys per SELECT … IN (…): well under SQLite's and PostgreSQL's parameter limits.
_CHUNK = 400


def text_key(text: str) -> str:
    """Hex SHA-256 of the UTF-8 text: the cache key beside the model id.

    Examples
    --------
    >>> text_key("Bitcoin rallies")[:16]
    'e49ff9ecd0319621'
    """
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class SentimentCacheRepository:
    """The ``sentiment_cache`` table: read many keys at once, write new scores idempotently."""

    def __init__(self, engine: Engine, clock: Clock | None = None) -> None:
        self.engine = engine
        self.clock = clock or SystemClock()
        self._insert = sqlite.insert if engine.dialect.name == "sqlite" else postgresql.insert

    def get_many(self, model_id: str, keys: Sequence[str]) -> dict[str, Score]:
        """Stored scores of ``keys`` for ``model_id`` (absent keys are left out)."""
        found: dict[str, Score] = {}
        c = sentiment_cache.c
        unique = list(dict.fromkeys(keys))
        with self.engine.connect() as conn:
            for start in range(0, len(unique), _CHUNK):
                rows = conn.execute(
                    select(c.text_sha256, c.label, c.p_negative, c.p_neutral, c.p_positive).where(
                        c.model_id == model_id, c.text_sha256.in_(unique[start : start + _CHUNK])
                    )
                )
                for key, label, neg, neu, pos in rows:
                    # rebuilt exactly as stored, not re-normalised: a hit equals the original
                    probs: dict[Label, float] = {
                        "negative": neg,
                        "neutral": neu,
                        "positive": pos,
                    }
                    found[key] = Score(cast(Label, label), probs, pos - neg)
        return found

    def put_many(self, model_id: str, scores: Mapping[str, Score]) -> None:
        """Store ``scores`` (text key → score); keys already stored are left as they are."""
        if not scores:
            return
        now = self.clock.now_ms()
        rows = [
            {
                "model_id": model_id,
                "text_sha256": key,
                "label": s.label,
                "p_negative": s.probs["negative"],
                "p_neutral": s.probs["neutral"],
                "p_positive": s.probs["positive"],
                "created_ms": now,
            }
            for key, s in scores.items()
        ]
        stmt = self._insert(sentiment_cache).on_conflict_do_nothing(
            index_elements=[sentiment_cache.c.model_id, sentiment_cache.c.text_sha256]
        )
        with self.engine.begin() as conn:
            conn.execute(stmt, rows)

    def count(self, model_id: str | None = None) -> int:
        """Cached scores, of one model or of all."""
        stmt = select(func.count()).select_from(sentiment_cache)
        if model_id is not None:
            stmt = stmt.where(sentiment_cache.c.model_id == model_id)
        with self.engine.connect() as conn:
            return int(conn.execute(stmt).scalar_one())


class CachedScorer:
    """Wrap a scorer so each distinct text is scored once per model, ever.

    Lookups go to a bounded in-process LRU first, then to the store; misses
    are scored in one batch by the wrapped scorer and written back. Hits and
    misses are counted in ``aitrader_sentiment_cache_total{model, result}``.

    Examples
    --------
    >>> from aitrader_core.sentiment import LexiconScorer
    >>> from aitrader_core.store import make_engine, upgrade
    >>> engine = make_engine("sqlite://"); upgrade(engine)
    >>> cached = CachedScorer(LexiconScorer(), SentimentCacheRepository(engine))
    >>> cached.score(["Shares plunge", "Shares plunge"])[0].label
    'negative'
    >>> cached.repository.count(cached.model_id)
    1
    """

    def __init__(
        self, scorer: Scorer, repository: SentimentCacheRepository, *, memory_size: int = 10_000
    ) -> None:
        self.scorer = scorer
        self.repository = repository
        self.memory_size = memory_size
        self._memory: OrderedDict[str, Score] = OrderedDict()

    @property
    def model_id(self) -> str:
        """The wrapped scorer's id: cached and uncached scores are the same scores."""
        return self.scorer.model_id

    def score(self, texts: Sequence[str]) -> list[Score]:
        """Scores of ``texts`` from the memory, the store, or the wrapped scorer."""
        model = self.scorer.model_id
        keys = [text_key(t) for t in texts]
        known: dict[str, Score] = {}
        for k in keys:
            hit = self._memory.get(k)
            if hit is not None:
                self._memory.move_to_end(k)
                known[k] = hit
        wanted = [k for k in dict.fromkeys(keys) if k not in known]
        if wanted:
            stored = self.repository.get_many(model, wanted)
            known.update(stored)
            self._remember(stored)
        todo = {k: t for k, t in zip(keys, texts, strict=True) if k not in known}
        if todo:
            fresh = dict(zip(todo, self.scorer.score(list(todo.values())), strict=True))
            self.repository.put_many(model, fresh)
            known.update(fresh)
            self._remember(fresh)
        misses = len(todo)
        metrics.CACHE.labels(model=model, result="miss").inc(misses)
        metrics.CACHE.labels(model=model, result="hit").inc(len(texts) - misses)
        return [known[k] for k in keys]

    def _remember(self, scores: Mapping[str, Score]) -> None:
        for k, s in scores.items():
            self._memory[k] = s
            self._memory.move_to_end(k)
        while len(self._memory) > self.memory_size:
            self._memory.popitem(last=False)
