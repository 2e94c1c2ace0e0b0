"""Run records in the store: started, finished, listed newest first.

:class:`RunRepository` reads and writes the ``scheduled_runs`` table of
migration 0006 (:mod:`aitrader_core.scheduler.tables`), one short transaction
per call, so ``GET /runs`` in another process sees a run as soon as it starts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine, Row, insert, inspect, select, update

from aitrader_core.clock import Clock, SystemClock
from aitrader_core.errors import ConfigError, NotFoundError
from aitrader_core.scheduler.tables import scheduled_runs as t

__all__ = ["RunRecord", "RunRepository", "RunStatus", "Trigger"]

RunStatus = Literal["running", "ok", "failed"]
Trigger = Literal["schedule", "manual"]


class RunRecord(BaseModel):
    """One run of a scheduled notebook, as stored (and as ``GET /runs`` returns it)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: int
    notebook: str
    trigger: Trigger
    status: RunStatus
    started_ms: int
    finished_ms: int | None = None
    duration_s: float | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    output: str = Field(description="the executed notebook (kept on failure too)")
    artefacts: list[str] = Field(
        default_factory=list, description="files the run wrote, relative to its run folder"
    )
    error: str | None = Field(None, description="a failed run's error, first line")

    @property
    def run_dir(self) -> Path:
        """The run's folder: the executed notebook's path without ``.ipynb``."""
        return Path(self.output).with_suffix("")


def _record(row: Row[Any]) -> RunRecord:
    m = row._mapping
    return RunRecord(
        id=m["id"],
        notebook=m["notebook"],
        trigger=m["trigger"],
        status=m["status"],
        started_ms=m["started_ms"],
        finished_ms=m["finished_ms"],
        duration_s=m["duration_s"],
        parameters=json.loads(m["parameters"]),
        output=m["output"],
        artefacts=json.loads(m["artefacts"]),
        error=m["error"],
    )


class RunRepository:
    """Run records over the store's engine (migrated to 0006).

    Examples
    --------
    >>> from sqlalchemy.pool import StaticPool
    >>> from aitrader_core.clock import ReplayClock
    >>> from aitrader_core.store import make_engine, upgrade
    >>> engine = make_engine("sqlite://", poolclass=StaticPool)
    >>> upgrade(engine)
    >>> clock = ReplayClock(1_700_000_000_000)
    >>> runs = RunRepository(engine, clock)
    >>> run = runs.start("daily_report", {"day": "2023-09-04"}, "/tmp/r.ipynb")
    >>> run.status, run.trigger
    ('running', 'manual')
    >>> clock.advance(2_500)
    >>> done = runs.finish(run.id, "ok", ["daily-2023-09-04.pdf"])
    >>> done.status, done.duration_s, done.artefacts
    ('ok', 2.5, ['daily-2023-09-04.pdf'])
    >>> [r.id for r in runs.list(notebook="daily_report", status="ok")] == [run.id]
    True
    """

    def __init__(self, engine: Engine, clock: Clock | None = None) -> None:
        if t.name not in inspect(engine).get_table_names():
            raise ConfigError(
                f"run records need the table {t.name!r} of migration 0006: "
                "run `aitrader db upgrade`"
            )
        self.engine = engine
        self.clock: Clock = clock or SystemClock()

    def start(
        self,
        notebook: str,
        parameters: Mapping[str, Any],
        output: str | Path,
        *,
        trigger: Trigger = "manual",
    ) -> RunRecord:
        """Record a run that starts now (status ``running``)."""
        values = {
            "notebook": notebook,
            "trigger": trigger,
            "status": "running",
            "started_ms": self.clock.now_ms(),
            "parameters": json.dumps(dict(parameters), sort_keys=True, default=str),
            "output": str(output),
            "artefacts": "[]",
        }
        with self.engine.begin() as conn:
            key = conn.execute(insert(t).values(**values)).inserted_primary_key
        if key is None:  # pragma: no cover - every insert into this table has a key
            raise RuntimeError("the store returned no id for the new run")
        return self.get(int(key[0]))

    def finish(
        self,
        run_id: int,
        status: Literal["ok", "failed"],
        artefacts: Sequence[str] = (),
        error: str | None = None,
    ) -> RunRecord:
        """Record the end of a run: its status, duration, artefacts and error."""
        started = self.get(run_id)
        now = self.clock.now_ms()
        with self.engine.begin() as conn:
            conn.execute(
                update(t)
                .where(t.c.id == run_id)
                .values(
                    status=status,
                    finished_ms=now,
                    duration_s=round((now - started.started_ms) / 1000, 3),
                    artefacts=json.dumps(list(artefacts)),
                    error=error,
                )
            )
        return self.get(run_id)

    def get(self, run_id: int) -> RunRecord:
        """The run ``run_id``; NotFoundError when there is none."""
        with self.engine.connect() as conn:
            row = conn.execute(select(t).where(t.c.id == run_id)).first()
        if row is None:
            raise NotFoundError(f"no run {run_id}")
        return _record(row)

    def interrupted(self, notebook: str, reason: str) -> list[RunRecord]:
        """Mark ``notebook``'s runs still ``running`` as failed with ``reason``.

        Call only while holding the notebook's run lock: no run of it is then
        in progress, so a ``running`` record is one whose process died.
        """
        stale = self.list(notebook=notebook, status="running", limit=1000)
        return [self.finish(r.id, "failed", error=reason) for r in stale]

    def list(
        self,
        *,
        notebook: str | None = None,
        status: RunStatus | None = None,
        limit: int = 50,
    ) -> list[RunRecord]:
        """Recent runs, newest first, optionally of one notebook and/or status."""
        query = select(t).order_by(t.c.started_ms.desc(), t.c.id.desc()).limit(limit)
        if notebook is not None:
            query = query.where(t.c.notebook == notebook)
        if status is not None:
            query = query.where(t.c.status == status)
        with self.engine.connect() as conn:
            return [_record(row) for row in conn.execute(query)]
