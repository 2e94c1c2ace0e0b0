"""``scheduled/schedule.yaml`` and the process that runs it (``aitrader schedule serve``).

The file lists jobs: a notebook, a 5-field crontab expression (UTC) and the
parameters to inject::

    timezone: UTC
    jobs:
      - notebook: daily_report
        cron: "15 0 * * *"
      - notebook: retrain
        cron: "30 1 * * 0"     # Sunday, as in crontab
        parameters: {meta_symbol: BTC/USDT}

Crontab's day-of-week numbering (0 or 7 is Sunday) is kept: APScheduler 3
counts 0 as Monday, so the field is translated to day names before it reaches
APScheduler. A day of month and a day of week together are refused (crontab
runs on either, APScheduler on both). Every problem is a ConfigError naming
the entry, e.g. ``schedule.yaml: jobs[1].cron: …``.

The scheduler never starts a job while its previous run is in progress
(``max_instances=1``), runs a backlog of missed times once (``coalesce``), and
serves Prometheus' text format on ``/metrics`` (port 9108 by default).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic import ValidationError as PydanticValidationError

from aitrader_core.errors import ConfigError, ValidationError
from aitrader_core.observability import REGISTRY
from aitrader_core.scheduler import metrics
from aitrader_core.scheduler.lock import RunInProgress, run_lock
from aitrader_core.scheduler.runner import (
    NAME_PATTERN,
    SCHEDULED_DIR,
    check_parameters,
    close_interrupted,
    notebook_path,
    run_notebook,
)
from aitrader_core.scheduler.runs import RunRepository
from aitrader_core.settings import Settings
from aitrader_core.store import make_engine

__all__ = [
    "DEFAULT_PORT",
    "SCHEDULE_FILE",
    "ScheduleConfig",
    "ScheduledJob",
    "SchedulerService",
    "build_scheduler",
    "cron_trigger",
    "load_schedule",
    "serve",
]

log = logging.getLogger(__name__)

SCHEDULE_FILE = SCHEDULED_DIR / "schedule.yaml"
DEFAULT_PORT = 9108  # deploy/k8s/50-scheduler.yaml scrapes it
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def _day(token: str) -> int:
    name = token.strip().lower()
    if name in _DAYS:
        return _DAYS.index(name)
    if not name.isdigit() or int(name) > 7:
        raise ValueError(f"day of week {token!r}: expected 0-7 (0 and 7 are Sunday) or sun-sat")
    return int(name)


def _weekdays(field: str) -> str:
    """A crontab day-of-week field (0 or 7 = Sunday) as APScheduler 3 day names.

    Examples
    --------
    >>> _weekdays("0"), _weekdays("1-5"), _weekdays("5-7"), _weekdays("*/2"), _weekdays("*")
    ('sun', 'mon,tue,wed,thu,fri', 'sun,fri,sat', 'sun,tue,thu,sat', '*')
    """
    if field == "*":
        return "*"
    days: set[int] = set()
    for part in field.split(","):
        span, slash, step_text = part.partition("/")
        if (slash and not step_text.isdigit()) or step_text == "0":
            raise ValueError(f"day of week {part!r}: the step must be a positive number")
        step = int(step_text) if slash else 1
        if span == "*":
            lo, hi = 0, 6
        else:
            first, dash, last = span.partition("-")
            lo = _day(first)
            hi = _day(last) if dash else (7 if slash else lo)
            if hi < lo:
                raise ValueError(f"day of week {part!r}: a range must go upwards")
        days.update(d % 7 for d in range(lo, hi + 1, step))
    return "*" if len(days) == 7 else ",".join(_DAYS[d] for d in sorted(days))


def cron_trigger(expr: str) -> CronTrigger:
    """An APScheduler trigger (UTC) for a 5-field crontab expression.

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> monday = datetime(2023, 9, 4, tzinfo=UTC)
    >>> cron_trigger("30 1 * * 0").get_next_fire_time(None, monday).isoformat()
    '2023-09-10T01:30:00+00:00'
    >>> cron_trigger("15 0 * *")
    Traceback (most recent call last):
    ...
    ValueError: expected 5 fields (minute hour day-of-month month day-of-week), got 4
    """
    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(
            f"expected 5 fields (minute hour day-of-month month day-of-week), got {len(fields)}"
        )
    minute, hour, day, month, weekday = fields
    if day != "*" and weekday != "*":
        raise ValueError(
            "day of month and day of week are both set (crontab runs on either, "
            "APScheduler on both): keep one, or use two jobs"
        )
    return CronTrigger(minute=minute, hour=hour, day=day, month=month,
                       day_of_week=_weekdays(weekday), timezone="UTC")  # fmt: skip


class ScheduledJob(BaseModel):
    """One notebook on one crontab schedule, with the parameters to inject."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    notebook: str = Field(pattern=NAME_PATTERN.pattern, description="scheduled/<notebook>.ipynb")
    cron: str = Field(description="5-field crontab expression, UTC (0 or 7 is Sunday)")
    parameters: dict[str, Any] = Field(default_factory=dict)

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        cron_trigger(value)  # raises ValueError with the reason
        return value

    @field_validator("parameters")
    @classmethod
    def _dates_as_text(cls, value: dict[str, Any]) -> dict[str, Any]:
        # YAML reads `day: 2023-09-04` as a date; the notebook and the record want text
        return {k: v.isoformat() if isinstance(v, date) else v for k, v in value.items()}

    def trigger(self) -> CronTrigger:
        """This job's trigger."""
        return cron_trigger(self.cron)


