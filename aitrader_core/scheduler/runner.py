"""Run one scheduled notebook: lock, record, execute with papermill, count.

A run of ``daily_report`` started at 2023-09-05 00:15:00 UTC leaves::

    <home>/runs/2023-09-05/daily_report-001500.ipynb   the executed notebook
    <home>/runs/2023-09-05/daily_report-001500/         its artefacts (``run_dir``)

and a row in ``scheduled_runs`` (status, duration, parameters, artefacts, the
error's first line). The notebook receives ``run_dir`` as a parameter and
writes its files there; the kernel's working directory is that folder too. A
failed run keeps its executed notebook (papermill writes the failing cell's
traceback into it), is recorded ``failed`` and counted in
``aitrader_scheduled_runs_total{status="failed"}``; :func:`run_notebook`
returns its record rather than raising, so the scheduler carries on.

A run refused because the notebook is already running (:class:`RunInProgress`)
is logged and not recorded: nothing ran. A ``running`` record found while
holding the lock is a run whose process died; it is closed as failed
("interrupted") before the next run starts.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aitrader_core.clock import Clock, SystemClock
from aitrader_core.errors import AITraderError, ValidationError
from aitrader_core.scheduler import metrics
from aitrader_core.scheduler.execute import declared_parameters, describe_error, execute, kernel_env
from aitrader_core.scheduler.lock import run_lock
from aitrader_core.scheduler.runs import RunRecord, RunRepository, Trigger
from aitrader_core.settings import Settings
from aitrader_core.store import make_engine

__all__ = [
    "INTERRUPTED",
    "NAME_PATTERN",
    "SCHEDULED_DIR",
    "RunFailed",
    "check_parameters",
    "close_interrupted",
    "notebook_names",
    "notebook_path",
    "run_notebook",
]

log = logging.getLogger(__name__)

SCHEDULED_DIR = Path(__file__).resolve().parents[2] / "scheduled"
"""The repository's ``scheduled/`` folder: the notebooks and ``schedule.yaml``."""
NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,63}")
"""What a scheduled notebook may be called (its file is ``<name>.ipynb``)."""
RESERVED = frozenset({"run_dir"})  # set by the runner, never by a caller
INTERRUPTED = "interrupted: the process running it stopped before the run finished"


class RunFailed(AITraderError):
    """A run finished ``failed`` (raised by the CLI; the record says why)."""


def notebook_names(folder: str | Path = SCHEDULED_DIR) -> list[str]:
    """The scheduled notebooks in ``folder``, by name (``daily_report``, ``retrain``)."""
    return sorted(p.stem for p in Path(folder).glob("*.ipynb") if NAME_PATTERN.fullmatch(p.stem))


def notebook_path(name: str, folder: str | Path = SCHEDULED_DIR) -> Path:
    """The notebook called ``name`` in ``folder``; ValidationError (field ``notebook``) if none.

    Examples
    --------
    >>> notebook_path("daily_report").name
    'daily_report.ipynb'
    >>> notebook_path("../notebooks/01_data")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    aitrader_core.errors.ValidationError: notebook: unknown notebook '../notebooks/01_data' ...
    """
    known = notebook_names(folder)
    if name not in known:
        raise ValidationError(
            f"unknown notebook {name!r} (scheduled notebooks: {', '.join(known) or 'none'})",
            field="notebook",
        )
    return Path(folder) / f"{name}.ipynb"


def check_parameters(name: str, notebook: Path, parameters: Mapping[str, Any]) -> None:
    """Refuse parameters the notebook does not declare, and ``run_dir`` (the runner's).

    Examples
    --------
    >>> check_parameters("daily_report", notebook_path("daily_report"), {"replay_bar": 5})
    Traceback (most recent call last):
    ...
    aitrader_core.errors.ValidationError: parameters.replay_bar: daily_report has no such \
parameter (it takes: day, fail, replay_bars)
    """
    declared = declared_parameters(notebook)
    allowed = sorted(set(declared) - RESERVED)
    for key in parameters:
        if key in RESERVED:
            raise ValidationError("is set by the scheduler for each run", field=f"parameters.{key}")
        if key not in declared:
            raise ValidationError(
                f"{name} has no such parameter (it takes: {', '.join(allowed)})",
                field=f"parameters.{key}",
            )


