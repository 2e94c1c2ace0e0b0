"""Scheduled notebooks: papermill runs of ``scheduled/*.ipynb``, recorded and counted.

:func:`run_notebook` executes one notebook into ``<home>/runs/<date>/`` (the
executed copy is the run record; its artefacts sit in a folder beside it),
stores a :class:`RunRecord` and counts ``aitrader_scheduled_runs_total``.
:func:`serve` runs the jobs of ``scheduled/schedule.yaml`` with APScheduler,
one run of a notebook at a time, and serves the metrics on port 9108.
Orchestration, like the CLI: it builds on :mod:`aitrader_core.app` and is the
one place in the core that drives papermill.
"""

from aitrader_core.scheduler.lock import RunInProgress, run_lock
from aitrader_core.scheduler.runner import (
    SCHEDULED_DIR,
    RunFailed,
    notebook_names,
    notebook_path,
    run_notebook,
)
from aitrader_core.scheduler.runs import RunRecord, RunRepository, RunStatus
from aitrader_core.scheduler.schedule import (
    DEFAULT_PORT,
    SCHEDULE_FILE,
    ScheduleConfig,
    ScheduledJob,
    SchedulerService,
    build_scheduler,
    cron_trigger,
    load_schedule,
    serve,
)

__all__ = [
    "DEFAULT_PORT",
    "SCHEDULED_DIR",
    "SCHEDULE_FILE",
    "RunFailed",
    "RunInProgress",
    "RunRecord",
    "RunRepository",
    "RunStatus",
    "ScheduleConfig",
    "ScheduledJob",
    "SchedulerService",
    "build_scheduler",
    "cron_trigger",
    "load_schedule",
    "notebook_names",
    "notebook_path",
    "run_lock",
    "run_notebook",
    "serve",
]
