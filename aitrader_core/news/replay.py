"""Serve feeds from local captures: the demo and the tests poll without a network.

:func:`make_client` builds the poller's HTTP client. Feeds whose config names a
``replay`` file are answered from that file (with an ``ETag`` of its content, so
a second poll gets ``304 Not Modified`` like a real server would); every other
feed goes to the network through a normal transport.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from email.utils import formatdate
from pathlib import Path

import httpx

from aitrader_core.news.feeds import NewsConfig

_TYPES = {".atom": "application/atom+xml", ".xml": "application/rss+xml"}


class ReplayTransport(httpx.AsyncBaseTransport):
    """Answer requests for known URLs from files; pass the others to ``fallback``.

    Examples
    --------
    >>> import asyncio, tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "f.xml").write_text("<rss version='2.0'><channel/></rss>")
    >>> transport = ReplayTransport({"https://example.com/rss": folder / "f.xml"})
    >>> async def get():
    ...     async with httpx.AsyncClient(transport=transport) as client:
    ...         return (await client.get("https://example.com/rss")).status_code
    >>> asyncio.run(get())
    200
    """

    def __init__(
        self, files: Mapping[str, Path], fallback: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.files = {url: Path(path) for url, path in files.items()}
        self.fallback = fallback

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = self.files.get(str(request.url))
        if path is None:
            if self.fallback is None:
                return httpx.Response(404, text="no capture for this URL", request=request)
            return await self.fallback.handle_async_request(request)
        body = path.read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        if request.headers.get("if-none-match") == etag:
            return httpx.Response(304, headers={"ETag": etag}, request=request)
        headers = {
            "Content-Type": _TYPES.get(path.suffix, "application/xml"),
            "ETag": etag,
            "Last-Modified": formatdate(path.stat().st_mtime, usegmt=True),
        }
        return httpx.Response(200, content=body, headers=headers, request=request)


def make_client(config: NewsConfig) -> httpx.AsyncClient:
    """The poller's client: replayed feeds from their files, the rest over the network."""
    files = {f.url: f.replay for f in config.feeds if f.replay is not None}
    live = any(f.replay is None for f in config.feeds)
    fallback = httpx.AsyncHTTPTransport(retries=0) if live else None
    return httpx.AsyncClient(transport=ReplayTransport(files, fallback), follow_redirects=True)
