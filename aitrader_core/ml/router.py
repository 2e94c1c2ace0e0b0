"""Route each model kind to its best healthy model; fall back or demote on drift.

Models (kinds ``signal`` and ``sentiment``) are registered with a
:class:`ModelCard` (version, training range, validation score) and a priority
(lower first; ties in registration order). Each model's online error stream
(0/1 misclassification, absolute error …) feeds its own river ``ADWIN``. When
ADWIN cuts its window and the recent mean error is *higher* than the window's
mean before the cut, the model is marked drifted and:

* the active model of its kind drifted → the next healthy one takes over
  (``fallback``), or when none is left ``on_demote(kind, reason)`` is called
  (``demote``: the coordinator switches that strategy to paper);
* a standby model drifted → it leaves the line-up (``retire``);
* a cut towards *lower* error is recorded (``improved``) and changes nothing.

Every event is journaled (kind ``drift``, actor ``ml-router``) and counted in
``aitrader_drift_events_total{model,kind,action}``. A drifted model serves
again only after :meth:`ModelRouter.reinstate` (an operator, after retraining).
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
from river.drift import ADWIN

from aitrader_core.clock import Clock
from aitrader_core.compliance import Journal
from aitrader_core.errors import NotFoundError, ValidationError
from aitrader_core.ml.cards import Action, DriftEvent, ModelCard, ModelStatus
from aitrader_core.ml.metrics import DRIFT_EVENTS

__all__ = ["DriftEvent", "ModelCard", "ModelRouter", "ModelStatus", "replay_errors"]

ACTOR = "ml-router"
SNAPSHOT_VERSION = 1


@dataclass
class _Slot:
    card: ModelCard
    model: Any
    priority: int
    order: int
    detector: ADWIN
    samples: int = 0
    error_sum: float = 0.0
    drifted: bool = False


class ModelRouter:
    """Registered models per kind, their ADWIN error monitors, fallback and demotion.

    Parameters
    ----------
    journal
        Where events are recorded first (``None``: not journaled, still counted).
    delta
        ADWIN's significance: smaller means fewer false alarms and later detection.
    check_every
        ADWIN's ``clock``: the window is tested every this many samples.
    on_demote
        Called as ``on_demote(kind, reason)`` when the last healthy model of a
        kind drifts.
    clock
        Stamps events (default: the journal's clock).

    Examples
    --------
    >>> router = ModelRouter(None, on_demote=lambda kind, why: print("paper:", kind))
    >>> card = dict(kind="signal", trained_from_ms=0, trained_to_ms=1, validation_score=0.6)
    >>> router.register(ModelCard(name="a", version="1", **card), "model A", priority=1)
    >>> router.register(ModelCard(name="b", version="1", **card), "model B", priority=2)
    >>> router.active("signal")
    'model A'
    >>> events = [router.observe("a", e) for e in [0.0] * 500 + [1.0] * 100]
    >>> [e.action for e in events if e], router.active("signal")
    (['fallback'], 'model B')
    >>> events = [router.observe("b", e) for e in [0.0] * 500 + [1.0] * 100]
    paper: signal
    >>> router.active("signal") is None
    True
    """

    def __init__(
        self,
        journal: Journal | None = None,
        *,
        delta: float = 0.002,
        check_every: int = 32,
        on_demote: Callable[[str, str], None] | None = None,
        clock: Clock | None = None,
    ) -> None:
        if not 0.0 < delta < 1.0:
            raise ValidationError("must be in (0, 1)", field="delta")
        if check_every < 1:
            raise ValidationError("must be ≥ 1", field="check_every")
        self.journal = journal
        self.delta = delta
        self.check_every = check_every
        self.on_demote = on_demote
        self.clock = clock or (journal.clock if journal is not None else None)
        self._slots: dict[str, _Slot] = {}
        self._events: deque[DriftEvent] = deque(maxlen=200)
        self._lock = threading.RLock()

    # -- line-up -------------------------------------------------------------
    def register(self, card: ModelCard, model: Any = None, priority: int = 0) -> None:
        """Add a model (lower ``priority`` is preferred); names are unique."""
        with self._lock:
            if card.name in self._slots:
                raise ValidationError(f"model {card.name!r} is already registered", field="name")
            self._slots[card.name] = _Slot(
                card, model, priority, len(self._slots), self._detector()
            )

    def active(self, kind: str) -> Any:
        """The model serving ``kind`` now; ``None`` when none is healthy (demoted)."""
        slot = self._active_slot(kind)
        return None if slot is None else slot.model

    def active_card(self, kind: str) -> ModelCard | None:
        """The card of the model serving ``kind`` (``None`` when demoted)."""
        slot = self._active_slot(kind)
        return None if slot is None else slot.card

    def card(self, name: str) -> ModelCard:
        """The card of a registered model."""
        return self._slot(name).card

    def demoted(self) -> list[str]:
        """Kinds that have registered models but no healthy one."""
        kinds = sorted({s.card.kind for s in self._slots.values()})
        return [k for k in kinds if self._active_slot(k) is None]

    # -- monitoring ----------------------------------------------------------
    def observe(self, name: str, error: float) -> DriftEvent | None:
        """Feed one error of model ``name``; the event when this sample triggered one.

        Errors of a drifted model are counted (``samples``, ``mean_error``) but
        no longer watched.
        """
        value = float(error)
        if not math.isfinite(value):
            raise ValidationError("must be a finite number", field="error")
        with self._lock:
            slot = self._slot(name)
            slot.samples += 1
            slot.error_sum += value
            if slot.drifted:
                return None
            was_active = self._active_slot(slot.card.kind) is slot
            before = slot.detector.estimation
            slot.detector.update(value)
            if not slot.detector.drift_detected:
                return None
            event = self._drifted(slot, before, slot.detector.estimation, was_active)
        self._emit(event)
        return event

    def reinstate(self, name: str, *, reason: str = "reinstated by operator") -> DriftEvent:
        """Put a drifted model back in the line-up with a fresh error window."""
        with self._lock:
            slot = self._slot(name)
            slot.drifted = False
            slot.detector = self._detector()
            event = self._event(slot, "reinstate", reason)
        self._emit(event)
        return event

    def status(self) -> list[ModelStatus]:
        """Every model by kind and priority, for the API and the dashboard."""
        with self._lock:
            actives = {k: self._active_slot(k) for k in {s.card.kind for s in self._slots.values()}}
            return [
                ModelStatus(
                    name=s.card.name,
                    kind=s.card.kind,
                    version=s.card.version,
                    priority=s.priority,
                    validation_score=s.card.validation_score,
                    samples=s.samples,
                    mean_error=s.error_sum / s.samples if s.samples else None,
                    window_mean=None if s.drifted else _mean(s.detector),
                    window_width=0 if s.drifted else int(s.detector.width),
                    drifted=s.drifted,
                    active=actives[s.card.kind] is s,
                )
                for s in sorted(self._slots.values(), key=lambda s: (s.card.kind, *_rank(s)))
            ]

    def events(self) -> list[DriftEvent]:
        """The most recent events (up to 200), oldest first."""
        return list(self._events)

    # -- persistence ---------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """Plain, JSON-ready state: per model its version, counters and drifted flag.

        ADWIN windows are not kept: after :meth:`restore` detection starts from
        an empty window (a drift then needs a few dozen new samples to show).
        """
        with self._lock:
            return {
                "version": SNAPSHOT_VERSION,
                "models": {
                    name: {
                        "version": s.card.version,
                        "kind": s.card.kind,
                        "samples": s.samples,
                        "error_sum": s.error_sum,
                        "drifted": s.drifted,
                    }
                    for name, s in self._slots.items()
                },
            }

    def restore(self, state: Mapping[str, Any]) -> list[str]:
        """Apply a :meth:`snapshot` to the registered models; the names restored.

        A model absent from the snapshot, or registered now with another
        version, keeps its fresh state (the old history is not its history).
        """
        if state.get("version") != SNAPSHOT_VERSION:
            raise ValidationError(f"unknown snapshot version {state.get('version')!r}")
        restored = []
        with self._lock:
            for name, saved in dict(state.get("models", {})).items():
                slot = self._slots.get(name)
                if slot is None or saved.get("version") != slot.card.version:
                    continue
                slot.samples = int(saved["samples"])
                slot.error_sum = float(saved["error_sum"])
                slot.drifted = bool(saved["drifted"])
                slot.detector = self._detector()
                restored.append(name)
        return restored

    # -- internals -----------------------------------------------------------
    def _detector(self) -> ADWIN:
        return ADWIN(delta=self.delta, clock=self.check_every)

    def _slot(self, name: str) -> _Slot:
        try:
            return self._slots[name]
        except KeyError:
            raise NotFoundError(f"no model {name!r} is registered") from None

    def _active_slot(self, kind: str) -> _Slot | None:
        healthy = [s for s in self._slots.values() if s.card.kind == kind and not s.drifted]
        return min(healthy, key=_rank, default=None)

    def _drifted(self, slot: _Slot, before: float, after: float, was_active: bool) -> DriftEvent:
        card = slot.card
        means = f"window mean error {before:.3f} → {after:.3f} after {slot.samples} samples"
        if after <= before:
            return self._event(slot, "improved", f"{card.name}: {means}", before, after)
        slot.drifted = True
        if not was_active:
            return self._event(
                slot, "retire", f"standby {card.name} drifted: {means}", before, after
            )
        nxt = self._active_slot(card.kind)
        if nxt is None:
            why = f"{card.name} drifted ({means}); no healthy {card.kind} model left"
            return self._event(slot, "demote", why, before, after)
        why = f"{card.name} drifted ({means}); {nxt.card.name} takes over"
        return self._event(slot, "fallback", why, before, after, nxt.card.name)

    def _event(
        self,
        slot: _Slot,
        action: Action,
        reason: str,
        before: float | None = None,
        after: float | None = None,
        replacement: str | None = None,
    ) -> DriftEvent:
        return DriftEvent(
            model=slot.card.name,
            kind=slot.card.kind,
            version=slot.card.version,
            action=action,
            samples=slot.samples,
            mean_before=before,
            mean_after=after,
            replacement=replacement,
            reason=reason,
            ts_ms=None if self.clock is None else self.clock.now_ms(),
        )

    def _emit(self, event: DriftEvent) -> None:
        """Count and journal the event, then demote: a demotion reduces risk, so it
        happens even when the journal fails (its error is raised afterwards)."""
        self._events.append(event)
        DRIFT_EVENTS.labels(model=event.model, kind=event.kind, action=event.action).inc()
        try:
            if self.journal is not None:
                self.journal.append("drift", event.model_dump(mode="json"), actor=ACTOR)
        finally:
            if event.action == "demote" and self.on_demote is not None:
                self.on_demote(event.kind, event.reason)


def _rank(slot: _Slot) -> tuple[int, int]:
    return slot.priority, slot.order


def _mean(detector: ADWIN) -> float | None:
    return float(detector.estimation) if detector.width else None


def replay_errors(router: ModelRouter, errors: pd.DataFrame) -> pd.DataFrame:
    """Feed recorded errors (a column per model, a row per step; NaN: not observed).

    Returns the events with the ``step`` (row label) that triggered each.

    Examples
    --------
    >>> router = ModelRouter(None)
    >>> router.register(ModelCard(name="a", kind="signal", version="1", trained_from_ms=0,
    ...                           trained_to_ms=0, validation_score=0.5))
    >>> out = replay_errors(router, pd.DataFrame({"a": [0.0] * 300 + [1.0] * 60}))
    >>> out[["step", "model", "action"]].values.tolist()
    [[319, 'a', 'demote']]
    """
    rows = []
    for step, row in zip(errors.index, errors.to_numpy(dtype=float), strict=True):
        for name, value in zip(errors.columns, row, strict=True):
            if not math.isnan(value):
                event = router.observe(str(name), value)
                if event is not None:
                    rows.append({"step": step, **event.model_dump()})
    columns = ["step", *DriftEvent.model_fields]
    return pd.DataFrame(rows, columns=columns)
