"""Orders card: the latest orders with a status badge and fill progress."""

from __future__ import annotations

from typing import Any

from aitrader_core.ui.card import Card, failed
from aitrader_core.ui.format import badge, bar, dec, esc, field, first, num, qty, side_class, table
from aitrader_core.ui.snapshot import Snapshot

SHOWN = 20

STATUS_KIND = {
    "filled": "ok",
    "partially_filled": "info",
    "open": "info",
    "new": "info",
    "pending": "info",
    "canceled": "muted",
    "cancelled": "muted",
    "expired": "muted",
    "rejected": "bad",
    "unknown": "warn",
}


def fill_fraction(order: dict[str, Any]) -> float:
    """Filled quantity over ordered quantity, in [0, 1].

    Examples
    --------
    >>> fill_fraction({"qty": "2", "filled_qty": "0.5"}), fill_fraction({"qty": "0"})
    (0.25, 0.0)
    """
    total, done = dec(order.get("qty")), dec(order.get("filled_qty"))
    if not total or done is None:
        return 0.0
    return min(max(float(done / total), 0.0), 1.0)


def status_cell(order: dict[str, Any]) -> str:
    """Status badge (with the reason as tooltip) and a fill-progress bar."""
    status = str(order.get("status") or "unknown")
    frac = fill_fraction(order)
    label = f"{qty(order.get('filled_qty'))} / {qty(order.get('qty'))} filled"
    reason = order.get("reason") or ""
    return (
        field("status", badge(status, STATUS_KIND.get(status, "info"), reason), status)
        + field("fill", bar(frac, "ok", label), f"{frac:.4f}")
        + f'<span class="ait-muted">{frac:.0%}</span>'
    )


def render_orders(rows: list[dict[str, Any]], shown: int = SHOWN) -> str:
    """The table from ``GET /live/orders`` (newest first)."""
    body, keys = [], []
    for o in rows[:shown]:
        side = o.get("side")
        price = first(o, "price", "stop_price", "avg_price")
        body.append(
            [
                field("time", esc(o.get("time")), o.get("created_ms")),
                field("symbol", esc(o.get("symbol")), o.get("symbol")),
                field("side", esc(side), side, side_class(side)),
                field("type", esc(o.get("type")), o.get("type")),
                field("qty", qty(o.get("qty")), o.get("qty")),
                field("price", num(price, 2), price),
                status_cell(o),
            ]
        )
        keys.append(str(o.get("client_id")))
    return table(
        ["time (UTC)", "symbol", "side", "type", "quantity", "price", "status / fill"],
        body,
        name="orders",
        empty="no order yet",
        row_keys=keys,
    )


class OrdersCard(Card):
    """The latest orders."""

    title = "Orders"
    slug = "orders"
    wide = True
    help = (
        f"The latest {SHOWN} orders, newest first: creation time (UTC, trading clock), symbol, "
        "side, type (market, limit, stop), quantity, price (limit price, else stop trigger, "
        "else average fill), status badge (hover: the venue's reason) and fill progress "
        "(filled / ordered quantity)."
    )

    def render(self, snap: Snapshot) -> str | None:
        data = snap.get("orders")
        return failed(snap, "orders") if data is None else render_orders(data)
