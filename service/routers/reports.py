"""The /reports API: generate a daily report (token), list the files, download one.

Files are served only by a name listed in the reports folder (letters,
digits, ``-`` and ``_``, then ``.csv`` or ``.pdf``): anything else is a 422,
an unknown name a 404, so no request reaches a file outside the folder.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from aitrader_core.app.reports import ReportDesk, ReportFile
from service.auth import Operator
from service.deps import Core
from service.errors import ERROR_RESPONSES

router = APIRouter(prefix="/reports", tags=["reports"])
AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    **ERROR_RESPONSES,
    401: {"description": "Missing or invalid bearer token"},
}
Json = dict[str, Any]


def _desk(core: Core) -> ReportDesk:
    # The desk is stateless over the facade (settings + app); App.reports serves notebooks.
    return ReportDesk(core.settings, core)


Desk = Annotated[ReportDesk, Depends(_desk)]


class GenerateRequest(BaseModel):
    """Which UTC day to report; absent: the last complete day of the coordinator's clock."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    day: str | None = Field(
        None, pattern=r"^\d{4}-\d{2}-\d{2}$", examples=["2023-09-04"], description="YYYY-MM-DD"
    )


def file_json(f: ReportFile) -> Json:
    """One file as the API lists it, with its download URL."""
    return {
        "name": f.name,
        "kind": f.kind,
        "size": f.size,
        "modified_ms": f.modified_ms,
        "url": f"/reports/{f.name}",
    }


@router.post("/generate", responses=AUTH_RESPONSES, status_code=201)
def generate(
    desk: Desk, actor: Operator, body: Annotated[GenerateRequest | None, Body()] = None
) -> Json:
    """Write the day's trades CSV, daily-PnL CSV and PDF; returns them with their sizes."""
    written = desk.daily(body.day if body is not None else None)
    w = written.window
    return {
        "day": written.day,
        "window": {
            "start_ms": w.start_ms,
            "end_ms": w.end_ms,
            "complete": w.complete,
            "label": w.label(),
        },
        "actor": actor,
        "files": [file_json(f) for f in written.files()],
    }


@router.get("", responses=ERROR_RESPONSES)
def list_reports(desk: Desk) -> list[Json]:
    """Every report file, newest first, with its size."""
    return [file_json(f) for f in desk.list()]


Name = Annotated[str, Path(min_length=1, max_length=128)]


@router.get(
    "/{name}",
    responses={
        **ERROR_RESPONSES,
        200: {
            "content": {"text/csv": {}, "application/pdf": {}},
            "description": "The file",
        },
    },
    response_class=FileResponse,
)
def download(desk: Desk, name: Name) -> FileResponse:
    """One report file (CSV or PDF) by its listed name."""
    path = desk.path(name)
    return FileResponse(path, media_type=ReportFile.of(path).media_type, filename=path.name)
