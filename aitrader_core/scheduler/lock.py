"""One run of a notebook at a time: an advisory file lock per notebook.

``aitrader schedule serve`` never overlaps a job with itself (APScheduler's
``max_instances=1``); the lock also covers a manual ``aitrader schedule run``
started while the scheduler runs the same notebook, in another process. The
lock is ``fcntl.flock`` on ``<home>/runs/.locks/<name>.lock``, taken without
waiting: a second run is refused at once (and not recorded), never queued.
The kernel releases it when the holder exits, even on a crash, so a stale lock
file never blocks anything. It is a lock of one host: one scheduler per store
(deploy/k8s runs exactly one replica).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from aitrader_core.errors import AITraderError

__all__ = ["RunInProgress", "run_lock"]


class RunInProgress(AITraderError):
    """The notebook is already running (here or in another process)."""


@contextmanager
def run_lock(folder: str | Path, name: str) -> Iterator[Path]:
    """Hold ``name``'s run lock for the block; RunInProgress if someone holds it.

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> with run_lock(folder, "daily_report"):  # doctest: +ELLIPSIS
    ...     with run_lock(folder, "daily_report"):
    ...         pass
    Traceback (most recent call last):
    ...
    aitrader_core.scheduler.lock.RunInProgress: daily_report is already running (pid ...); ...
    >>> with run_lock(folder, "daily_report") as path:  # released: free again
    ...     path.name
    'daily_report.lock'
    """
    path = Path(folder) / f"{name}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = path.open("a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "unknown"
            raise RunInProgress(
                f"{name} is already running (pid {holder}); not started again (lock {path})"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"{os.getpid()}\n")
        fh.flush()
        try:
            yield path
        finally:
            fh.seek(0)
            fh.truncate()
            fcntl.flock(fh, fcntl.LOCK_UN)
    finally:
        fh.close()
