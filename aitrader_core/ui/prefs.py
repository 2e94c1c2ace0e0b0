"""The operator's dashboard settings, remembered between visits.

The kernel cannot read the browser's localStorage, so the settings live in a
small JSON file under ``AITRADER_HOME`` (``dashboard.json``) on the host that
runs the dashboard, written atomically on every change. A missing or broken
file gives the defaults (never an error on the operator's screen).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

log = logging.getLogger(__name__)

#: The polling choices, in seconds (0: off).
INTERVALS: tuple[int, ...] = (0, 2, 5, 10, 30)
#: The metrics card's windows, in bars.
WINDOWS: tuple[int, ...] = (24, 72, 168, 336, 720)


class DashboardPrefs(BaseModel):
    """What the operator chose last time.

    Examples
    --------
    >>> DashboardPrefs().interval, DashboardPrefs(interval=7).interval
    (5, 5)
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    theme: Literal["light", "dark"] = "light"
    interval: int = Field(5, description="polling seconds; 0 is off")
    window: int = Field(168, description="bars in the metrics window")
    series: str | None = Field(None, description="metrics series as 'SYMBOL TIMEFRAME'")

    @field_validator("interval", mode="before")
    @classmethod
    def _known_interval(cls, value: object) -> object:
        return value if value in INTERVALS else 5

    @field_validator("window", mode="before")
    @classmethod
    def _known_window(cls, value: object) -> object:
        return value if value in WINDOWS else 168


class PrefsStore:
    """Load and save :class:`DashboardPrefs` as JSON at ``path``."""

    def __init__(self, path: Path | None) -> None:
        self.path = path

    def load(self) -> DashboardPrefs:
        """The saved settings, or the defaults."""
        if self.path is None or not self.path.exists():
            return DashboardPrefs()
        try:
            return DashboardPrefs.model_validate(json.loads(self.path.read_text("utf-8")))
        except (OSError, ValueError, ValidationError) as exc:
            log.warning("ignoring unreadable dashboard settings %s: %s", self.path, exc)
            return DashboardPrefs()

    def save(self, prefs: DashboardPrefs) -> None:
        """Write atomically (a second tab reading at the same time sees old or new)."""
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".dashboard-", suffix=".json")
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(prefs.model_dump_json(indent=2))
            os.replace(tmp, self.path)
        except OSError as exc:  # a read-only home must not break the dashboard
            log.warning("cannot save dashboard settings to %s: %s", self.path, exc)
