"""Replay recorded HTTP responses through a real ccxt exchange, with no network.

ccxt sends every REST request through one method,
``Exchange.fetch(url, method, headers, body)``: request building, signing,
rate-limit accounting and response parsing all happen around it.
:class:`CcxtReplayer` replaces only that method on one exchange instance, so
the real ccxt code runs on both sides of it, and answers from recorded payloads
looked up by (method, URL path, selected query/body parameters).

* A route holds a sequence of steps, served in order (pages of a pagination);
  ``repeat_last=True`` keeps serving the last one.
* A :class:`Reply` with an HTTP error status goes through the exchange's own
  ``handle_errors`` and then ``handle_http_status_code``, exactly as ccxt's
  ``fetch`` does, so the exception raised is ccxt's real mapping of that error
  (Binance ``429`` → ``DDoSProtection``, ``-2010`` → ``InvalidOrder``...).
* A :class:`Raise` raises an exception instead of answering, as a transport
  error would (``Raise(ccxt.RequestTimeout)``).
* Every served request is kept in :attr:`CcxtReplayer.requests`, so a test can
  assert what ccxt sent. A request with no recorded answer raises
  :class:`UnrecordedRequestError` and the exchange's HTTP session is replaced
  by one that refuses to connect: nothing can reach the network.
* With a :class:`~aitrader_core.clock.ReplayClock`, the exchange's notion of
  "now" (``milliseconds()``, used by its throttle, nonces and by callers) is
  the replay clock, advanced by ``latency_ms`` per request and by ccxt's own
  ``sleep``.

Works with synchronous ccxt classes and with ``ccxt.async_support`` ones.

Examples
--------
>>> import ccxt
>>> ex = ccxt.binance()
>>> replay = CcxtReplayer().on("GET", "/api/v3/time", {"serverTime": 1634942465856})
>>> _ = replay.install(ex)
>>> ex.fetch_time()
1634942465856
>>> replay.requests[0].url
'https://api.binance.com/api/v3/time'
"""

from __future__ import annotations

import inspect
import json
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

import ccxt
import requests
from requests.structures import CaseInsensitiveDict

from aitrader_core.clock import ReplayClock

ExchangeT = TypeVar("ExchangeT", bound=ccxt.Exchange)


class UnrecordedRequestError(AssertionError):
    """A request had no recorded answer, or tried to reach the network."""


@dataclass(frozen=True)
class Reply:
    """A recorded HTTP answer: a JSON payload (or raw text) and its status.

    Examples
    --------
    >>> Reply({"code": -1003, "msg": "Too many requests."}, status=429).text()
    '{"code": -1003, "msg": "Too many requests."}'
    """

    body: Any = None
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    reason: str | None = None

    @classmethod
    def json_file(cls, path: str | Path, *, status: int = 200) -> Reply:
        """Load a recorded JSON payload from ``path``."""
        return cls(json.loads(Path(path).read_text(encoding="utf-8")), status=status)

    def text(self) -> str:
        """The body as sent on the wire (``str`` bodies verbatim, others as JSON)."""
        if self.body is None:
            return ""
        return self.body if isinstance(self.body, str) else json.dumps(self.body)

    def reason_phrase(self) -> str:
        """The HTTP reason phrase (``Too Many Requests`` for 429)."""
        if self.reason is not None:
            return self.reason
        try:
            return HTTPStatus(self.status).phrase
        except ValueError:
            return ""


@dataclass(frozen=True)
class Raise:
    """Raise ``error`` instead of answering.

    An exception class is instantiated with ccxt's own message for transport
    errors (``"<id> <method> <url>"``); an instance is raised as it is.
    """

    error: BaseException | type[BaseException]


Step = Reply | Raise


@dataclass(frozen=True)
class ServedRequest:
    """One request the replayer answered (or raised for).

    ``params`` merges the URL query and a form-encoded or JSON-object body,
    all values as strings.
    """

    method: str
    url: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    body: str | None
    status: int | None
    """HTTP status replied, or ``None`` when a :class:`Raise` step was served."""


@dataclass
class _Route:
    method: str
    path: str
    params: dict[str, str]
    steps: deque[Step]
    repeat_last: bool

    def matches(self, method: str, path: str, params: Mapping[str, str]) -> bool:
        return (
            self.method == method
            and self.path == path
            and all(params.get(k) == v for k, v in self.params.items())
        )

    def describe(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in self.params.items())
        return f"{self.method} {self.path}" + (f"?{query}" if query else "")


