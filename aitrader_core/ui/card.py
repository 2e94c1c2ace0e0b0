"""The shape every card shares: a titled box with a help tooltip and an HTML body.

A card reads a :class:`Snapshot` in ``update`` and renders its body with a
pure function of the API's JSON (tested without a browser). Cards never call
the service themselves; the few that act (strategies, reports, trades) get
an :class:`Actions` at construction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ipywidgets as w

from aitrader_core.client import ServiceClient
from aitrader_core.ui.format import esc
from aitrader_core.ui.snapshot import Snapshot

Notify = Callable[[str, str], None]
"""``notify(message, kind)``: a toast (kinds: error, ok, info)."""


@dataclass(frozen=True)
class Actions:
    """What an acting card may do: call the service, tell the operator, run work off-thread."""

    client: ServiceClient
    notify: Notify
    background: Callable[[Callable[[], Any], Callable[[Any, BaseException | None], None]], None]
    refresh: Callable[[], None]


def header_html(title: str, help_text: str) -> str:
    """The card's title with a "?" whose tooltip explains the card's fields."""
    return (
        f'<div class="ait-card-title">{esc(title)}'
        f'<span class="ait-help" title="{esc(help_text)}" data-help="1">?</span></div>'
    )


class Card:
    """Base card: ``render(snapshot)`` returns the body's HTML, or None to keep the old one."""

    title = ""
    slug = ""
    help = ""
    wide = False
    span = 1

    def __init__(self) -> None:
        self.head = w.HTML(header_html(self.title, self.help))
        self.body = w.HTML('<span class="ait-muted">loading…</span>')
        self.widget = w.VBox([self.head, *self.extra_top(), self.body, *self.extra_bottom()])
        self.widget.add_class("ait-card")
        self.widget.add_class(f"ait-card-{self.slug}")
        if self.wide:
            self.widget.add_class("ait-wide")
        elif self.span > 1:
            self.widget.add_class(f"ait-span{self.span}")

    def extra_top(self) -> list[w.Widget]:
        """Widgets between the title and the body (controls)."""
        return []

    def extra_bottom(self) -> list[w.Widget]:
        """Widgets below the body."""
        return []

    def render(self, snap: Snapshot) -> str | None:
        """The body for this snapshot (None: nothing new to show)."""
        raise NotImplementedError

    def update(self, snap: Snapshot) -> None:
        """Show the snapshot; a service that did not answer greys the card (stale data)."""
        if not snap.ok:
            self.widget.add_class("ait-stale")
            return
        self.widget.remove_class("ait-stale")
        body = self.render(snap)
        if body is not None and body != self.body.value:
            self.body.value = body


def failed(snap: Snapshot, key: str) -> str | None:
    """An error line when the endpoint ``key`` failed in this snapshot."""
    err = snap.errors.get(key)
    if err is None:
        return None
    return f'<div class="ait-note ait-note-bad" data-error="{esc(key)}">{esc(err)}</div>'
