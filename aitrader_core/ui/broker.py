"""Broker status card: connection, counts, last error; red when the broker is unreachable."""

from __future__ import annotations

from typing import Any

from aitrader_core.ui.balance import venue_badges
from aitrader_core.ui.card import Card, failed
from aitrader_core.ui.format import badge, esc, field, kv, when
from aitrader_core.ui.snapshot import Snapshot


def render_broker(data: dict[str, Any], unreachable: str | None = None) -> str:
    """The figures of ``GET /live/broker``; ``unreachable``: the service did not answer."""
    if unreachable is not None:
        state = badge("SERVICE UNREACHABLE", "bad")
    elif data.get("connected"):
        state = badge("connected", "ok")
    else:
        state = badge("DISCONNECTED", "bad", "the venue does not answer its ping")
    running = badge("running", "ok") if data.get("running") else badge("stopped", "muted")
    feed = "done" if data.get("feed_done") else "live"
    error = data.get("last_error")
    error_html = (
        '<span class="ait-muted">none</span>'
        if not error
        else f'<span class="ait-neg">{esc(error)}</span>'
        f' <span class="ait-muted">at {esc(when(data.get("last_error_ms")))} UTC</span>'
    )
    items = [
        ("connection", field("connected", state, data.get("connected"))),
        ("venue", venue_badges(data.get("venue"), data.get("testnet"))),
        ("mode", field("mode", esc(data.get("mode")), data.get("mode"))),
        ("trading loop", field("running", running, data.get("running"))),
        (
            "active orders",
            field("open_orders", esc(data.get("open_orders")), data.get("open_orders")),
        ),
        (
            "open positions",
            field("open_positions", esc(data.get("open_positions")), data.get("open_positions")),
        ),
        ("last error", field("last_error", error_html, error or "")),
        ("errors", field("errors", esc(data.get("errors")), data.get("errors"))),
        (
            "bars processed",
            field("bars_processed", esc(data.get("bars_processed")), data.get("bars_processed")),
        ),
        (
            "clock (UTC)",
            field("clock_ms", esc(when(data.get("clock_ms"))), data.get("clock_ms"))
            + f' <span class="ait-muted">feed {feed}</span>',
        ),
    ]
    if unreachable is not None:
        items.insert(1, ("service", f'<span class="ait-neg">{esc(unreachable)}</span>'))
    return kv(items)


class BrokerCard(Card):
    """Broker connection and health; the card turns red when the broker is unreachable."""

    title = "Broker status"
    slug = "broker"
    help = (
        "Connection to the venue (the broker's ping), venue and network, paper or live mode, "
        "whether the trading loop runs, active (open) orders and open positions, the last "
        "broker error with its time (UTC) and the error count, bars processed and the "
        "trading clock. Red border: the broker or the service does not answer."
    )

    def __init__(self) -> None:
        super().__init__()
        self._last: dict[str, Any] = {}

    def update(self, snap: Snapshot) -> None:
        if not snap.ok:  # keep the last figures, say the service is gone, turn red
            self.widget.add_class("ait-alarm")
            self.body.value = render_broker(self._last, str(snap.unreachable))
            return
        super().update(snap)
        data = snap.get("broker")
        alarm = data is None or not data.get("connected")
        if alarm:
            self.widget.add_class("ait-alarm")
        else:
            self.widget.remove_class("ait-alarm")

    def render(self, snap: Snapshot) -> str | None:
        data = snap.get("broker")
        if data is None:
            return failed(snap, "broker")
        self._last = data
        return render_broker(data)
