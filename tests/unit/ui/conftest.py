"""A fake service answering with JSON captured from the real one (tests/data/dashboard)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from aitrader_core.client import ClientSettings, ServiceClient
from aitrader_core.ui import Dashboard, PrefsStore

DATA = Path(__file__).resolve().parents[2] / "data" / "dashboard"
TOKEN = "unit-token"  # noqa: S105 (a test token)


def capture(name: str) -> Any:
    """One captured answer."""
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))


class FakeService:
    """Routes the dashboard calls, answered from captures; records every request.

    ``down`` makes every request fail to connect; ``answers`` overrides a route
    with a status and a body (or a callable of the request).
    """

    def __init__(self) -> None:
        self.down = False
        self.requests: list[httpx.Request] = []
        self.answers: dict[tuple[str, str], tuple[int, Any]] = {}
        self.strategies = capture("strategies")
        self.reports = capture("reports")

    def count(self, method: str, path: str) -> int:
        return sum(1 for r in self.requests if r.method == method and r.url.path == path)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("All connection attempts failed", request=request)
        self.requests.append(request)
        key = (request.method, request.url.path)
        if key in self.answers:
            status, body = self.answers[key]
            return httpx.Response(status, json=body(request) if callable(body) else body)
        return self.route(request)

    def route(self, request: httpx.Request) -> httpx.Response:
        method, path = request.method, request.url.path
        if method == "GET" and path.startswith("/live/"):
            name = path.removeprefix("/live/")
            if name == "strategies":
                return httpx.Response(200, json=self.strategies)
            return httpx.Response(200, json=capture(name))
        if method == "GET" and path == "/ohlcv":
            symbol = request.url.params["symbol"].replace("/", "")
            page = capture(f"ohlcv_{symbol}_1h")
            limit = int(request.url.params.get("limit", 1000))
            return httpx.Response(200, json={**page, "rows": page["rows"][:limit]})
        if method == "GET" and path == "/reports":
            return httpx.Response(200, json=self.reports)
        if method == "PATCH" and path.startswith("/live/strategies/"):
            if request.headers.get("authorization") != f"Bearer {TOKEN}":
                return httpx.Response(401, json={"detail": "invalid token"})
            name = path.rsplit("/", 1)[1]
            body = json.loads(request.content)
            for s in self.strategies:
                if s["name"] == name:
                    s.update({k: str(v) if k == "max_risk_fraction" else v
                              for k, v in body.items()})  # fmt: skip
                    keys = ("enabled", "max_risk_fraction", "max_daily_trades")
                    return httpx.Response(200, json={"name": name, **{k: s[k] for k in keys}})
            return httpx.Response(404, json={"detail": f"no strategy {name!r}"})
        if method == "POST" and path == "/reports/generate":
            return httpx.Response(201, json={"day": "2024-01-09", "files": self.reports[:3]})
        return httpx.Response(404, json={"detail": "Not Found"})


@pytest.fixture
def service() -> FakeService:
    return FakeService()


@pytest.fixture
def client(service: FakeService) -> Iterator[ServiceClient]:
    settings = ClientSettings(
        service_url="http://service.test:8000", api_token=TOKEN, _env_file=None
    )
    with ServiceClient(settings, transport=httpx.MockTransport(service)) as c:
        yield c


@pytest.fixture
def make_dashboard(client: ServiceClient, tmp_path: Path) -> Callable[..., Dashboard]:
    """A dashboard over the fake service, charts collected instead of displayed."""

    def make(**kwargs: Any) -> Dashboard:
        kwargs.setdefault("loop", None)  # actions inline, no polling (unless a test says so)
        charts: list[Any] = []
        board = Dashboard(
            client, prefs=PrefsStore(tmp_path / "dashboard.json"), draw=charts.append, **kwargs
        )
        board.charts = charts  # type: ignore[attr-defined]
        return board

    return make
