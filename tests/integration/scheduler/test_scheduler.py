"""Scheduled notebooks run by papermill on the bundled data: records, artefacts, metrics, API.

One store (SQLite, the bundled sample ingested) serves the module: the paper
replay advances across runs like the scheduler's would. Kernels start for
three runs only (a report, a deliberate failure, a retrain); refusals, the
schedule file and the scheduler's wiring are checked without a kernel.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import nbformat
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from aitrader_core.app import App
from aitrader_core.clock import ReplayClock
from aitrader_core.errors import ConfigError, NotFoundError, ValidationError
from aitrader_core.observability import sample
from aitrader_core.scheduler import (
    RunInProgress,
    RunRepository,
    SchedulerService,
    build_scheduler,
    load_schedule,
    run_lock,
    run_notebook,
)
from aitrader_core.scheduler.runner import INTERRUPTED, close_interrupted
from aitrader_core.settings import Settings
from aitrader_core.store import make_engine, upgrade
from service.app import create_app
from service.routers import runs as runs_router
from tests.conftest import DATA

TOKEN = "test-token-0123456789"  # noqa: S105 - a test token
RUNS = "aitrader_scheduled_runs_total"
# The paper config replays from 2023-09-01 00:00 and first trades on 2023-09-04:
# after 98 bars the last complete day of its clock is 2023-09-04.
REPLAY_BARS = 98


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scheduler-home")
    app = App.from_settings(_settings(path))
    app.upgrade_db()
    app.ingest_sample()
    app.close()
    return path


def _settings(home: Path) -> Settings:
    return Settings(home=home, api_token=TOKEN, live_enabled=False, _env_file=None)


def _env(home: Path) -> dict[str, str]:
    return {"AITRADER_HOME": str(home), "AITRADER_API_TOKEN": TOKEN}


@pytest.fixture
def runs(home: Path) -> Iterator[RunRepository]:
    engine = make_engine(_settings(home).database_url)
    yield RunRepository(engine)
    engine.dispose()


def _count(status: str, notebook: str = "daily_report") -> float:
    return sample(RUNS, {"notebook": notebook, "status": status})


def _errors(path: Path) -> list[dict[str, object]]:
    nb = nbformat.read(path, as_version=4)
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
            if o.output_type == "error"]  # fmt: skip


# --- runs with a kernel ---------------------------------------------------------------------------


def test_daily_report_run_leaves_notebook_csvs_pdf_and_an_ok_record(
    home: Path, runs: RunRepository
) -> None:
    from aitrader_core.cli.schedule import schedule_cli

    ok_before = _count("ok")
    args = ["run", "daily_report", "-p", "replay_bars", str(REPLAY_BARS), "--no-progress"]
    result = CliRunner().invoke(schedule_cli, args, env=_env(home))
    assert result.exit_code == 0, result.output

    record = runs.list(notebook="daily_report", limit=1)[0]
    assert record.status == "ok"
    assert record.trigger == "manual"
    assert record.parameters == {"replay_bars": REPLAY_BARS}
    assert record.duration_s is not None
    assert record.duration_s > 0
    assert record.error is None
    today = datetime.now(tz=UTC).strftime("%Y-%m-%d")
    output = Path(record.output)
    assert output.parent == home.resolve() / "runs" / today
    assert output.name.startswith("daily_report-")
    assert output.suffix == ".ipynb"
    assert f"daily_report run {record.id} ok" in result.output
    assert f"executed notebook: {output}" in result.output

    names = {"daily-2023-09-04-trades.csv", "daily-2023-09-04-pnl.csv", "daily-2023-09-04.pdf"}
    assert set(record.artefacts) == names  # and nothing else: caches stay out of the run folder
    for name in names:
        assert (record.run_dir / name).stat().st_size > 0
    with (record.run_dir / "daily-2023-09-04-trades.csv").open(newline="") as fh:
        assert len(list(csv.DictReader(fh))) >= 2  # the paper account traded that day
    assert (record.run_dir / "daily-2023-09-04.pdf").read_bytes().startswith(b"%PDF")

    nb = nbformat.read(output, as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1
    assert f'run_dir = "{record.run_dir}"' in injected[0].source
    assert _errors(output) == []
    assert _count("ok") == ok_before + 1
    last = sample("aitrader_scheduled_run_last_success_timestamp_seconds",
                  {"notebook": "daily_report"})  # fmt: skip
    assert last == pytest.approx(record.finished_ms / 1000)


def test_a_failing_parameter_gives_a_failed_record_the_notebook_and_a_metric(
    home: Path, runs: RunRepository
) -> None:
    failed_before = _count("failed")
    record = run_notebook("daily_report", {"fail": True}, settings=_settings(home))
    assert record.status == "failed"
    assert record.error is not None
    assert record.error.startswith("RuntimeError: fail=True: this run fails on purpose")
    assert record.parameters == {"fail": True}
    assert record.duration_s is not None
    assert runs.get(record.id) == record
    errors = _errors(Path(record.output))
    assert [e["ename"] for e in errors] == ["RuntimeError"]
    assert "fails on purpose" in str(errors[0]["evalue"])
    assert _count("failed") == failed_before + 1

    # the API lists both runs, newest first, and filters them
    app = create_app(_settings(home), App.from_settings(_settings(home)))
    if not any(getattr(r, "path", "").startswith("/runs") for r in app.routes):
        app.include_router(runs_router.router)  # until service.app includes it
    with TestClient(app) as client:
        listed = client.get("/runs", params={"notebook": "daily_report"}).json()
        assert [r["status"] for r in listed[:2]] == ["failed", "ok"]
        assert listed[0]["id"] == record.id
        assert listed[0]["error"] == record.error
        assert listed[0]["run_dir"] == str(record.run_dir)
        only = client.get("/runs", params={"status": "failed"}).json()
        assert {r["status"] for r in only} == {"failed"}
        one = client.get(f"/runs/{record.id}")
        assert one.status_code == 200
        assert one.json()["parameters"] == {"fail": True}
        assert client.get("/runs/999999").status_code == 404
        assert client.get("/runs", params={"status": "bogus"}).status_code == 422
        assert client.get("/runs", params={"notebook": "../etc"}).status_code == 422
        assert client.get("/runs", params={"limit": 0}).status_code == 422
    app.state.core.close()


def test_retrain_fits_the_scorer_and_the_meta_model_into_the_run_folder(
    home: Path, tmp_path: Path
) -> None:
    with (DATA / "sentiment" / "twitter_financial_news_train80.csv").open(newline="") as fh:
        rows = list(csv.reader(fh))
    labelled = tmp_path / "labelled.csv"
    with labelled.open("w", newline="") as fh:
        csv.writer(fh).writerows([rows[0], *rows[1::26][:300]])  # 300 texts of every class
    params = {"labelled_csv": str(labelled), "meta_start": "2023-01-01",
              "meta_end": "2023-05-01", "splits": 3}  # fmt: skip
    record = run_notebook("retrain", params, settings=_settings(home))
    assert record.status == "ok", record.error
    assert {"sentiment-eval.txt", "meta-model/meta_model.json"} <= set(record.artefacts)
    assert any(a.startswith("sentiment-model/") for a in record.artefacts)
    report = (record.run_dir / "sentiment-eval.txt").read_text()
    assert "macro-F1" in report


# --- refusals, without a kernel ------------------------------------------------------------------


def test_a_second_run_of_a_notebook_is_refused_while_one_runs(
    home: Path, runs: RunRepository
) -> None:
    before = len(runs.list(limit=1000))
    with run_lock(home.resolve() / "runs" / ".locks", "daily_report"):
        with pytest.raises(RunInProgress, match="daily_report is already running"):
            run_notebook("daily_report", {}, settings=_settings(home))
        # another notebook is not held up
        with run_lock(home.resolve() / "runs" / ".locks", "retrain"):
            pass
    assert len(runs.list(limit=1000)) == before  # refused: nothing recorded


def test_unknown_notebooks_and_parameters_are_refused_before_anything_runs(
    home: Path, runs: RunRepository
) -> None:
    before = len(runs.list(limit=1000))
    with pytest.raises(ValidationError, match="unknown notebook 'nope'") as exc:
        run_notebook("nope", settings=_settings(home))
    assert exc.value.field == "notebook"
    with pytest.raises(ValidationError, match="daily_report has no such parameter") as exc:
        run_notebook("daily_report", {"replay_bar": 1}, settings=_settings(home))
    assert exc.value.field == "parameters.replay_bar"
    with pytest.raises(ValidationError, match="set by the scheduler"):
        run_notebook("daily_report", {"run_dir": "/etc"}, settings=_settings(home))
    assert len(runs.list(limit=1000)) == before


def test_the_command_line_reports_errors_in_one_line(home: Path) -> None:
    # The `aitrader` entry point as the lead wires it: the schedule group under main().
    script = (
        "from aitrader_core.cli import cli, main\n"
        "from aitrader_core.cli.schedule import schedule_cli\n"
        "if not any(g.name == 'schedule' for g in cli.registered_groups):\n"
        "    cli.add_typer(schedule_cli, name='schedule')\n"
        "main()\n"
    )
    env = {**os.environ, **_env(home)}

    def aitrader(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - our own entry point
            [sys.executable, "-c", script, "schedule", *args],
            capture_output=True, text=True, env=env, cwd=home, timeout=120, check=False,
        )  # fmt: skip

    bad = aitrader("run", "nope")
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines()[-1] == (
        "error: notebook: unknown notebook 'nope' (scheduled notebooks: daily_report, retrain)"
    )
    assert "Traceback" not in bad.stderr

    from aitrader_core.cli.schedule import schedule_cli

    odd = CliRunner().invoke(schedule_cli, ["run", "daily_report", "-p", "day"], env=_env(home))
    assert odd.exit_code != 0
    assert str(odd.exception) == "-p day: expected -p KEY VALUE"
    listed = CliRunner().invoke(schedule_cli, ["list", "--notebook", "daily_report"],
                                env=_env(home))  # fmt: skip
    assert listed.exit_code == 0, listed.output
    lines = listed.output.strip().splitlines()
    assert lines
    assert all(" daily_report " in line for line in lines)


def test_a_run_left_running_by_a_dead_process_is_closed_as_failed(home: Path) -> None:
    engine = make_engine(_settings(home).database_url)
    runs = RunRepository(engine, ReplayClock(1_700_000_000_000))
    stale = runs.start("retrain", {}, home / "runs" / "gone.ipynb", trigger="schedule")
    failed_before = _count("failed", "retrain")
    with run_lock(home.resolve() / "runs" / ".locks", "retrain"):
        closed = close_interrupted(runs, "retrain")
    assert [r.id for r in closed] == [stale.id]
    assert runs.get(stale.id).status == "failed"
    assert runs.get(stale.id).error == INTERRUPTED
    assert _count("failed", "retrain") == failed_before + 1
    engine.dispose()


# --- the schedule -------------------------------------------------------------------------------


def test_the_shipped_schedule_runs_each_notebook_alone_on_crontab_days() -> None:
    config = load_schedule()
    assert config.notebooks() == ["daily_report", "retrain"]
    scheduler = build_scheduler(config, lambda name, params: None)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"daily_report", "retrain"}
    for job in jobs.values():
        assert job.max_instances == 1
        assert job.coalesce is True
        assert job.args[0] == job.id
    thursday = datetime(2023, 9, 7, 12, tzinfo=UTC)
    daily = jobs["daily_report"].trigger.get_next_fire_time(None, thursday)
    weekly = jobs["retrain"].trigger.get_next_fire_time(None, thursday)
    assert daily == datetime(2023, 9, 8, 0, 15, tzinfo=UTC)
    assert weekly == datetime(2023, 9, 10, 1, 30, tzinfo=UTC)  # "0" is Sunday, as in crontab
    assert weekly.strftime("%A") == "Sunday"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("jobs:\n  - {notebook: daily_report, cron: '61 0 * * *'}\n", "jobs[0].cron: "),
        ("jobs:\n  - {notebook: daily_report, cron: '15 0 * *'}\n", "jobs[0].cron: expected 5"),
        ("jobs:\n  - {notebook: daily_report, cron: '0 0 1 * 1'}\n", "jobs[0].cron: day of month"),
        ("jobs:\n  - {notebook: daily_report, cron: '0 0 * * 9'}\n", "jobs[0].cron: day of week"),
        (
            "jobs:\n  - {notebook: daily_report, cron: '0 0 * * *'}\n"
            "  - {notebook: nope, cron: '0 0 * * *'}\n",
            "jobs[1].notebook: unknown notebook 'nope'",
        ),
        ("jobs:\n  - {notebook: '../x', cron: '0 0 * * *'}\n", "jobs[0].notebook: "),
        (
            "jobs:\n  - {notebook: daily_report, cron: '0 0 * * *', parameters: {dya: 1}}\n",
            "jobs[0].parameters.dya: daily_report has no such parameter",
        ),
        ("jobs:\n  - {notebook: daily_report, cron: '0 0 * * *', when: x}\n", "jobs[0].when: "),
        ("timezone: Europe/Paris\n", "timezone: "),
        ("jobs: [\n", "not valid YAML"),
    ],
)
def test_a_bad_schedule_is_refused_naming_the_entry(
    tmp_path: Path, body: str, message: str
) -> None:
    path = tmp_path / "schedule.yaml"
    path.write_text(body)
    with pytest.raises(ConfigError) as exc:
        load_schedule(path)
    assert str(exc.value).startswith(f"{path}: ")
    assert message in str(exc.value)


def test_the_scheduler_serves_its_metrics(home: Path) -> None:
    service = SchedulerService(load_schedule(), _settings(home), port=0, addr="127.0.0.1")
    service.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{service.port}/metrics") as response:
            text = response.read().decode()
        for notebook in ("daily_report", "retrain"):
            for status in ("ok", "failed"):
                assert f'{RUNS}{{notebook="{notebook}",status="{status}"}}' in text
        assert {job.id for job in service.scheduler.get_jobs()} == {"daily_report", "retrain"}
        assert all(job.next_run_time is not None for job in service.scheduler.get_jobs())
    finally:
        service.stop()
    assert not service.scheduler.running


def test_run_records_on_each_database(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    clock = ReplayClock(1_700_000_000_000)
    runs = RunRepository(engine, clock)
    first = runs.start("daily_report", {"day": "2023-09-04", "n": 1}, "/r/a.ipynb")
    clock.advance(1_000)
    second = runs.start("retrain", {}, "/r/b.ipynb", trigger="schedule")
    clock.advance(1_500)
    done = runs.finish(first.id, "failed", ["x.csv"], "RuntimeError: boom")
    assert (done.status, done.duration_s, done.error) == ("failed", 2.5, "RuntimeError: boom")
    assert done.parameters == {"day": "2023-09-04", "n": 1}
    assert [r.id for r in runs.list()] == [second.id, first.id]
    assert [r.id for r in runs.list(status="running")] == [second.id]
    assert [r.id for r in runs.list(notebook="daily_report")] == [first.id]
    with pytest.raises(NotFoundError):
        runs.get(10_000)
    engine.dispose()
