"""Recording the venue's fills of our orders: once each, journal first.

:class:`FillRecorder` polls ``fills_since`` per symbol from a watermark kept in
the store (``fills|<symbol>``), and for every trade id it has not recorded yet
appends a ``fill`` journal record, then stores the fill with the order and the
strategy's position it changes, in one transaction. A fill of an order that
is not ours is left to reconciliation.

A crash between the journal record and the store write journals that fill a
second time on restart (the trade id in both records shows it); it can never
be stored, nor counted in a position, twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

from aitrader_core.brokers.base import BrokerGateway
from aitrader_core.compliance.journal import Journal
from aitrader_core.domain.money import ZERO, Instrument
from aitrader_core.domain.orders import Fill, OrderStatus, Side
from aitrader_core.live.crash import crashpoint
from aitrader_core.live.state import LiveFill, LiveOrder, LiveStateRepository, Role

log = logging.getLogger(__name__)


def fill_payload(fill: Fill) -> dict[str, object]:
    """A fill as a journal payload."""
    return {"trade_id": fill.trade_id, "client_id": fill.client_id, "symbol": fill.symbol,
            "side": fill.side, "qty": fill.qty, "price": fill.price, "fee": fill.fee,
            "fee_asset": fill.fee_asset, "ts_ms": fill.ts_ms}  # fmt: skip


class FillRecorder:
    """Brings the venue's executions of our orders into the journal and the store."""

    def __init__(
        self,
        gateway: BrokerGateway,
        journal: Journal,
        state: LiveStateRepository,
        instrument: Callable[[str], Instrument],
        *,
        actor: str,
    ) -> None:
        self.gateway = gateway
        self.journal = journal
        self.state = state
        self.instrument = instrument
        self.actor = actor
        # The store holds the watermarks; memory spares a read per poll once read.
        self._watermarks: dict[str, int] = {}
        self._seen: dict[str, set[str]] = {}  # trade ids at the watermark, already handled

    def collect(self, symbol: str) -> list[LiveFill]:
        """Record the new fills of ``symbol``; return them, oldest first."""
        watermark = f"fills|{symbol}"
        if watermark not in self._watermarks:
            self._watermarks[watermark] = self.state.cursor(watermark) or 0
        since = self._watermarks[watermark]
        recorded: list[LiveFill] = []
        newest = since
        venue = self.gateway.fills_since(since, symbol)  # inclusive: the watermark's own again
        seen = self._seen.setdefault(symbol, set())
        fresh = [f for f in venue if f.trade_id not in seen]
        known = {f.fill.trade_id for f in self.state.fills(since_ms=since)} if fresh else set()
        for fill in fresh:
            newest = max(newest, fill.ts_ms)
            if fill.trade_id in known:
                continue
            entry = self.record(fill)
            if entry is not None:
                recorded.append(entry)
        if newest > since:
            self.state.set_cursor(watermark, newest)
            self._watermarks[watermark] = newest
        self._seen[symbol] = {f.trade_id for f in venue if f.ts_ms == newest}
        return recorded

    def record(self, fill: Fill, *, strategy: str | None = None) -> LiveFill | None:
        """Journal ``fill`` then store it with its order and position; ``None`` if not ours.

        ``strategy`` books a fill of an order the store does not hold (reconciliation
        adopting an external order's fill); otherwise the fill's order decides.
        """
        live = self.state.get_order(fill.client_id)
        if live is None and strategy is None:
            log.info("fill %s of %s is not ours: left to reconciliation", fill.trade_id,
                     fill.client_id)  # fmt: skip
            return None
        owner = live.strategy if live is not None else str(strategy)
        role = live.role if live is not None else Role.MANUAL
        entry = LiveFill(fill, owner, role)
        self.journal.append("fill", {**fill_payload(fill), "strategy": owner, "role": role},
                            actor=self.actor)  # fmt: skip
        crashpoint("after_fill_journal")
        inst = self.instrument(fill.symbol)
        qty, fee = fill.qty, fill.fee if fill.fee_asset == inst.quote else ZERO
        if fill.fee_asset == inst.base and fill.side is Side.BUY:
            qty -= fill.fee  # a fee in base leaves less base to sell later
        position = self.state.position(owner, fill.symbol).apply(fill.side, qty, fill.price, fee)
        order = self._advance(live, fill) if live is not None else None
        return entry if self.state.apply_fill(entry, order, position) else None

    def _advance(self, live: LiveOrder, fill: Fill) -> LiveOrder:
        """The order after ``fill``, unless the venue's view already counts it."""
        done = [f.fill for f in self.state.fills(client_id=live.client_id)] + [fill]
        total = sum((f.qty for f in done), ZERO)
        if total <= live.order.filled_qty:
            return live
        avg = sum((f.qty * f.price for f in done), ZERO) / total
        status = live.status
        if not status.is_final:
            status = OrderStatus.FILLED if total >= live.order.qty else OrderStatus.PARTIALLY_FILLED
        return replace(live, order=replace(live.order, filled_qty=total, avg_price=avg,
                                           status=status))  # fmt: skip