def close_interrupted(runs: RunRepository, name: str) -> list[RunRecord]:
    """Close ``name``'s ``running`` records as failed and count them (hold its lock)."""
    closed = runs.interrupted(name, INTERRUPTED)
    for record in closed:
        log.warning("run %s of %s was interrupted; recorded as failed", record.id, name)
        metrics.count(name, "failed", record.finished_ms)
    return closed


def run_notebook(
    name: str,
    parameters: Mapping[str, Any] | None = None,
    *,
    settings: Settings,
    runs: RunRepository | None = None,
    clock: Clock | None = None,
    trigger: Trigger = "manual",
    progress: bool = False,
    folder: str | Path = SCHEDULED_DIR,
    kernel: str | None = None,
) -> RunRecord:
    """Execute the scheduled notebook ``name`` once; return its finished record.

    Raises ValidationError for an unknown notebook or parameter and
    RunInProgress while another run of ``name`` holds its lock (nothing is then
    recorded). A run that fails inside the notebook returns a ``failed`` record.
    ``runs`` defaults to a repository on ``settings``' store; ``progress``
    shows papermill's progress bar (the CLI's).
    """
    path = notebook_path(name, folder)
    given = dict(parameters or {})
    check_parameters(name, path, given)
    metrics.prime([name])
    home = settings.home.resolve()
    engine = None
    if runs is None:
        engine = make_engine(settings.database_url)
        runs = RunRepository(engine, clock or SystemClock())
    try:
        with run_lock(home / "runs" / ".locks", name):
            close_interrupted(runs, name)
            output = _output_path(home / "runs", name, runs.clock.now_ms())
            run_dir = output.with_suffix("")
            run_dir.mkdir(parents=True)
            record = runs.start(name, given, output, trigger=trigger)
            log.info("run %s of %s started (%s): %s", record.id, name, trigger, output)
            try:
                execute(path, output, {**given, "run_dir": str(run_dir)}, cwd=run_dir,
                        env=kernel_env(settings), kernel=kernel, progress=progress)  # fmt: skip
                error = None
            except Exception as exc:  # the notebook's error, or the kernel's: recorded
                error = describe_error(exc)
            except BaseException as exc:  # Ctrl-C, shutdown: record, then let it through
                _finish(runs, record, run_dir, f"interrupted ({type(exc).__name__})")
                raise
            return _finish(runs, record, run_dir, error)
    finally:
        if engine is not None:
            engine.dispose()


def _finish(runs: RunRepository, record: RunRecord, run_dir: Path, error: str | None) -> RunRecord:
    done = runs.finish(record.id, "ok" if error is None else "failed", _artefacts(run_dir), error)
    metrics.count(done.notebook, done.status, done.finished_ms)
    if error is None:
        log.info("run %s of %s ok in %.1f s", done.id, done.notebook, done.duration_s or 0.0)
    else:
        log.warning(
            "run %s of %s FAILED in %.1f s: %s (executed notebook: %s)",
            done.id, done.notebook, done.duration_s or 0.0, error, done.output,
        )  # fmt: skip
    return done


def _output_path(runs_dir: Path, name: str, now_ms: int) -> Path:
    """``<runs>/<YYYY-MM-DD>/<name>-<HHMMSS>.ipynb``, suffixed ``-2``, ``-3`` … when taken."""
    at = datetime.fromtimestamp(now_ms / 1000, tz=UTC)
    day = runs_dir / at.strftime("%Y-%m-%d")
    stem = f"{name}-{at:%H%M%S}"
    candidate, n = stem, 1
    while (day / f"{candidate}.ipynb").exists() or (day / candidate).exists():
        n += 1
        candidate = f"{stem}-{n}"
    return day / f"{candidate}.ipynb"


def _artefacts(run_dir: Path) -> list[str]:
    """Files the run wrote, relative to its folder (sorted)."""
    return sorted(p.relative_to(run_dir).as_posix() for p in run_dir.rglob("*") if p.is_file())