class ScheduleConfig(BaseModel):
    """The jobs of ``schedule.yaml``; times are UTC."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timezone: Literal["UTC"] = "UTC"
    jobs: list[ScheduledJob] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_job_per_notebook(self) -> ScheduleConfig:
        seen: set[str] = set()
        for job in self.jobs:
            if job.notebook in seen:  # its runs would only refuse each other (one lock)
                raise ValueError(f"notebook {job.notebook!r} is scheduled twice")
            seen.add(job.notebook)
        return self

    def notebooks(self) -> list[str]:
        """The scheduled notebooks, in file order."""
        return [job.notebook for job in self.jobs]


def load_schedule(
    path: str | Path = SCHEDULE_FILE, folder: str | Path | None = None
) -> ScheduleConfig:
    """Read and check ``schedule.yaml``: syntax, crons, notebooks and their parameters.

    ``folder`` holds the notebooks (default: the repository's ``scheduled/``).
    Raises ConfigError naming the file and the entry at fault.

    Examples
    --------
    >>> [(j.notebook, j.cron) for j in load_schedule().jobs]
    [('daily_report', '15 0 * * *'), ('retrain', '30 1 * * 0')]
    """
    path = Path(path)
    notebooks = Path(folder) if folder is not None else SCHEDULED_DIR
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the schedule ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    try:
        config = ScheduleConfig.model_validate(raw)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        raise ConfigError(f"{path}: {where.lstrip('.') or 'top level'}: {message}") from None
    for i, job in enumerate(config.jobs):
        try:
            check_parameters(job.notebook, notebook_path(job.notebook, notebooks), job.parameters)
        except ValidationError as exc:
            field = "notebook" if exc.field == "notebook" else exc.field
            raise ConfigError(f"{path}: jobs[{i}].{field}: {exc.message}") from None
    return config


def build_scheduler(
    config: ScheduleConfig, job: Callable[[str, dict[str, Any]], object]
) -> BackgroundScheduler:
    """A (not yet started) scheduler calling ``job(notebook, parameters)`` on each trigger.

    Examples
    --------
    >>> scheduler = build_scheduler(load_schedule(), lambda name, params: None)
    >>> [(j.id, j.max_instances, j.coalesce) for j in scheduler.get_jobs()]
    [('daily_report', 1, True), ('retrain', 1, True)]
    """
    scheduler = BackgroundScheduler(
        timezone="UTC",
        executors={"default": {"type": "threadpool", "max_workers": max(1, len(config.jobs))}},
        job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": 600},
    )
    for entry in config.jobs:
        scheduler.add_job(
            job,
            entry.trigger(),
            args=(entry.notebook, dict(entry.parameters)),
            id=entry.notebook,
            name=entry.notebook,
            max_instances=1,
            coalesce=True,
        )
    return scheduler


class SchedulerService:
    """The scheduler, its metrics endpoint and the runs it starts, as one object.

    ``start`` primes the metrics (0 for every job's ``ok`` and ``failed``),
    closes runs a previous process left ``running``, serves ``/metrics`` and
    starts the jobs; ``stop`` waits for a run in progress, then stops.
    """

    def __init__(
        self,
        config: ScheduleConfig,
        settings: Settings,
        *,
        port: int = DEFAULT_PORT,
        addr: str = "0.0.0.0",  # noqa: S104 - Prometheus scrapes the pod's address
        folder: str | Path = SCHEDULED_DIR,
    ) -> None:
        self.config = config
        self.settings = settings
        self.folder = Path(folder)
        self._port, self._addr = port, addr
        self._server: Any = None
        self.scheduler = build_scheduler(config, self.run)

    @property
    def port(self) -> int:
        """The metrics port (the one bound, when started with port 0)."""
        return int(self._server.server_port) if self._server is not None else self._port

    def run(self, notebook: str, parameters: dict[str, Any]) -> None:
        """One scheduled run; refusals and errors are logged, never raised into APScheduler."""
        try:
            run_notebook(notebook, parameters, settings=self.settings, trigger="schedule",
                         folder=self.folder)  # fmt: skip
        except RunInProgress as exc:
            log.warning("%s", exc)
        except Exception:
            log.exception("run of %s could not start", notebook)

    def start(self) -> None:
        """Prime metrics, close interrupted runs, serve /metrics, start the jobs."""
        from prometheus_client import start_http_server

        metrics.prime(self.config.notebooks())
        self._close_interrupted()
        self._server, _ = start_http_server(self._port, addr=self._addr, registry=REGISTRY)
        self.scheduler.start()
        for job in self.scheduler.get_jobs():
            log.info("scheduled %s (%s), next run %s", job.id, job.trigger, job.next_run_time)
        log.info("metrics on http://%s:%s/metrics", self._addr, self.port)

    def stop(self, wait: bool = True) -> None:
        """Stop the jobs (waiting for a run in progress) and the metrics server."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=wait)
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _close_interrupted(self) -> None:
        engine = make_engine(self.settings.database_url)
        try:
            runs = RunRepository(engine)
            locks = self.settings.home.resolve() / "runs" / ".locks"
            for name in self.config.notebooks():
                try:
                    with run_lock(locks, name):
                        close_interrupted(runs, name)
                except RunInProgress:  # a manual run is in progress: its record is live
                    continue
        finally:
            engine.dispose()


def serve(
    config: ScheduleConfig,
    settings: Settings,
    stop: threading.Event,
    *,
    port: int = DEFAULT_PORT,
    folder: str | Path = SCHEDULED_DIR,
) -> None:
    """Run ``config``'s jobs until ``stop`` is set (the CLI sets it on SIGTERM/SIGINT)."""
    service = SchedulerService(config, settings, port=port, folder=folder)
    service.start()
    try:
        stop.wait()
    finally:
        log.info("stopping (a run in progress finishes first)")
        service.stop(wait=True)
