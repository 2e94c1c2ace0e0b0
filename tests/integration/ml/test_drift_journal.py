"""Synthetic drift through the router on a real journal: detected in bounded time, journaled."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from aitrader_core.clock import ReplayClock
from aitrader_core.compliance import Journal
from aitrader_core.ml import ModelCard, ModelRouter, replay_errors
from aitrader_core.store import make_engine, upgrade

CHANGE_1, CHANGE_2, END = 2000, 4000, 5000
MAX_DELAY = 200  # samples after the change; measured ≤ 47 over 50 seeds (ADWIN checks every 32)


@pytest.fixture
def journal(db_url: str) -> Iterator[Journal]:
    engine = make_engine(db_url)
    upgrade(engine)
    yield Journal(engine, ReplayClock(1_700_000_000_000))
    engine.dispose()


def error_streams(seed: int) -> pd.DataFrame:
    """0/1 errors, Bernoulli(0.1) then (0.6): ``main`` from CHANGE_1, ``backup`` from CHANGE_2."""
    rng = np.random.default_rng(seed)
    step = np.arange(END)
    return pd.DataFrame(
        {
            "main": (rng.random(END) < np.where(step < CHANGE_1, 0.1, 0.6)).astype(float),
            "backup": (rng.random(END) < np.where(step < CHANGE_2, 0.1, 0.6)).astype(float),
        }
    )


def card(name: str) -> ModelCard:
    return ModelCard(
        name=name, kind="signal", version="2024.1", trained_from_ms=1_690_000_000_000,
        trained_to_ms=1_699_000_000_000, validation_score=0.9, path=f"models/{name}",
    )  # fmt: skip


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_drift_is_detected_in_bounded_time_and_the_demotion_is_journaled(
    journal: Journal, seed: int
) -> None:
    demoted: list[tuple[str, str]] = []
    router = ModelRouter(journal, on_demote=lambda kind, why: demoted.append((kind, why)))
    router.register(card("main"), "main-model", priority=1)
    router.register(card("backup"), "backup-model", priority=2)

    events = replay_errors(router, error_streams(seed))

    # no false alarm on the stationary parts, one detection per change, soon after it
    assert events[["model", "action"]].values.tolist() == [
        ["main", "fallback"],
        ["backup", "demote"],
    ]
    fallback_at, demote_at = events["step"].tolist()
    assert CHANGE_1 <= fallback_at < CHANGE_1 + MAX_DELAY
    assert CHANGE_2 <= demote_at < CHANGE_2 + MAX_DELAY
    assert events["replacement"].iloc[0] == "backup"
    assert pd.isna(events["replacement"].iloc[1])
    assert router.active("signal") is None
    assert demoted == [("signal", events["reason"].iloc[1])]

    records = list(journal.records(kinds=["drift"]))
    assert [(r.actor, r.payload["model"], r.payload["action"]) for r in records] == [
        ("ml-router", "main", "fallback"),
        ("ml-router", "backup", "demote"),
    ]
    assert records[1].payload["version"] == "2024.1"
    assert records[1].payload["samples"] == demote_at + 1
    assert records[1].payload["mean_after"] > records[1].payload["mean_before"]
    assert journal.verify().ok
    exported = "".join(journal.export_jsonl())
    assert exported.count('"kind":"drift"') == 2
