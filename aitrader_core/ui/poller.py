"""Periodic refresh inside the kernel's event loop, and work run off that loop.

In Voila (and Jupyter) the notebook's kernel runs an asyncio loop; widget
messages must be sent from it. The poller is one task on that loop: it
sleeps ``interval`` seconds, runs the blocking fetch in a worker thread
(the loop stays free for button clicks), then applies the result back on the
loop. Changing the interval cancels the task and starts a new one, so the
new rate holds from the next tick; ``0`` stops polling.

Without a running loop (a plain script, unit tests) polling is unavailable
and background work runs inline.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, Generic, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


def running_loop() -> asyncio.AbstractEventLoop | None:
    """The running event loop (the kernel's), or None."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class Poller(Generic[T]):
    """Call ``fetch`` (in a thread) then ``apply`` (on the loop) every ``interval`` seconds.

    Examples
    --------
    >>> seen = []
    >>> async def main():
    ...     p = Poller(lambda: len(seen), seen.append, asyncio.get_running_loop())
    ...     p.set_interval(0.01)
    ...     await asyncio.sleep(0.1)
    ...     p.stop()
    >>> asyncio.run(main())
    >>> len(seen) >= 3
    True
    """

    def __init__(
        self,
        fetch: Callable[[], T],
        apply: Callable[[T], None],
        loop: asyncio.AbstractEventLoop | None,
    ) -> None:
        self._fetch = fetch
        self._apply = apply
        self._loop = loop
        self._task: asyncio.Task[None] | None = None
        self.interval: float = 0
        self.ticks = 0

    @property
    def available(self) -> bool:
        """Polling needs the kernel's loop."""
        return self._loop is not None and not self._loop.is_closed()

    def set_interval(self, seconds: float) -> None:
        """Poll every ``seconds`` from now on (0: stop). Safe from any thread."""
        self.interval = seconds
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._restart)

    def stop(self) -> None:
        """Stop polling."""
        self.set_interval(0)

    def _restart(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
        if self.interval > 0 and self._loop is not None:
            self._task = self._loop.create_task(self._run(self.interval))

    async def _run(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                result = await asyncio.to_thread(self._fetch)
                self._apply(result)
                self.ticks += 1
            except asyncio.CancelledError:
                raise
            except Exception:  # one bad tick must not end the polling
                log.exception("dashboard refresh failed")


class Background:
    """Run blocking work in a thread, then ``done(result, error)`` on the loop.

    Without a loop the work runs inline. Tasks are held until they finish (the
    loop keeps only weak references to them).

    Examples
    --------
    >>> out = []
    >>> Background(None).run(lambda: 2 + 2, lambda result, error: out.append(result))
    >>> out
    [4]
    """

    def __init__(self, loop: asyncio.AbstractEventLoop | None) -> None:
        self._loop = loop
        self._tasks: set[asyncio.Task[None]] = set()

    def run(
        self, work: Callable[[], Any], done: Callable[[Any, BaseException | None], None]
    ) -> None:
        """Start ``work``; ``done`` gets its result or its exception."""
        loop = self._loop
        if loop is None or loop.is_closed():
            try:
                result = work()
            except Exception as exc:
                done(None, exc)
                return
            done(result, None)
            return

        async def job() -> None:
            try:
                result = await asyncio.to_thread(work)
            except Exception as exc:
                done(None, exc)
                return
            done(result, None)

        def start() -> None:
            task = loop.create_task(job())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        loop.call_soon_threadsafe(start)
