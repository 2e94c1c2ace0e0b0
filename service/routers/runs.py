"""The /runs API: records of scheduled notebook runs (read-only).

Runs are started by the scheduler (``aitrader schedule serve``) or by hand
(``aitrader schedule run``); each record names its executed notebook, its
parameters, its artefacts and, for a failed run, the error's first line.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from aitrader_core.scheduler.runner import NAME_PATTERN
from aitrader_core.scheduler.runs import RunRecord, RunRepository, RunStatus
from service.deps import Core
from service.errors import ERROR_RESPONSES

router = APIRouter(prefix="/runs", tags=["runs"])
Json = dict[str, Any]


def _runs(core: Core) -> RunRepository:
    return RunRepository(core.engine, core.clock)


Runs = Annotated[RunRepository, Depends(_runs)]


def run_json(r: RunRecord) -> Json:
    """One run as the API returns it (the record, plus its folder)."""
    return {**r.model_dump(), "run_dir": str(r.run_dir)}


@router.get("", responses=ERROR_RESPONSES)
def list_runs(
    runs: Runs,
    notebook: Annotated[
        str | None,
        Query(pattern=f"^{NAME_PATTERN.pattern}$", description="only this notebook"),
    ] = None,
    status: Annotated[RunStatus | None, Query(description="running, ok or failed")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[Json]:
    """Recent runs, newest first."""
    return [run_json(r) for r in runs.list(notebook=notebook, status=status, limit=limit)]


@router.get("/{run_id}", responses=ERROR_RESPONSES)
def get_run(runs: Runs, run_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> Json:
    """One run by id (404 when unknown)."""
    return run_json(runs.get(run_id))
