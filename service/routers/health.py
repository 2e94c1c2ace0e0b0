"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from aitrader_core.observability import render
from service.deps import Core

router = APIRouter(tags=["health"])


class Live(BaseModel):
    """The process answers."""

    status: str


class Ready(BaseModel):
    """Whether the service can serve: database reachable and schema current."""

    ready: bool
    database: str
    schema_: str | None = None

    model_config = {"populate_by_name": True, "serialize_by_alias": True}


@router.get("/health/live", response_model=Live)
def live() -> Live:
    """200 while the process runs."""
    return Live(status="ok")


@router.get(
    "/health/ready",
    responses={503: {"description": "Database unreachable or schema not current"}},
)
def ready(core: Core) -> JSONResponse:
    """200 when the database answers and its schema is at the code's revision, else 503."""
    state = core.readiness()
    return JSONResponse(status_code=200 if state["ready"] else 503, content=state)


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}},
)
def metrics() -> Response:
    """Prometheus metrics of this process."""
    return Response(render(), media_type="text/plain; version=0.0.4; charset=utf-8")
