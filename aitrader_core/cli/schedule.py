"""``aitrader schedule …``: run a scheduled notebook now, list runs, serve the schedule."""

from __future__ import annotations

import signal
import threading
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from aitrader_core.cli.common import app_from_env
from aitrader_core.domain.market import ms_to_iso
from aitrader_core.errors import AITraderError
from aitrader_core.scheduler import (
    DEFAULT_PORT,
    SCHEDULE_FILE,
    RunFailed,
    RunRepository,
    load_schedule,
    run_notebook,
    serve,
)

schedule_cli = typer.Typer(
    help="Scheduled papermill notebooks (scheduled/): run one, list runs, serve the schedule.",
    no_args_is_help=True,
)
_EXTRA = {"ignore_unknown_options": True, "allow_extra_args": True}


@schedule_cli.callback()
def schedule() -> None:
    """Scheduled papermill notebooks (scheduled/): run one, list runs, serve the schedule."""


def yaml_scalar(raw: str) -> Any:
    """A parameter value as YAML reads it; dates stay text (``2023-09-05``).

    Examples
    --------
    >>> [yaml_scalar(v) for v in ("60", "true", "null", "0.5", "2023-09-05", "BTC/USDT")]
    [60, True, None, 0.5, '2023-09-05', 'BTC/USDT']
    """
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError:
        return raw
    return raw if isinstance(value, date) else value


def parse_params(args: list[str]) -> dict[str, Any]:
    """``-p KEY VALUE`` pairs (``--param`` too) as a dict of YAML scalars.

    Examples
    --------
    >>> parse_params(["-p", "replay_bars", "60", "--param", "day", "2023-09-04"])
    {'replay_bars': 60, 'day': '2023-09-04'}
    >>> parse_params(["-p", "day"])
    Traceback (most recent call last):
    ...
    aitrader_core.errors.AITraderError: -p day: expected -p KEY VALUE
    """
    out: dict[str, Any] = {}
    rest = list(args)
    while rest:
        flag = rest.pop(0)
        if flag not in ("-p", "--param"):
            raise AITraderError(f"unexpected {flag!r}: parameters are given as -p KEY VALUE")
        if len(rest) < 2:
            raise AITraderError(f"{' '.join([flag, *rest])}: expected -p KEY VALUE")
        key, raw = rest.pop(0), rest.pop(0)
        out[key] = yaml_scalar(raw)
    return out


@schedule_cli.command("run", context_settings=_EXTRA)
def schedule_run(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="notebook in scheduled/: daily_report, retrain")],
    progress: Annotated[bool, typer.Option(help="papermill's progress bar")] = True,
) -> None:
    """Execute one notebook now: ``run NAME [-p KEY VALUE]...`` (values read as YAML).

    The executed copy goes to AITRADER_HOME/runs/<date>/<name>-<time>.ipynb, its
    files to the folder beside it; the run is recorded. A failed run keeps its
    executed notebook and exits non-zero with the error.
    """
    if name.startswith("-"):
        raise AITraderError("usage: aitrader schedule run NAME [-p KEY VALUE]...")
    params = parse_params(ctx.args)
    app = app_from_env()  # logging, and the schema migrated before the run is recorded
    app.close()
    record = run_notebook(name, params, settings=app.settings, progress=progress)
    if record.status != "ok":
        raise RunFailed(
            f"{name} run {record.id} failed: {record.error}; executed notebook: {record.output}"
        )
    typer.echo(f"{name} run {record.id} ok in {record.duration_s:.1f} s")
    typer.echo(f"executed notebook: {record.output}")
    for artefact in record.artefacts:
        typer.echo(f"  {record.run_dir / artefact}")


@schedule_cli.command("list")
def schedule_list(
    notebook: Annotated[str | None, typer.Option(help="only this notebook")] = None,
    status: Annotated[str | None, typer.Option(help="running, ok or failed")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
) -> None:
    """Recent runs, newest first."""
    if status not in (None, "running", "ok", "failed"):
        raise AITraderError(f"--status {status!r}: expected running, ok or failed")
    app = app_from_env()
    try:
        runs = RunRepository(app.engine).list(
            notebook=notebook,
            status=status,  # type: ignore[arg-type]  # checked above
            limit=limit,
        )
    finally:
        app.close()
    for r in runs:
        took = f"{r.duration_s:8.1f} s" if r.duration_s is not None else "       - s"
        detail = r.error if r.error else r.output
        typer.echo(
            f"{r.id:>5}  {ms_to_iso(r.started_ms)}  {r.notebook:<14} {r.trigger:<8} "
            f"{r.status:<7} {took}  {detail}"
        )
    if not runs:
        typer.echo("no runs recorded (aitrader schedule run NAME)")


@schedule_cli.command("serve")
def schedule_serve(
    port: Annotated[int, typer.Option(min=0, max=65535, help="Prometheus /metrics port")] = (
        DEFAULT_PORT
    ),
    schedule_file: Annotated[
        Path, typer.Option("--schedule", help="the schedule (default scheduled/schedule.yaml)")
    ] = SCHEDULE_FILE,
) -> None:
    """Run the notebooks on their cron schedules (UTC) until SIGTERM or Ctrl-C.

    A notebook never runs twice at once; a run in progress finishes before exit.
    """
    config = load_schedule(schedule_file)  # a bad entry stops here, in one line
    app = app_from_env()
    app.close()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    jobs = ", ".join(f"{j.notebook} ({j.cron})" for j in config.jobs) or "no jobs"
    typer.echo(f"scheduler: {jobs}; metrics on :{port}/metrics")
    serve(config, app.settings, stop, port=port)
