"""An HTTP client of the AI Trader service, for faces that run elsewhere (the dashboard).

The dashboard's widgets read and write only through this client, so the
dashboard may run on another host than the service. It speaks JSON over
httpx; money comes back as the service sends it (decimal strings).

Two failures are told apart: :class:`ServiceUnreachable` (no answer at all:
refused, reset, timed out) and :class:`ServiceError` (the service answered
4xx/5xx; its message is kept word for word for the operator).
"""

from __future__ import annotations

import threading
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Json = dict[str, Any]


class ClientSettings(BaseSettings):
    """Where the service is and how to authenticate (``AITRADER_*`` variables, ``.env``).

    Examples
    --------
    >>> s = ClientSettings(service_url="http://10.0.0.5:8000/", _env_file=None)
    >>> s.service_url, s.link_url
    ('http://10.0.0.5:8000', 'http://10.0.0.5:8000')
    """

    model_config = SettingsConfigDict(
        env_prefix="AITRADER_", env_file=".env", extra="ignore", frozen=True
    )

    service_url: str = Field(
        default="http://127.0.0.1:8000", description="base URL of the service's API"
    )
    service_public_url: str | None = Field(
        default=None,
        description="base URL the operator's browser uses for download links "
        "(default: service_url)",
    )
    api_token: SecretStr | None = Field(default=None, description="bearer token for changes")
    home: Path = Field(default=Path("var"), description="folder for the dashboard's settings")
    timeout: float = Field(default=5.0, gt=0, description="seconds per request")

    @field_validator("service_url", "service_public_url")
    @classmethod
    def _no_trailing_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value

    @property
    def link_url(self) -> str:
        """Base URL for links the browser follows."""
        return self.service_public_url or self.service_url


class ServiceError(Exception):
    """The service answered with an error; ``message`` is its own words.

    Examples
    --------
    >>> str(ServiceError(401, "invalid token", "PATCH /live/strategies/x"))
    'PATCH /live/strategies/x: 401 invalid token'
    """

    def __init__(self, status: int | None, message: str, request: str = "") -> None:
        self.status = status
        self.message = message
        self.request = request
        code = f"{status} " if status is not None else ""
        super().__init__(f"{request}: {code}{message}" if request else f"{code}{message}")


class ServiceUnreachable(ServiceError):
    """No answer from the service (refused, reset, timed out)."""

    def __init__(self, message: str, request: str = "") -> None:
        super().__init__(None, message, request)


def error_message(response: httpx.Response) -> str:
    """The service's own explanation of an error answer, as one line.

    FastAPI answers ``{"detail": "..."}`` or ``{"detail": [{"loc": [...], "msg": ...}]}``;
    the service's handlers may add ``message``.

    Examples
    --------
    >>> r = httpx.Response(422, json={"detail": [{"loc": ["body", "qty"], "msg": "too big"}]})
    >>> error_message(r)
    'qty: too big'
    >>> error_message(httpx.Response(404, json={"detail": "no strategy 'x'"}))
    "no strategy 'x'"
    >>> error_message(httpx.Response(502, text="Bad Gateway"))
    'Bad Gateway'
    """
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:300] or response.reason_phrase
    if isinstance(body, dict):
        if isinstance(body.get("message"), str):
            return str(body["message"])
        detail = body.get("detail")
        if isinstance(detail, str):
            return detail
        if isinstance(detail, list):
            parts = []
            for item in detail:
                if isinstance(item, dict):
                    loc = [
                        str(p) for p in item.get("loc", []) if p not in ("body", "query", "path")
                    ]
                    where = ".".join(loc)
                    parts.append(f"{where}: {item.get('msg')}" if where else str(item.get("msg")))
                else:
                    parts.append(str(item))
            return "; ".join(parts)
    return str(body)[:300]


