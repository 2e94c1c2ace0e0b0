"""Live PnL card: the day's start equity, current equity, realised, unrealised, drawdown."""

from __future__ import annotations

from typing import Any

from aitrader_core.ui.card import Card, failed
from aitrader_core.ui.format import esc, field, kv, num, pct, signed_class
from aitrader_core.ui.snapshot import Snapshot


def render_pnl(data: dict[str, Any]) -> str:
    """The figures of ``GET /live/pnl``."""
    realized, unrealized, dd = data.get("realized"), data.get("unrealized"), data.get("drawdown")
    return kv(
        [
            ("day (UTC)", field("day", esc(data.get("day")), data.get("day"))),
            (
                "start-of-day equity",
                field(
                    "start_of_day_equity",
                    num(data.get("start_of_day_equity")),
                    data.get("start_of_day_equity"),
                ),
            ),
            (
                "equity",
                field(
                    "equity",
                    f'<span class="ait-big">{num(data.get("equity"))}</span>',
                    data.get("equity"),
                ),
            ),
            (
                "realised",
                field("realized", num(realized, sign=True), realized, signed_class(realized)),
            ),
            (
                "unrealised",
                field(
                    "unrealized", num(unrealized, sign=True), unrealized, signed_class(unrealized)
                ),
            ),
            ("drawdown", field("drawdown", pct(dd), dd, signed_class(dd))),
            (
                "trades today",
                field("trades_today", esc(data.get("trades_today")), data.get("trades_today")),
            ),
        ]
    )


class PnlCard(Card):
    """Today's PnL."""

    title = "Live PnL"
    slug = "pnl"
    help = (
        "Today (UTC day of the trading clock): equity at the start of the day, current equity "
        "(USDT), realised PnL of closed trades, unrealised PnL of open positions at the marks, "
        "drawdown from the day's equity peak, and the number of trades (fills) today."
    )

    def render(self, snap: Snapshot) -> str | None:
        data = snap.get("pnl")
        return failed(snap, "pnl") if data is None else render_pnl(data)
