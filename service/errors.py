"""Map the core's exceptions to HTTP answers: 4xx with a message, never a 500."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from aitrader_core.brokers.base import BrokerError, RateLimited, Transient, UnknownBrokerError
from aitrader_core.errors import AITraderError, ConfigError, NotFoundError, ValidationError
from aitrader_core.store import BatchRejected

#: Declared on every route so the OpenAPI document tells clients (and
#: schemathesis) which error answers exist and what they carry.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "Malformed request (e.g. invalid JSON)"},
    404: {"description": "Not found"},
    422: {"description": "Invalid input; `detail` names each field (and row) at fault"},
    503: {"description": "Database busy, unavailable or not migrated; nothing was written"},
}


def _detail(loc: list[str | int], msg: str, kind: str = "value_error") -> dict[str, object]:
    return {"loc": loc, "msg": msg, "type": kind}


def _routes(routes: Iterable[Any]) -> Iterator[Any]:
    """Every route, through included routers (FastAPI nests them)."""
    for route in routes:
        if hasattr(route, "original_router"):
            yield from _routes(route.original_router.routes)
        else:
            yield route


def install(app: FastAPI) -> None:
    """Register the exception handlers on ``app``."""

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # list every method of the path, from every route
            path = request.url.path
            routes = [r for r in _routes(request.app.routes) if getattr(r, "methods", None)]
            static = [r for r in routes if getattr(r, "path", None) == path]
            matching = static or [r for r in routes if r.path_regex.match(path)]
            methods = {m for r in matching for m in r.methods}
            headers["Allow"] = ", ".join(sorted(methods))
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(BatchRejected)
    async def _batch(_: Request, exc: BatchRejected) -> JSONResponse:
        detail = [_detail(["body", "candles", p.row, p.field], p.message) for p in exc.problems]
        return JSONResponse(
            status_code=422,
            content={
                "detail": detail,
                "message": str(exc),
                "rejected": exc.total_rows,
                "inserted": 0,
                "updated": 0,
            },
        )

    @app.exception_handler(ValidationError)
    async def _invalid(_: Request, exc: ValidationError) -> JSONResponse:
        loc: list[str | int] = [exc.field] if exc.field else []
        return JSONResponse(
            status_code=422, content={"detail": [_detail(loc, exc.message)], "message": str(exc)}
        )

    @app.exception_handler(NotFoundError)
    async def _missing(_: Request, exc: NotFoundError) -> JSONResponse:
        return JSONResponse(status_code=404, content={"detail": str(exc)})

    @app.exception_handler(ConfigError)
    async def _config(_: Request, exc: ConfigError) -> JSONResponse:
        return JSONResponse(status_code=400, content={"detail": str(exc)})

    @app.exception_handler(DBAPIError)
    async def _database(_: Request, exc: DBAPIError) -> JSONResponse:
        # A concurrent writer took the same keys, the database is locked or down,
        # or the schema is not migrated: nothing was written; the client may retry.
        kind = (
            "conflict with a concurrent write"
            if isinstance(exc, IntegrityError)
            else ("database unavailable or not migrated")
        )
        return JSONResponse(
            status_code=503,
            headers={"Retry-After": "1"},
            content={"detail": f"{kind}; nothing was written, retry: {type(exc.orig).__name__}"},
        )

    @app.exception_handler(Transient)
    @app.exception_handler(RateLimited)
    @app.exception_handler(UnknownBrokerError)
    async def _venue(_: Request, exc: BrokerError) -> JSONResponse:
        # The venue did not answer, or refused for load: nothing is known to have
        # changed; retry later (an order's outcome is settled by its client id).
        retry = getattr(exc, "retry_after_s", None) or 5
        return JSONResponse(
            status_code=503,
            headers={"Retry-After": str(int(retry))},
            content={"detail": f"venue unavailable: {exc}"},
        )

    @app.exception_handler(AITraderError)
    async def _other(_: Request, exc: AITraderError) -> JSONResponse:
        return JSONResponse(status_code=400, content={"detail": str(exc)})