class _OfflineSession(requests.Session):
    """A requests session that refuses every request."""

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        raise UnrecordedRequestError(f"network access attempted: {method!r} {url!r}")

    def send(self, request: Any, **kwargs: Any) -> Any:
        raise UnrecordedRequestError(f"network access attempted: {request.method} {request.url}")


class CcxtReplayer:
    """Answer a ccxt exchange's HTTP requests from recorded payloads.

    Parameters
    ----------
    latency_ms
        How far an installed :class:`~aitrader_core.clock.ReplayClock` moves
        per served request (simulated round-trip time).

    Examples
    --------
    >>> import ccxt
    >>> ex = ccxt.binance()
    >>> replay = CcxtReplayer().on(
    ...     "GET", "/api/v3/ping", Reply({"code": -1003, "msg": "Too many requests."}, status=429)
    ... )
    >>> _ = replay.install(ex)
    >>> try:
    ...     ex.publicGetPing()
    ... except ccxt.DDoSProtection as exc:
    ...     print(type(exc).__name__)
    DDoSProtection
    """

    def __init__(self, *, latency_ms: int = 0) -> None:
        self._routes: list[_Route] = []
        self._served: list[ServedRequest] = []
        self._clock: ReplayClock | None = None
        self.latency_ms = latency_ms

    # --- recording what to answer -----------------------------------------------------

    def on(
        self,
        method: str,
        path: str,
        *steps: Step | Any,
        params: Mapping[str, object] | None = None,
        repeat_last: bool = False,
    ) -> CcxtReplayer:
        """Add a route answered by ``steps`` in order; return ``self`` for chaining.

        Parameters
        ----------
        method, path
            HTTP method and URL path (``"GET"``, ``"/api/v3/klines"``).
        *steps
            :class:`Reply` or :class:`Raise` objects; anything else is a 200
            reply with that JSON payload.
        params
            Query or body parameters the request must carry (compared as
            strings), e.g. ``{"symbol": "BTCUSDT", "startTime": 1634943780000}``.
        repeat_last
            Keep serving the last step once the others are used.
        """
        if not steps:
            raise ValueError("a route needs at least one step")
        wrapped = deque(s if isinstance(s, Reply | Raise) else Reply(s) for s in steps)
        wanted = {k: _as_str(v) for k, v in (params or {}).items()}
        self._routes.append(_Route(method.upper(), path, wanted, wrapped, repeat_last))
        return self

    def on_json_file(
        self,
        method: str,
        path: str,
        file: str | Path,
        *,
        status: int = 200,
        params: Mapping[str, object] | None = None,
        repeat_last: bool = False,
    ) -> CcxtReplayer:
        """Add a route answered by a recorded JSON file."""
        reply = Reply.json_file(file, status=status)
        return self.on(method, path, reply, params=params, repeat_last=repeat_last)

    # --- plugging into an exchange ------------------------------------------------------

    def install(self, exchange: ExchangeT, *, clock: ReplayClock | None = None) -> ExchangeT:
        """Route ``exchange``'s HTTP requests to this replayer; return the exchange.

        Parameters
        ----------
        exchange
            A real ccxt exchange instance (sync or ``async_support``).
        clock
            If given, the exchange's ``milliseconds()``/``seconds()`` read it and
            ccxt's ``sleep(ms)`` advances it instead of sleeping.
        """
        if inspect.iscoroutinefunction(exchange.fetch):

            async def fetch_async(
                url: str, method: str = "GET", headers: Any = None, body: Any = None
            ) -> Any:
                return self._serve(exchange, url, method, headers, body)

            exchange.fetch = fetch_async
        else:

            def fetch(url: str, method: str = "GET", headers: Any = None, body: Any = None) -> Any:
                return self._serve(exchange, url, method, headers, body)

            exchange.fetch = fetch
            exchange.session = _OfflineSession()
        if clock is not None:
            self._clock = clock
            _use_clock(exchange, clock)
        return exchange

    # --- what was served ----------------------------------------------------------------

    @property
    def requests(self) -> tuple[ServedRequest, ...]:
        """Every request served so far, oldest first."""
        return tuple(self._served)

    def requests_to(self, path: str, method: str | None = None) -> list[ServedRequest]:
        """Served requests to ``path`` (and ``method``, if given)."""
        return [
            r
            for r in self._served
            if r.path == path and (method is None or r.method == method.upper())
        ]

    def unused(self) -> list[str]:
        """Routes that still hold steps never served (``repeat_last`` ones excluded)."""
        out = []
        for route in self._routes:
            left = len(route.steps) - (1 if route.repeat_last else 0)
            if left > 0:
                out.append(f"{route.describe()} ({left} step(s) left)")
        return out

    def assert_all_used(self) -> None:
        """Fail if a recorded step was never served."""
        left = self.unused()
        if left:
            raise AssertionError("recorded responses never requested: " + "; ".join(left))

    # --- serving ------------------------------------------------------------------------

    def _serve(
        self, exchange: ccxt.Exchange, url: str, method: str, headers: Any, body: Any
    ) -> Any:
        method = method.upper()
        parts = urlsplit(url)
        params = _request_params(parts.query, body)
        request_headers = dict(exchange.prepare_request_headers(headers))
        step = self._next_step(method, parts.path, params, url)
        status = step.status if isinstance(step, Reply) else None
        text_body = body.decode() if isinstance(body, bytes) else body
        self._served.append(
            ServedRequest(method, url, parts.path, params, request_headers, text_body, status)
        )
        if self._clock is not None and self.latency_ms:
            self._clock.advance(self.latency_ms)
        if isinstance(step, Raise):
            error = step.error
            if isinstance(error, type):
                error = error(" ".join([exchange.id, method, url]))
            raise error
        return _answer(exchange, step, url, method, request_headers, text_body)

    def _next_step(self, method: str, path: str, params: Mapping[str, str], url: str) -> Step:
        candidates = [r for r in self._routes if r.matches(method, path, params)]
        for route in candidates:
            if len(route.steps) > 1 or (route.steps and not route.repeat_last):
                return route.steps.popleft()
            if route.steps:
                return route.steps[0]
        if candidates:
            raise UnrecordedRequestError(
                f"all recorded responses for {method} {url} were already served"
            )
        known = "; ".join(r.describe() for r in self._routes) or "none"
        raise UnrecordedRequestError(
            f"no recorded response for {method} {url} (recorded routes: {known})"
        )


