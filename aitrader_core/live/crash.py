"""Crash points for the crash-injection test: SIGKILL this process at a named step.

``AITRADER_CRASHPOINTS="after_intent:3,after_submit:1"`` kills the process
(``SIGKILL``: no cleanup, no flush, like a power cut) the 3rd time execution
passes ``after_intent`` and the 1st time it passes ``after_submit``. Unset (the
normal case), :func:`crashpoint` is a dictionary lookup and nothing else.

Points: ``after_intent`` (intent journaled, order not stored or sent),
``before_submit`` (order stored pending, not sent), ``after_submit`` (the venue
took it, its acknowledgement not yet recorded), ``after_fill_journal`` (a fill
journaled, not yet stored).
"""

from __future__ import annotations

import os
import signal

POINTS = ("after_intent", "before_submit", "after_submit", "after_fill_journal")


def _parse(raw: str) -> dict[str, int]:
    """``"a:3,b:1"`` → ``{"a": 3, "b": 1}``.

    Examples
    --------
    >>> _parse("after_intent:3, after_submit:1")
    {'after_intent': 3, 'after_submit': 1}
    """
    out: dict[str, int] = {}
    for part in raw.split(","):
        name, _, count = part.strip().partition(":")
        if name:
            out[name] = int(count or 1)
    return out


_PLAN = _parse(os.environ.get("AITRADER_CRASHPOINTS", ""))
_HITS: dict[str, int] = {}


def crashpoint(name: str) -> None:
    """Kill this process here if the crash plan says so (see the module docstring)."""
    if not _PLAN or name not in _PLAN:
        return
    _HITS[name] = _HITS.get(name, 0) + 1
    if _HITS[name] == _PLAN[name]:
        os.kill(os.getpid(), signal.SIGKILL)
