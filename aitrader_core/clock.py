"""Clocks, injected wherever time matters, so tests and replays control it."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """A source of the current time in epoch milliseconds UTC."""

    def now_ms(self) -> int:
        """Return the current time in epoch ms."""
        ...


class SystemClock:
    """The wall clock.

    Examples
    --------
    >>> SystemClock().now_ms() > 1_700_000_000_000
    True
    """

    def now_ms(self) -> int:
        """Return the wall-clock time in epoch ms."""
        return time.time_ns() // 1_000_000


class ReplayClock:
    """A clock that moves only when told to.

    Examples
    --------
    >>> c = ReplayClock(1_000)
    >>> c.advance(500); c.now_ms()
    1500
    """

    def __init__(self, start_ms: int = 0) -> None:
        self._now = start_ms

    def now_ms(self) -> int:
        """Return the replay time in epoch ms."""
        return self._now

    def set(self, ts_ms: int) -> None:
        """Jump to ``ts_ms``."""
        self._now = ts_ms

    def advance(self, ms: int) -> None:
        """Move forward by ``ms``."""
        self._now += ms
