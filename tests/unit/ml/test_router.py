"""The model router's line-up: fallback by priority, retire, demote, reinstate, snapshot."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pydantic
import pytest

from aitrader_core.clock import ReplayClock
from aitrader_core.compliance import JournalError
from aitrader_core.errors import NotFoundError, ValidationError
from aitrader_core.ml import DriftEvent, ModelCard, ModelRouter
from aitrader_core.observability import sample

CALM, BROKEN = [0.0] * 400, [1.0] * 100


def card(name: str, kind: str = "signal", version: str = "1") -> ModelCard:
    return ModelCard(
        name=name, kind=kind, version=version, trained_from_ms=0, trained_to_ms=10,
        validation_score=0.6,
    )  # fmt: skip


def feed(router: ModelRouter, name: str, errors: list[float]) -> list[DriftEvent]:
    return [e for e in (router.observe(name, x) for x in errors) if e is not None]


@pytest.fixture
def demotions() -> list[tuple[str, str]]:
    return []


@pytest.fixture
def router(demotions: list[tuple[str, str]]) -> ModelRouter:
    r = ModelRouter(None, on_demote=lambda kind, why: demotions.append((kind, why)))
    r.register(card("backup"), "B", priority=2)
    r.register(card("main"), "M", priority=1)
    r.register(card("lexicon", "sentiment"), "L")
    return r


def test_lowest_priority_serves_and_drift_falls_back_then_demotes(
    router: ModelRouter, demotions: list[tuple[str, str]]
) -> None:
    assert (router.active("signal"), router.active("sentiment")) == ("M", "L")
    before = sample(
        "aitrader_drift_events_total", {"model": "main", "kind": "signal", "action": "fallback"}
    )
    (event,) = feed(router, "main", CALM + BROKEN)
    assert (event.action, event.replacement) == ("fallback", "backup")
    assert event.mean_after is not None
    assert event.mean_before is not None
    assert event.mean_after > event.mean_before
    assert router.active("signal") == "B"
    assert demotions == []
    after = sample(
        "aitrader_drift_events_total", {"model": "main", "kind": "signal", "action": "fallback"}
    )
    assert after - before == 1
    assert feed(router, "main", BROKEN) == []  # a drifted model is counted, not watched
    (event,) = feed(router, "backup", CALM + BROKEN)
    assert event.action == "demote"
    assert router.active("signal") is None
    assert router.active_card("signal") is None
    assert demotions == [("signal", event.reason)]
    assert "no healthy signal model left" in event.reason
    assert router.demoted() == ["signal"]
    assert router.active("sentiment") == "L"


def test_a_drifting_standby_is_retired_and_an_improvement_changes_nothing(
    router: ModelRouter,
) -> None:
    (event,) = feed(router, "backup", CALM + BROKEN)
    assert event.action == "retire"
    assert router.active("signal") == "M"
    (event,) = feed(router, "main", BROKEN * 4 + CALM)
    assert event.action == "improved"
    assert (event.mean_after or 0.0) < (event.mean_before or 0.0)
    assert router.active("signal") == "M"


def test_reinstate_brings_a_model_back_with_a_fresh_window(router: ModelRouter) -> None:
    feed(router, "main", CALM + BROKEN)
    assert router.active("signal") == "B"
    event = router.reinstate("main")
    assert event.action == "reinstate"
    assert router.active("signal") == "M"
    (status,) = [s for s in router.status() if s.name == "main"]
    assert (status.drifted, status.active, status.window_width) == (False, True, 0)


def test_status_reports_each_model(router: ModelRouter) -> None:
    feed(router, "main", [0.0, 1.0, 1.0, 0.0])
    rows = {s.name: s for s in router.status()}
    assert [s.name for s in router.status()] == ["lexicon", "main", "backup"]  # kind, priority
    assert rows["main"].samples == 4
    assert rows["main"].mean_error == pytest.approx(0.5)
    assert rows["main"].active
    assert not rows["backup"].active
    assert rows["backup"].mean_error is None
    assert rows["backup"].window_mean is None
    assert rows["lexicon"].kind == "sentiment"
    json.dumps([s.model_dump(mode="json") for s in router.status()])


def test_snapshot_restores_counters_and_flags_but_not_other_versions() -> None:
    first = ModelRouter(None)
    first.register(card("main"), priority=1)
    first.register(card("backup"), priority=2)
    feed(first, "main", CALM + BROKEN)
    state = json.loads(json.dumps(first.snapshot()))  # survives JSON
    second = ModelRouter(None)
    second.register(card("main"), priority=1)
    second.register(card("backup", version="2"), priority=2)
    assert second.restore(state) == ["main"]
    rows = {s.name: s for s in second.status()}
    assert rows["main"].drifted
    assert rows["main"].samples == len(CALM + BROKEN)
    assert rows["backup"].samples == 0
    assert rows["backup"].active
    with pytest.raises(ValidationError, match="snapshot version"):
        second.restore({"version": 99})


class FailingJournal:
    clock = ReplayClock(5)

    def append(self, kind: str, payload: Mapping[str, Any], *, actor: str = "system") -> None:
        raise JournalError("disk full")


def test_a_journal_failure_does_not_block_the_demotion(demotions: list[tuple[str, str]]) -> None:
    r = ModelRouter(FailingJournal(), on_demote=lambda k, why: demotions.append((k, why)))  # type: ignore[arg-type]
    r.register(card("only"))
    with pytest.raises(JournalError):
        feed(r, "only", CALM + BROKEN)
    assert [k for k, _ in demotions] == ["signal"]
    assert r.active("signal") is None
    assert r.events()[-1].ts_ms == 5


def test_bad_input_is_refused(router: ModelRouter) -> None:
    with pytest.raises(ValidationError, match="already registered"):
        router.register(card("main"))
    with pytest.raises(NotFoundError):
        router.observe("nobody", 0.0)
    with pytest.raises(ValidationError, match="finite"):
        router.observe("main", float("nan"))
    with pytest.raises(ValidationError):
        ModelRouter(None, delta=1.5)
    with pytest.raises(pydantic.ValidationError):
        ModelCard(name="x", kind="signal", version="1", trained_from_ms=10, trained_to_ms=0,
                  validation_score=0.5)  # fmt: skip
    with pytest.raises(pydantic.ValidationError):
        ModelCard(name="x", kind="weather", version="1", trained_from_ms=0, trained_to_ms=0,
                  validation_score=0.5)  # fmt: skip
