"""``aitrader report …``: write the daily report (trades CSV, daily-PnL CSV, PDF)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from aitrader_core.app.reports import ReportDesk
from aitrader_core.cli.common import app_from_env

report_cli = typer.Typer(help="Daily reports (CSV and PDF).", no_args_is_help=True)


@report_cli.callback()
def report() -> None:
    """Daily reports (CSV and PDF) of the live or paper account."""


@report_cli.command("daily")
def report_daily(
    date: Annotated[
        str | None,
        typer.Option(
            "--date", help="UTC day YYYY-MM-DD (default: the last complete day of the clock)"
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="folder to write to (default: AITRADER_HOME/reports)"),
    ] = None,
) -> None:
    """Write one day's report and print the files written with their sizes."""
    app = app_from_env()
    try:
        written = ReportDesk(app.settings, app).daily(date, out)
    finally:
        app.live.stop()
        app.close()
    typer.echo(f"daily report {written.day}: {written.window.label()}")
    for path, f in zip((written.csv, written.pnl_csv, written.pdf), written.files(), strict=True):
        typer.echo(f"{path}  {f.size} bytes")
