"""Live trades card: the latest fills with side, their order's status and ids; a refresh."""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from aitrader_core.ui.card import Actions, Card, failed
from aitrader_core.ui.format import badge, esc, field, num, qty, side_class, table
from aitrader_core.ui.orders import STATUS_KIND
from aitrader_core.ui.snapshot import ORDERS_LIMIT, TRADES_LIMIT, Snapshot

SHOWN = 15


def render_trades(fills: list[dict[str, Any]], orders: list[dict[str, Any]] | None) -> str:
    """The table from ``GET /live/trades``; each fill's status is its order's (``/live/orders``)."""
    by_id = {o.get("client_id"): o for o in orders or []}
    body, keys = [], []
    for f in fills[:SHOWN]:
        order = by_id.get(f.get("client_id")) or {}
        status = order.get("status")
        side = f.get("side")
        ids = (
            field("trade_id", esc(f.get("trade_id")), f.get("trade_id"))
            + '<br><span class="ait-muted">'
            + field("client_id", esc(f.get("client_id")), f.get("client_id"))
            + (f" · {esc(order.get('venue_id'))}" if order.get("venue_id") else "")
            + "</span>"
        )
        body.append(
            [
                field("time", esc(f.get("time")), f.get("ts_ms")),
                field("symbol", esc(f.get("symbol")), f.get("symbol")),
                field("side", esc(side), side, side_class(side)),
                field("qty", qty(f.get("qty")), f.get("qty")),
                field("price", num(f.get("price"), 2), f.get("price")),
                field("fee", f"{qty(f.get('fee'))} {esc(f.get('fee_asset') or '')}", f.get("fee")),
                field("role", esc(f"{f.get('strategy')} / {f.get('role')}"), f.get("role")),
                field(
                    "status",
                    badge(str(status), STATUS_KIND.get(str(status), "info"))
                    if status
                    else '<span class="ait-muted">—</span>',
                    status or "",
                ),
                ids,
            ]
        )
        keys.append(str(f.get("trade_id")))
    return table(
        [
            "time (UTC)",
            "symbol",
            "side",
            "qty",
            "price",
            "fee",
            "strategy / role",
            "status",
            "trade id / order ids",
        ],
        body,
        name="trades",
        empty="no fill yet",
        row_keys=keys,
    )


class TradesCard(Card):
    """The latest executions, with a button to re-read them now."""

    title = "Live trades"
    slug = "trades"
    wide = True
    help = (
        f"The latest {SHOWN} fills, newest first: time (UTC, trading clock), symbol, side (buy "
        "green, sell red), quantity, price, fee, strategy and order role (entry, exit, stop, "
        "target), the status of the fill's order, and the ids: trade id, client order id, "
        "venue order id. 'Refresh trades' re-reads them at once."
    )

    def __init__(self, actions: Actions) -> None:
        self.actions = actions
        self.button = w.Button(description="Refresh trades", icon="refresh")
        self.button.add_class("ait-trades-refresh")
        self.button.on_click(lambda _: self.reload())
        self.reloads = 0
        super().__init__()

    def extra_top(self) -> list[w.Widget]:
        return [self.button]

    def render(self, snap: Snapshot) -> str | None:
        fills = snap.get("trades")
        if fills is None:
            return failed(snap, "trades")
        return render_trades(fills, snap.get("orders"))

    def reload(self) -> None:
        """Read trades (and their orders' status) now."""
        client = self.actions.client

        def work() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
            return client.trades(limit=TRADES_LIMIT), client.orders(limit=ORDERS_LIMIT)

        def done(result: Any, error: BaseException | None) -> None:
            if error is not None:
                self.actions.notify(f"Refreshing trades failed: {error}", "error")
                return
            self.reloads += 1
            self.body.value = render_trades(*result)

        self.actions.background(work, done)