def _answer(
    exchange: ccxt.Exchange,
    reply: Reply,
    url: str,
    method: str,
    request_headers: Mapping[str, str],
    request_body: str | None,
) -> Any:
    """Mirror the response half of ``ccxt.Exchange.fetch`` for a recorded reply."""
    headers: CaseInsensitiveDict[str] = CaseInsensitiveDict(
        {"Content-Type": "application/json", **reply.headers}
    )
    reason = reply.reason_phrase()
    http_response = exchange.on_rest_response(
        reply.status, reason, url, method, headers, reply.text(), request_headers, request_body
    )
    json_response = exchange.parse_json(http_response)
    if exchange.enableLastHttpResponse:
        exchange.last_http_response = http_response
    if exchange.enableLastJsonResponse:
        exchange.last_json_response = json_response
    if exchange.enableLastResponseHeaders:
        exchange.last_response_headers = headers
    if json_response and not isinstance(json_response, list) and exchange.returnResponseHeaders:
        json_response["responseHeaders"] = headers
    args = (reply.status, reason, url, method, headers, http_response, json_response)
    if reply.status >= 400:
        # requests' raise_for_status path in ccxt's fetch: exchange mapping first,
        # then the generic HTTP-status mapping, then a plain ExchangeError.
        skip = exchange.handle_errors(*args, request_headers, request_body)
        if not skip:
            exchange.handle_http_status_code(reply.status, reason, url, method, http_response)
        raise ccxt.ExchangeError(" ".join([exchange.id, method, url]))
    exchange.handle_errors(*args, request_headers, request_body)
    if json_response is not None:
        return json_response
    return http_response


def _use_clock(exchange: ccxt.Exchange, clock: ReplayClock) -> None:
    def sleep(milliseconds: float) -> None:
        clock.advance(int(milliseconds))

    async def sleep_async(milliseconds: float) -> None:
        clock.advance(int(milliseconds))

    is_async = inspect.iscoroutinefunction(exchange.sleep)
    clocked: dict[str, Callable[..., Any]] = {
        "milliseconds": clock.now_ms,
        "seconds": lambda: clock.now_ms() // 1000,
        "microseconds": lambda: clock.now_ms() * 1000,
        "sleep": sleep_async if is_async else sleep,
    }
    for name, fn in clocked.items():
        setattr(exchange, name, fn)


def _request_params(query: str, body: Any) -> dict[str, str]:
    params = dict(parse_qsl(query, keep_blank_values=True))
    if isinstance(body, bytes):
        body = body.decode()
    if isinstance(body, str) and body:
        stripped = body.lstrip()
        if stripped.startswith("{"):
            try:
                decoded = json.loads(stripped)
            except ValueError:
                decoded = None
            if isinstance(decoded, dict):
                params.update({k: _as_str(v) for k, v in decoded.items()})
        elif "=" in body:
            params.update(parse_qsl(body, keep_blank_values=True))
    return params


def _as_str(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value if isinstance(value, str) else str(value)
