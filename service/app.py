"""FastAPI app factory: builds the core from Settings in the lifespan."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response

from aitrader_core import __version__
from aitrader_core.app import App
from aitrader_core.observability import HTTP_LATENCY, HTTP_REQUESTS
from aitrader_core.settings import Settings
from aitrader_core.slo import RequestLog
from service import errors
from service.routers import (
    analysis,
    health,
    live,
    news,
    observability,
    ohlcv,
    paper,
    prices,
    reports,
    runs,
)

DESCRIPTION = """
AI Trader service: market data in, candles out, health and metrics.

Every error answer is a 4xx JSON body naming what is wrong; a candle batch
is stored whole or not at all.
"""


def create_app(settings: Settings | None = None, core: App | None = None) -> FastAPI:
    """Build the service. ``core`` may be given (tests); else it is built from settings."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = core is None
        app.state.core = core or App.from_settings(settings)
        started: list[Callable[[], Awaitable[None]]] = []
        try:
            if app.state.core.settings.live_enabled:
                app.state.core.live.start()  # refuses live mode without a token
                started.append(_async(app.state.core.live.stop))
            if app.state.core.settings.news_enabled:
                await app.state.core.news.start()
                started.append(app.state.core.news.stop)
            yield
        finally:
            for stop in reversed(started):
                await stop()
            if owned:
                app.state.core.close()

    app = FastAPI(
        title="AI Trader", version=__version__, description=DESCRIPTION, lifespan=lifespan
    )
    if core is not None:  # usable without running the lifespan (TestClient without `with`)
        app.state.core = core
    app.state.slo = RequestLog()  # GET /observability/slo, fed by _observe
    errors.install(app)
    app.middleware("http")(_observe)
    for router in (
        health.router,
        prices.router,
        ohlcv.router,
        paper.router,
        news.router,
        analysis.router,
        live.router,
        reports.router,
        observability.router,
        runs.router,
    ):
        app.include_router(router)
    return app


async def _observe(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    started = time.perf_counter()
    status = 500
    try:
        response = await call_next(request)
        status = response.status_code
        return response
    finally:
        route = request.scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        labels = (request.method, template, str(status))
        HTTP_REQUESTS.labels(*labels).inc()
        elapsed = time.perf_counter() - started
        HTTP_LATENCY.labels(*labels).observe(elapsed)
        request.app.state.slo.record(template, status, elapsed)


def _async(fn: Callable[[], None]) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        fn()

    return run
