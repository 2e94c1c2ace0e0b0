"""The dashboard's frame: header with indicators and controls, the outage banner, toasts."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import ipywidgets as w

from aitrader_core.ui.format import badge, esc, field
from aitrader_core.ui.prefs import INTERVALS
from aitrader_core.ui.snapshot import Snapshot


def mode_badges(broker: dict[str, Any] | None, status: dict[str, Any] | None) -> str:
    """Mode (PAPER / LIVE), network (TESTNET / MAINNET), kill switch, venue."""
    if not broker:
        return badge("mode unknown", "muted")
    mode = str(broker.get("mode") or "?")
    parts = [
        field(
            "mode",
            badge(
                mode.upper(),
                "info" if mode == "paper" else "bad",
                "paper: simulated fills; live: orders reach the venue",
            ),
            mode,
        ),
        field(
            "testnet",
            badge("TESTNET", "warn") if broker.get("testnet") else badge("MAINNET", "bad"),
            broker.get("testnet"),
        ),
        field("venue", badge(str(broker.get("venue")), "muted", "venue"), broker.get("venue")),
    ]
    if status and status.get("kill_switch"):
        parts.append(field("kill_switch", badge("KILL SWITCH", "bad"), True))
    return " ".join(parts)


class Header:
    """Title, mode/testnet indicators, polling interval, manual refresh, theme, last update."""

    def __init__(self, interval: int, theme: str, service_url: str) -> None:
        self.title = w.HTML('<span class="ait-title">AI Trader · operator</span>')
        self.badges = w.HTML(badge("connecting…", "muted"))
        self.badges.add_class("ait-indicators")
        self.interval = w.Dropdown(
            options=[("off", 0) if s == 0 else (f"{s} s", s) for s in INTERVALS],
            value=interval,
            description="refresh",
            tooltip="polling interval of every card",
        )
        self.interval.layout.width = "150px"
        self.interval.style.description_width = "55px"
        self.interval.add_class("ait-interval")
        self.refresh = w.Button(description="Refresh", icon="refresh", tooltip="refresh now")
        self.refresh.add_class("ait-refresh")
        self.refresh.layout.width = "100px"
        self.theme = w.ToggleButtons(
            options=[("☀ light", "light"), ("☾ dark", "dark")],
            value=theme,
            tooltips=["light theme", "dark theme"],
        )
        self.theme.style.button_width = "70px"
        self.theme.add_class("ait-theme")
        self.updated = w.HTML()
        self.updated.add_class("ait-updated")
        self.service = w.HTML(f'<span class="ait-muted">service {esc(service_url)}</span>')
        self.widget = w.HBox(
            [
                self.title,
                self.badges,
                self.interval,
                self.refresh,
                self.theme,
                self.updated,
                self.service,
            ]
        )
        self.widget.add_class("ait-header")

    def update(self, snap: Snapshot) -> None:
        """Indicators from the broker and status reads; the time of the last good read."""
        if snap.ok:
            self.badges.value = mode_badges(snap.get("broker"), snap.get("status"))
            stamp = time.strftime("%H:%M:%S", time.localtime(snap.taken_ms / 1000))
            self.updated.value = (
                f'<span class="ait-muted">updated {field("updated", stamp, snap.taken_ms)}</span>'
            )


class Banner:
    """A red line across the top while the service does not answer; hidden otherwise."""

    def __init__(self) -> None:
        self.widget = w.HTML()
        self.widget.add_class("ait-banner")
        self.widget.layout.display = "none"
        self.since: float | None = None

    @property
    def visible(self) -> bool:
        """Whether the banner is shown."""
        return self.widget.layout.display != "none"

    def update(self, snap: Snapshot, interval: int) -> None:
        """Show the outage (with how long and what next) or clear it."""
        if snap.ok:
            self.since = None
            self.widget.layout.display = "none"
            self.widget.value = ""
            return
        self.since = self.since or time.time()
        retry = f"retrying every {interval} s" if interval else "polling is off: press Refresh"
        self.widget.value = (
            f'<span data-field="banner">⚠ Service unreachable since '
            f"{time.strftime('%H:%M:%S', time.localtime(self.since))}: "
            f"{esc(snap.unreachable)}. Showing the last data; {retry}.</span>"
        )
        self.widget.layout.display = ""


class Toasts:
    """Short messages in the corner (errors carry the server's words); they fade by themselves."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None, ttl: float = 10.0) -> None:
        self.widget = w.VBox()
        self.widget.add_class("ait-toasts")
        self._loop = loop
        self.ttl = ttl
        self.history: list[tuple[str, str]] = []

    def show(self, message: str, kind: str = "error") -> None:
        """Add a toast (an identical one still on screen is not repeated)."""
        self.history.append((kind, message))
        for toast in self.widget.children:
            if getattr(toast, "_message", None) == (kind, message):
                return
        text = w.HTML(f'<span data-kind="{esc(kind)}">{esc(message)}</span>')
        text.layout.flex = "1"
        close = w.Button(description="×", tooltip="dismiss")
        close.layout.width = "28px"
        toast = w.HBox([text, close])
        toast._message = (kind, message)
        toast.add_class("ait-toast")
        toast.add_class(f"ait-toast-{kind}")
        close.on_click(lambda _: self.dismiss(toast))
        self.widget.children = (*self.widget.children[-3:], toast)
        if self._loop is not None and not self._loop.is_closed():
            ttl = self.ttl if kind == "error" else self.ttl / 2  # errors stay longer
            self._loop.call_soon_threadsafe(self._loop.call_later, ttl, self.dismiss, toast)

    def dismiss(self, toast: w.Widget) -> None:
        """Remove one toast."""
        self.widget.children = tuple(t for t in self.widget.children if t is not toast)
