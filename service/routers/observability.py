"""Service level objectives over rolling windows, from the service's own request log."""

from __future__ import annotations

from fastapi import APIRouter, Request

from aitrader_core.slo import RequestLog, SLOReport

router = APIRouter(prefix="/observability", tags=["observability"])


@router.get("/slo", response_model=SLOReport)
def slo(request: Request) -> SLOReport:
    """Availability and latency objectives of this process' API over each rolling window.

    Requests counted since the process started (probes and ``/metrics`` left
    out): per window, requests, 5xx errors, slow answers and, per objective,
    compliance, burn rate and the fraction of the error budget left.
    """
    log: RequestLog = request.app.state.slo
    return log.report()
