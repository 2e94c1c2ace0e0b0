"""Auto-heal: executors run supervised, restart with back-off, and keep their state.

An *executor* is a long-running loop (the coordinator's bar loop, the news
poller, a feed). :class:`Supervisor` runs each on its own thread; when one
raises, the failure is journaled, counted
(``aitrader_executor_restarts_total{executor}``) and the executor is started
again after a capped exponential back-off. A run that stayed up for
``healthy_after_s`` resets the back-off. ``aitrader_executor_up{executor}``
shows which are running.

State survives the process through :class:`SnapshotStore`: an executor saves
a JSON-able snapshot after each change (:meth:`Executor.snapshot`) and gets
the last one back on start (:meth:`Executor.restore`), from the store's
``live_snapshots`` table. The coordinator keeps its own state in the store
(orders, positions, cursors), so its snapshot is small: what it needs to know
that a restart happened.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from prometheus_client import Counter, Gauge

from aitrader_core.compliance import Journal
from aitrader_core.observability import REGISTRY

log = logging.getLogger(__name__)

RESTARTS = Counter(
    "aitrader_executor_restarts_total",
    "Executor restarts after a crash, by executor",
    ["executor"],
    registry=REGISTRY,
)
UP = Gauge("aitrader_executor_up", "1 while the executor runs", ["executor"], registry=REGISTRY)


class SnapshotStore(Protocol):
    """Where snapshots live (``LiveStateRepository`` implements it)."""

    def save_snapshot(self, name: str, state: Mapping[str, Any]) -> None:
        """Persist ``state`` as the executor's latest snapshot."""
        ...

    def load_snapshot(self, name: str) -> dict[str, Any] | None:
        """The executor's latest snapshot, or ``None``."""
        ...


class Executor(Protocol):
    """A supervised loop: ``run`` returns when ``stop`` is set, raises on a fault."""

    name: str

    def run(self, stop: threading.Event) -> None:
        """Work until ``stop`` is set."""
        ...

    def snapshot(self) -> dict[str, Any]:
        """The state to keep across restarts (JSON-able)."""
        ...

    def restore(self, state: Mapping[str, Any]) -> None:
        """Take back a snapshot saved by a previous run."""
        ...


@dataclass
class ExecutorHealth:
    """One executor as the health endpoint shows it."""

    name: str
    running: bool = False
    restarts: int = 0
    last_error: str | None = None
    last_error_ms: int | None = None
    started_ms: int | None = None
    next_restart_in_s: float | None = None


@dataclass
class _Slot:
    executor: Executor
    health: ExecutorHealth
    thread: threading.Thread | None = None
    failures_in_a_row: int = 0
    errors: list[str] = field(default_factory=list)