class ServiceClient:
    """Typed calls to the service's API (one method per route the dashboard uses).

    Thread-safe: one lock serialises requests, so the dashboard's poller (in a
    worker thread) and its buttons (in the kernel's thread) can share it.

    Examples
    --------
    >>> def answer(request):
    ...     return httpx.Response(200, json={"venue": "sim", "connected": True})
    >>> client = ServiceClient(
    ...     ClientSettings(_env_file=None), transport=httpx.MockTransport(answer)
    ... )
    >>> client.broker()["venue"]
    'sim'
    """

    def __init__(
        self,
        settings: ClientSettings | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.settings = settings or ClientSettings()
        headers = {"Accept": "application/json"}
        self._http = httpx.Client(
            base_url=self.settings.service_url,
            timeout=self.settings.timeout,
            headers=headers,
            transport=transport,
        )
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """The service's base URL."""
        return self.settings.service_url

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> ServiceClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- plumbing ----------------------------------------------------------------------------
    def _auth(self) -> dict[str, str]:
        token = self.settings.api_token
        if token is None:
            raise ServiceError(
                None, "no API token: set AITRADER_API_TOKEN where the dashboard runs"
            )
        return {"Authorization": f"Bearer {token.get_secret_value()}"}

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        auth: bool = False,
    ) -> Any:
        """One call; the decoded JSON answer, or ServiceError / ServiceUnreachable."""
        what = f"{method} {path}"
        headers = self._auth() if auth else None
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            with self._lock:
                response = self._http.request(
                    method, path, params=clean, json=json, headers=headers
                )
        except httpx.TransportError as exc:
            reason = str(exc) or type(exc).__name__
            raise ServiceUnreachable(f"{self.url} unreachable: {reason}", what) from exc
        if response.status_code >= 400:
            raise ServiceError(response.status_code, error_message(response), what)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise ServiceError(response.status_code, "answer is not JSON", what) from exc

    # -- reads -------------------------------------------------------------------------------
    def status(self) -> Json:
        """``GET /live/status``."""
        return dict(self.request("GET", "/live/status"))

    def balance(self) -> Json:
        """``GET /live/balance``: equity, assets by value, limits."""
        return dict(self.request("GET", "/live/balance"))

    def positions(self) -> list[Json]:
        """``GET /live/positions``."""
        return list(self.request("GET", "/live/positions"))

    def orders(self, *, open_only: bool = False, limit: int = 100) -> list[Json]:
        """``GET /live/orders``, newest first."""
        params = {"open_only": str(open_only).lower(), "limit": limit}
        return list(self.request("GET", "/live/orders", params=params))

    def trades(self, *, limit: int = 50) -> list[Json]:
        """``GET /live/trades``, newest first."""
        return list(self.request("GET", "/live/trades", params={"limit": limit}))

    def pnl(self) -> Json:
        """``GET /live/pnl``."""
        return dict(self.request("GET", "/live/pnl"))

    def broker(self) -> Json:
        """``GET /live/broker``: connection, last error, counts, feed progress."""
        return dict(self.request("GET", "/live/broker"))

    def limits(self) -> Json:
        """``GET /live/limits``."""
        return dict(self.request("GET", "/live/limits"))

    def strategies(self) -> list[Json]:
        """``GET /live/strategies``."""
        return list(self.request("GET", "/live/strategies"))

    def ohlcv(
        self,
        symbol: str,
        timeframe: str,
        *,
        end: int | None = None,
        limit: int = 500,
        exchange: str = "binance",
    ) -> list[Json]:
        """The latest ``limit`` bars up to ``end`` (epoch ms), oldest first."""
        params = {
            "symbol": symbol,
            "timeframe": timeframe,
            "exchange": exchange,
            "end": end,
            "limit": limit,
            "order": "desc",
        }
        page = self.request("GET", "/ohlcv", params=params)
        return list(reversed(page["rows"]))

    def reports(self) -> list[Json]:
        """``GET /reports``: generated files (name, size, modified time, kind)."""
        body = self.request("GET", "/reports")
        files = body.get("files", []) if isinstance(body, dict) else body
        return list(files)

    def report_url(self, name: str) -> str:
        """The download link of a report, for the operator's browser."""
        return f"{self.settings.link_url}/reports/{quote(name)}"

    # -- changes (token) -----------------------------------------------------------------------
    def patch_strategy(self, name: str, changes: Json) -> Json:
        """``PATCH /live/strategies/{name}``: enabled, max_risk_fraction, max_daily_trades."""
        path = f"/live/strategies/{quote(name, safe='')}"
        return dict(self.request("PATCH", path, json=changes, auth=True))

    def kill_switch(self, on: bool) -> Json:
        """``POST /live/kill-switch``."""
        return dict(self.request("POST", "/live/kill-switch", json={"on": on}, auth=True))

    def generate_report(self) -> Any:
        """``POST /reports/generate``: the files written (name, size, time)."""
        return self.request("POST", "/reports/generate", auth=True)
