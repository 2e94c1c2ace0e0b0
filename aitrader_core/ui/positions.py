"""Positions card: open positions per strategy with coloured side and unrealised PnL."""

from __future__ import annotations

from typing import Any

from aitrader_core.ui.card import Card, failed
from aitrader_core.ui.format import esc, field, num, qty, side_class, signed_class, table
from aitrader_core.ui.snapshot import Snapshot


def render_positions(rows: list[dict[str, Any]]) -> str:
    """The table from ``GET /live/positions``."""
    body, keys = [], []
    for p in rows:
        side = p.get("side")
        upnl = p.get("unrealized")
        body.append(
            [
                field("symbol", f"<b>{esc(p.get('symbol'))}</b>", p.get("symbol")),
                field("strategy", esc(p.get("strategy")), p.get("strategy")),
                field("side", esc(side), side, side_class(side)),
                field("qty", qty(p.get("qty")), p.get("qty")),
                field("entry", num(p.get("entry"), 2), p.get("entry")),
                field("mark", num(p.get("mark"), 2), p.get("mark")),
                field("unrealized", num(upnl, 2, sign=True), upnl, signed_class(upnl)),
            ]
        )
        keys.append(f"{p.get('strategy')}|{p.get('symbol')}")
    return table(
        ["symbol", "strategy", "side", "quantity", "entry", "mark", "unrealised PnL"],
        body,
        name="positions",
        empty="no open position",
        row_keys=keys,
    )


class PositionsCard(Card):
    """Open positions."""

    title = "Positions"
    slug = "positions"
    span = 2
    help = (
        "Open positions per strategy: symbol, side (long green, short red), quantity, average "
        "entry price, mark (last price seen by the trading loop) and unrealised PnL in USDT "
        "at the mark (green gain, red loss)."
    )

    def render(self, snap: Snapshot) -> str | None:
        data = snap.get("positions")
        return failed(snap, "positions") if data is None else render_positions(data)