class Supervisor:
    """Runs executors on threads and restarts the ones that crash.

    Examples
    --------
    >>> class Flaky:
    ...     name = "flaky"
    ...     def __init__(self): self.runs = 0
    ...     def run(self, stop):
    ...         self.runs += 1
    ...         if self.runs < 3:
    ...             raise RuntimeError("boom")
    ...         stop.wait()
    ...     def snapshot(self): return {"runs": self.runs}
    ...     def restore(self, state): pass
    >>> sup = Supervisor(backoff_s=0.01)
    >>> flaky = Flaky()
    >>> sup.start(flaky)
    >>> sup.wait_running("flaky", timeout=5)
    True
    >>> sup.health()["flaky"].restarts
    2
    >>> sup.stop()
    """

    def __init__(
        self,
        *,
        snapshots: SnapshotStore | None = None,
        journal: Journal | None = None,
        backoff_s: float = 1.0,
        backoff_max_s: float = 60.0,
        healthy_after_s: float = 60.0,
        clock_ms: Callable[[], int] | None = None,
    ) -> None:
        self.snapshots = snapshots
        self.journal = journal
        self.backoff_s = backoff_s
        self.backoff_max_s = backoff_max_s
        self.healthy_after_s = healthy_after_s
        self._now_ms = clock_ms or (lambda: int(time.time() * 1000))
        self._slots: dict[str, _Slot] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def start(self, executor: Executor) -> None:
        """Restore ``executor``'s last snapshot and run it supervised."""
        with self._lock:
            if executor.name in self._slots:
                raise ValueError(f"executor {executor.name!r} already supervised")
            slot = _Slot(executor, ExecutorHealth(executor.name))
            self._slots[executor.name] = slot
            RESTARTS.labels(executor=executor.name).inc(0)  # visible at 0 before any crash
        if self.snapshots is not None:
            state = self.snapshots.load_snapshot(executor.name)
            if state is not None:
                executor.restore(state)
        slot.thread = threading.Thread(
            target=self._supervise, args=(slot,), name=f"exec-{executor.name}", daemon=True
        )
        slot.thread.start()

    def save(self, executor: Executor) -> None:
        """Snapshot ``executor`` now (executors call this after each change)."""
        if self.snapshots is not None:
            self.snapshots.save_snapshot(executor.name, executor.snapshot())

    def stop(self, timeout: float = 10.0) -> None:
        """Ask every executor to stop, wait for them, snapshot them."""
        self._stop.set()
        for slot in list(self._slots.values()):
            if slot.thread is not None:
                slot.thread.join(timeout)
            self.save(slot.executor)

    def health(self) -> dict[str, ExecutorHealth]:
        """Per executor: running, restarts, last error and when."""
        return {name: slot.health for name, slot in self._slots.items()}

    def wait_running(self, name: str, timeout: float = 10.0) -> bool:
        """True once ``name`` runs (after any restarts), False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            slot = self._slots.get(name)
            if slot is not None and slot.health.running and slot.health.next_restart_in_s is None:
                return True
            time.sleep(0.005)
        return False

    def _supervise(self, slot: _Slot) -> None:
        name = slot.executor.name
        while not self._stop.is_set():
            started = time.monotonic()
            slot.health.running, slot.health.started_ms = True, self._now_ms()
            slot.health.next_restart_in_s = None
            UP.labels(executor=name).set(1)
            try:
                slot.executor.run(self._stop)
            except Exception as exc:  # the point of a supervisor: any fault, then restart
                self._failed(slot, exc, time.monotonic() - started)
                delay = slot.health.next_restart_in_s or 0.0
                if self._stop.wait(delay):
                    break
                continue
            finally:
                slot.health.running = False
                UP.labels(executor=name).set(0)
            break  # a clean return: the executor finished (stop was set)
        self.save(slot.executor)

    def _failed(self, slot: _Slot, exc: Exception, uptime_s: float) -> None:
        name = slot.executor.name
        if uptime_s >= self.healthy_after_s:
            slot.failures_in_a_row = 0
        slot.failures_in_a_row += 1
        delay = min(self.backoff_max_s, self.backoff_s * 2 ** (slot.failures_in_a_row - 1))
        slot.health.restarts += 1
        slot.health.last_error = f"{type(exc).__name__}: {exc}"
        slot.health.last_error_ms = self._now_ms()
        slot.health.next_restart_in_s = delay
        RESTARTS.labels(executor=name).inc()
        log.error("executor %s crashed (%s); restart in %.1f s", name, exc, delay, exc_info=exc)
        try:
            self.save(slot.executor)
        except Exception:  # the snapshot store may be what failed
            log.exception("could not snapshot %s", name)
        if self.journal is not None:
            try:
                self.journal.append(
                    "system",
                    {
                        "event": "executor_restart",
                        "executor": name,
                        "error": slot.health.last_error,
                        "restarts": slot.health.restarts,
                        "backoff_s": delay,
                    },
                    actor="supervisor",
                )
            except Exception:  # journaling must not kill the supervisor
                log.exception("could not journal the restart of %s", name)
