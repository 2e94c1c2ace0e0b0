"""LiveTradingCoordinator: signals on each closed bar, through sizing and risk, to the venue.

Per closed bar of a series (:meth:`LiveTradingCoordinator.on_bar`):

1. a bar at or before the series' cursor (in the store) is skipped, so a
   re-delivered bar or a restart is harmless;
2. orders in an unknown state are resolved by client id, new fills are
   recorded once each (journal ``fill``, positions in the store), market orders
   and orders that just filled are refreshed from the venue (resting stops and
   limits by :meth:`~LiveTradingCoordinator.sync`);
3. positions get their protective stop and target (deterministic client ids
   derived from the entry); a flat position's leftover protective orders are
   cancelled (one-cancels-other, done here);
4. each strategy on the series reads its target direction at this bar's close,
   with the backtest's semantics (an exit when the target leaves the position's
   direction, an entry on a change of the target, or whenever flat with
   ``reentry="level"``); a market order then fills at the next bar's open;
5. the cursor moves to this bar.

Orders go through :class:`~aitrader_core.live.execution.OrderExecutor`: guard,
``decision``, ``intent``, submit, ``order``. Client ids are
``client_order_id(strategy, symbol, bar ts, role)``, so replaying a bar after a
crash regenerates the same id and the venue returns the order it holds.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Concatenate, ParamSpec, TypeVar

import pandas as pd

from aitrader_core.brokers.base import BrokerGateway
from aitrader_core.clock import Clock
from aitrader_core.compliance.journal import Journal
from aitrader_core.compliance.pretrade import MarketContext, PretradeCheck
from aitrader_core.domain.money import ZERO
from aitrader_core.domain.orders import Fill, Order, OrderStatus, OrderType, Side, client_order_id
from aitrader_core.errors import NotFoundError, ValidationError
from aitrader_core.live import account
from aitrader_core.live.execution import OrderExecutor, Sleeper
from aitrader_core.live.fills import FillRecorder
from aitrader_core.live.guard import ComplianceGuard, recent_volume
from aitrader_core.live.history import History, with_bar
from aitrader_core.live.models import (
    BarOutcome,
    LiveStatus,
    LiveStrategy,
    PnL,
    RetryPolicy,
    StrategyView,
    SyncReport,
)
from aitrader_core.live.operations import MANUAL, manual_order, today_pnl, validated
from aitrader_core.live.rules import allowed, decide, protective_orders, sign, wanted
from aitrader_core.live.sizing import check_supported, entry_quantity, stop_level
from aitrader_core.live.state import DayCounter, LiveFill, LiveOrder, LiveStateRepository, Role
from aitrader_core.risk import Proposal, RiskGuard, RiskLimits, StrategyControl
from aitrader_core.strategies.base import Strategy

log = logging.getLogger(__name__)

_UNSETTLED = (OrderStatus.PENDING, OrderStatus.UNKNOWN)
_RESTING = (OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED)


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _serialised(
    method: Callable[Concatenate[LiveTradingCoordinator, _P], _R],
) -> Callable[Concatenate[LiveTradingCoordinator, _P], _R]:
    """One bar or one operator's action at a time (the feed and the API run on other threads)."""

    @functools.wraps(method)
    def run(self: LiveTradingCoordinator, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        with self._lock:
            return method(self, *args, **kwargs)

    return run


class LiveTradingCoordinator:
    """Trades strategies on closed bars: journal first, then act; state in the store.

    Parameters
    ----------
    gateway
        The venue (the simulator in paper mode).
    journal
        The compliance journal every decision, intent, order and fill goes to.
    state
        Orders, fills, positions, controls, limits, counters and cursors.
    strategies
        Strategy name → what it trades and how (:class:`LiveStrategy`).
    history
        ``history(symbol, timeframe, end_ms, n)``: the last ``n`` bars to ``end_ms``.
    clock
        Time of orders, journal records and day boundaries (UTC).
    retry, sleep
        Back-off of submissions, and how to wait (tests pass a recorder).
    actor
        Who the coordinator's own journal records name.
    """

    def __init__(
        self,
        gateway: BrokerGateway,
        journal: Journal,
        state: LiveStateRepository,
        strategies: Mapping[str, LiveStrategy],
        history: History,
        clock: Clock,
        *,
        retry: RetryPolicy | None = None,
        sleep: Sleeper = time.sleep,
        actor: str = "coordinator",
        pretrade: PretradeCheck | None = None,
    ) -> None:
        for name, spec in strategies.items():
            check_supported(name, spec.config)
        if MANUAL in strategies:
            raise ValidationError(f"{MANUAL!r} is reserved for manual orders", field="strategies")
        self.gateway = gateway
        self.journal = journal
        self.state = state
        self.specs = dict(strategies)
        self.history = history
        self.clock = clock
        self.actor = actor
        self.pretrade = pretrade
        self.executor = OrderExecutor(gateway, journal, state, retry or RetryPolicy(), sleep)
        self._signals: dict[str, Strategy] = {n: s.signals() for n, s in strategies.items()}
        traded = {s.symbol: s.timeframe for s in strategies.values()}
        self.market = account.Market(gateway, history, traded, clock)
        self._lock = threading.RLock()
        # Read caches of store values (cursors, the day's peak, fill watermarks): the store
        # is written first and stays the truth; a new coordinator reads it back.
        self._cursors: dict[str, int] = {}
        self._day: DayCounter | None = None
        self._fills = FillRecorder(gateway, journal, state, self.market.instrument, actor=actor)

    # --- the bar loop ----------------------------------------------------------------------------

    @_serialised
    def on_bar(
        self,
        symbol: str,
        timeframe: str,
        ts_ms: int,
        open: float | Decimal,
        high: float | Decimal,
        low: float | Decimal,
        close: float | Decimal,
        volume: float | Decimal,
    ) -> BarOutcome:
        """Act on a newly closed bar (``ts_ms``: its open time); see the module docstring."""
        series = f"{symbol}|{timeframe}"
        last = self._cursor(series)
        if last is not None and ts_ms <= last:
            return BarOutcome(series, ts_ms, processed=False)
        self.market.update(symbol, close)
        before = self._open(symbol)
        touched = [self._settle(o, ts_ms) for o in before if o.status in _UNSETTLED]
        fills = self._collect_fills(symbol)
        # Market orders should be done after a bar, and orders that just filled may be
        # final: ask the venue. Resting stops and limits are refreshed by sync().
        filled = {f.fill.client_id for f in fills}
        touched += [self.executor.refresh(o, actor=self.actor) for o in before
                    if o.status in _RESTING
                    and (o.order.type is OrderType.MARKET or o.client_id in filled)]  # fmt: skip
        self._open_day()
        bound = [(n, s) for n, s in self.specs.items() if s.series == series]
        values = tuple(float(v) for v in (open, high, low, close, volume))
        for name, spec in bound:
            touched += self._strategy_bar(name, spec, ts_ms, values)
        if any(o.bar_ts == ts_ms and o.order.filled_qty > 0 for o in touched):
            fills += self._collect_fills(symbol)  # filled at once (fill_on="close" venues)
            for name, spec in bound:
                touched += self._protect(name, spec, *self._book(name, spec))
        self.state.set_cursor(series, ts_ms)
        self._cursors[series] = ts_ms
        return BarOutcome(series, ts_ms, True, fills, touched)

    def _cursor(self, series: str) -> int | None:
        # The store is the truth; memory only spares a read per bar once it was read.
        if series not in self._cursors:
            stored = self.state.cursor(series)
            if stored is None:
                return None
            self._cursors[series] = stored
        return self._cursors[series]

    def _settle(self, live: LiveOrder, ts_ms: int) -> LiveOrder:
        # A protective order is never stale while its position lives; an entry or exit
        # is resubmitted only for the bar that decided it (a replay of that very bar).
        resubmit = live.role.protective or (live.role is not Role.MANUAL and live.bar_ts == ts_ms)
        return self.executor.settle(live, resubmit=resubmit, actor=self.actor)

    def _open(self, symbol: str | None = None, strategy: str | None = None) -> list[LiveOrder]:
        return self.state.orders(symbol=symbol, strategy=strategy, open_only=True)

    def _collect_fills(self, symbol: str) -> list[LiveFill]:
        return self._fills.collect(symbol)

    def _open_day(self) -> None:
        """Start the UTC day's counter at the current equity, and follow its peak."""
        balances = self.gateway.balances()
        equity = self.market.equity(balances)
        day = account.utc_day(self.clock.now_ms())
        known = self._day
        if known is None or known.day != day or equity > (known.peak_equity or equity):
            self._day = self.state.open_day(day, equity)

    def _book(self, name: str, spec: LiveStrategy) -> tuple[Decimal, list[LiveOrder]]:
        """The strategy's position and its orders not yet final."""
        return self.state.position(name, spec.symbol).qty, self._open(spec.symbol, name)

    def _strategy_bar(
        self, name: str, spec: LiveStrategy, ts_ms: int, values: tuple[float, ...]
    ) -> list[LiveOrder]:
        held, mine = self._book(name, spec)
        protected = self._protect(name, spec, held, mine)
        if protected:
            held, mine = self._book(name, spec)
        return protected + self._decide(name, spec, ts_ms, values, held, mine)

    # --- protection ------------------------------------------------------------------------------

    def _protect(
        self, name: str, spec: LiveStrategy, held: Decimal, mine: list[LiveOrder]
    ) -> list[LiveOrder]:
        """Cancel a flat position's protective orders; give an open one its stop and target."""
        resting = [o for o in mine if o.role.protective]
        if held == 0:
            return [self.executor.cancel(o, reason="position closed: one-cancels-other",
                                         actor=self.actor) for o in resting]  # fmt: skip
        if wanted(spec.config.exits) <= {o.role for o in resting}:
            return []  # protected already
        entries = [o for o in self.state.orders(strategy=name, symbol=spec.symbol)
                   if o.role is Role.ENTRY and o.order.filled_qty > 0]  # fmt: skip
        if not entries or not entries[0].status.is_final:
            return []  # wait until the entry is done filling
        have = {o.role for o in self.state.orders(parent_id=entries[0].client_id)}
        inst = self.market.instrument(spec.symbol)
        todo = protective_orders(entries[0], held, have, spec.config, inst, self.clock.now_ms())
        return [self._place(live, proposal, actor=self.actor) for live, proposal in todo]

    # --- decisions -------------------------------------------------------------------------------

    def _decide(
        self,
        name: str,
        spec: LiveStrategy,
        ts_ms: int,
        values: tuple[float, ...],
        held: Decimal,
        mine: list[LiveOrder],
    ) -> list[LiveOrder]:
        if any(o.role in (Role.ENTRY, Role.EXIT) for o in mine):
            return []  # an entry or exit is on its way: decide again once it has settled
        frame = with_bar(self.history(spec.symbol, spec.timeframe, ts_ms, spec.lookback),
                         ts_ms, values)  # fmt: skip
        direction = self._signals[name].signals(frame).direction.to_numpy()
        xo = spec.config.execution
        target = allowed(int(direction[-1]), xo)
        previous = allowed(int(direction[-2]), xo) if len(direction) > 1 else 0
        close, enter = decide(target, previous, sign(held), xo)
        out = self._exit(name, spec, ts_ms) if close else []
        if close and enter:  # a reversal: the exit's cancels may have revealed fills
            held = self.state.position(name, spec.symbol).qty
        if enter and sign(held) != enter:
            scale = self._meta_scale(name, spec, frame, ts_ms, enter)
            if scale > 0:
                out.append(self._enter(name, spec, ts_ms, enter, scale))
        return out

    def _meta_scale(
        self, name: str, spec: LiveStrategy, frame: pd.DataFrame, ts_ms: int, side: int
    ) -> Decimal:
        """The meta-model's share of this entry (1 without a model); a skip is journaled."""
        if spec.meta is None:
            return Decimal(1)
        probability = spec.meta.probability(frame, side)
        scale = spec.meta.scale(probability)
        if scale <= 0:
            self.journal.append("decision", {
                "strategy": name, "symbol": spec.symbol, "bar_ts": ts_ms, "allowed": False,
                "rule": "meta_filter", "probability": repr(probability),
                "reason": f"meta-model P(win) {probability:.3f} below {spec.meta.threshold}",
            }, actor=self.actor)  # fmt: skip
        return scale

    def _exit(self, name: str, spec: LiveStrategy, ts_ms: int) -> list[LiveOrder]:
        out = [self.executor.cancel(o, reason="exit signal", actor=self.actor)
               for o in self._open(spec.symbol, name) if o.role.protective]  # fmt: skip
        if any(o.order.filled_qty > 0 for o in out):
            self._collect_fills(spec.symbol)  # a protective order filled before its cancel
        held = self.state.position(name, spec.symbol).qty
        if held == 0:
            return out
        side = Side.SELL if held > 0 else Side.BUY
        cid = client_order_id(name, spec.symbol, ts_ms, Role.EXIT.value)
        order = Order(cid, spec.symbol, side, OrderType.MARKET, abs(held),
                      created_ms=self.clock.now_ms())  # fmt: skip
        proposal = Proposal(name, spec.symbol, side, abs(held), self.market.mark(spec.symbol))
        out.append(self._place(LiveOrder(order, name, Role.EXIT, None, ts_ms), proposal,
                               actor=self.actor))  # fmt: skip
        return out

    def _enter(
        self, name: str, spec: LiveStrategy, ts_ms: int, direction: int, scale: Decimal = Decimal(1)
    ) -> LiveOrder:
        inst, mark = self.market.instrument(spec.symbol), self.market.mark(spec.symbol)
        balances = self.gateway.balances()
        equity = self.market.equity(balances)
        free = balances[inst.quote].free if inst.quote in balances else ZERO
        stop = stop_level(spec.config, inst, mark, direction)
        qty = entry_quantity(spec.config, inst, price=mark, equity=equity, free_quote=free,
                             stop=stop, direction=direction)  # fmt: skip
        if scale != 1:
            qty = inst.snap_qty(qty * scale)
        side = Side.BUY if direction > 0 else Side.SELL
        cid = client_order_id(name, spec.symbol, ts_ms, Role.ENTRY.value)
        order = Order(cid, spec.symbol, side, OrderType.MARKET, qty, created_ms=self.clock.now_ms())
        proposal = Proposal(name, spec.symbol, side, qty, mark, stop)
        return self._place(LiveOrder(order, name, Role.ENTRY, None, ts_ms), proposal,
                           actor=self.actor)  # fmt: skip

    def _place(self, live: LiveOrder, proposal: Proposal, *, actor: str) -> LiveOrder:
        """Guard, journal, submit; an accepted entry or manual order counts as a trade today."""
        known = self.state.get_order(live.client_id) is not None
        risk, _ = account.risk_state(self.gateway, self.state, self.market.instruments(),
                                     self.market.marks, self.clock.now_ms())  # fmt: skip
        guard = self._guard()
        result = self.executor.place(live, proposal, risk, guard, actor=actor)
        counts = live.role in (Role.ENTRY, Role.MANUAL)
        if counts and not known and result.status is not OrderStatus.REJECTED:
            self.state.count_trade(account.utc_day(self.clock.now_ms()), live.strategy)
        return result

    def _guard(self) -> RiskGuard:
        limits, controls = self.state.limits(), self.state.controls()
        if self.pretrade is None:
            return RiskGuard(limits, controls)
        return ComplianceGuard(limits, controls, self.pretrade, self._market_context)

    def _market_context(self, p: Proposal) -> MarketContext:
        """Pre-trade inputs from the store: the last close and the recent base volume."""
        assert self.pretrade is not None  # noqa: S101 - only called with a pretrade check
        spec = next((s for s in self.specs.values() if s.symbol == p.symbol), None)
        volume = None
        if spec is not None:
            n = self.pretrade.config.volume_bars
            bars = self.history(spec.symbol, spec.timeframe, self.clock.now_ms(), n)
            volume = recent_volume([float(v) for v in bars["volume"].tolist()])
        last = self.market.marks.get(p.symbol)
        return MarketContext(last, volume, self.clock.now_ms())

    # --- reads for the /live API -----------------------------------------------------------------

    def status(self) -> LiveStatus:
        """Venue, kill switch, strategies, cursors, open and unknown orders, marks."""
        open_orders = self._open()
        return LiveStatus(
            venue=self.gateway.name,
            testnet=self.gateway.testnet,
            kill_switch=self.state.limits().kill_switch,
            strategies=sorted(self.specs),
            cursors={k: v for k, v in self.state.cursors().items() if not k.startswith("fills|")},
            open_orders=len(open_orders),
            unknown_orders=sum(o.status in _UNSETTLED for o in open_orders),
            marks=dict(self.market.marks),
        )

    def orders(
        self, *, open_only: bool = False, strategy: str | None = None, limit: int | None = 500
    ) -> list[LiveOrder]:
        """Orders, newest first."""
        return self.state.orders(strategy=strategy, open_only=open_only, limit=limit)

    def fills(
        self, *, strategy: str | None = None, since_ms: int | None = None, limit: int | None = None
    ) -> list[LiveFill]:
        """Recorded fills (the trades), oldest first."""
        return self.state.fills(strategy=strategy, since_ms=since_ms, limit=limit)

    def pnl(self) -> PnL:
        """Today's start-of-day and current equity, realised and open PnL, drawdown, trades."""
        counter = self.state.day(account.utc_day(self.clock.now_ms()))
        equity = self.market.equity(self.gateway.balances())
        return today_pnl(counter, equity, self.state.positions(), self.market.marks)

    def strategies(self) -> list[StrategyView]:
        """Every strategy with its control, position and last processed bar."""
        cursors = self.state.cursors()
        return [
            StrategyView(name, spec.symbol, spec.timeframe, self.state.control(name),
                         self.state.position(name, spec.symbol).qty, cursors.get(spec.series))
            for name, spec in sorted(self.specs.items())
        ]  # fmt: skip

    def limits(self) -> RiskLimits:
        """The account's risk limits (kill switch included)."""
        return self.state.limits()

    # --- operators' actions ----------------------------------------------------------------------

    @_serialised
    def set_strategy_control(self, name: str, *, actor: str, **changes: object) -> StrategyControl:
        """Change a strategy's control (journaled as ``config``, persisted for the next bar)."""
        if name not in self.specs and name != MANUAL:
            raise NotFoundError(f"no strategy {name!r}")
        before = self.state.control(name)
        after = validated(StrategyControl, {**before.model_dump(), **changes})
        self.journal.append("config", {"strategy": name, "before": before.model_dump(),
                                       "after": after.model_dump()}, actor=actor)  # fmt: skip
        self.state.set_control(name, after, actor=actor)
        return after

    @_serialised
    def set_limits(self, *, actor: str, **changes: object) -> RiskLimits:
        """Change the account's risk limits (journaled as ``config``)."""
        before = self.state.limits()
        after = validated(RiskLimits, {**before.model_dump(), **changes})
        self.journal.append("config", {"limits": {"before": before.model_dump(),
                                                  "after": after.model_dump()}},
                            actor=actor)  # fmt: skip
        self.state.set_limits(after, actor=actor)
        return after

    @_serialised
    def kill_switch(self, on: bool, *, actor: str) -> RiskLimits:
        """Stop (or allow again) every order that adds risk; exits still pass."""
        self.journal.append("operator", {"action": "kill_switch", "on": on}, actor=actor)
        after = self.state.limits().model_copy(update={"kill_switch": on})
        self.state.set_limits(after, actor=actor)
        return after

    @_serialised
    def manual_trade(
        self,
        symbol: str,
        side: Side | str,
        qty: Decimal | str,
        type: OrderType | str = OrderType.MARKET,
        price: Decimal | str | None = None,
        stop: Decimal | str | None = None,
        *,
        actor: str,
        client_id: str | None = None,
    ) -> LiveOrder:
        """An operator's order, through the same guard and journal as the strategies'.

        See :func:`~aitrader_core.live.operations.manual_order` for ``price``,
        ``stop`` (the guard requires a protective level for an order adding
        risk) and ``client_id`` (the same id never places a second order).
        """
        self.market.instrument(symbol)
        live, proposal = manual_order(symbol, side, qty, type, price, stop, actor=actor,
                                      now_ms=self.clock.now_ms(), client_id=client_id,
                                      mark=lambda: self.market.mark(symbol))  # fmt: skip
        return self._place(live, proposal, actor=actor)

    @_serialised
    def cancel(self, client_id: str, *, actor: str) -> LiveOrder:
        """Cancel one of our orders at the venue (journaled ``operator`` then ``cancel``)."""
        live = self.state.get_order(client_id)
        if live is None:
            raise NotFoundError(f"no order {client_id}")
        self.journal.append("operator", {"action": "cancel", "client_id": client_id}, actor=actor)
        result = self.executor.cancel(live, reason=f"operator {actor}", actor=actor)
        self._collect_fills(live.order.symbol)
        return result

    @_serialised
    def protect_all(self) -> list[LiveOrder]:
        """Give every open position its missing stop/target now (auto-heal, before resuming)."""
        placed: list[LiveOrder] = []
        for name, spec in sorted(self.specs.items()):
            held, mine = self._book(name, spec)
            placed += self._protect(name, spec, held, mine)
        return placed

    @_serialised
    def flatten(self, name: str, *, actor: str) -> list[LiveOrder]:
        """Cancel ``name``'s protective orders and close its position at market."""
        spec = self.specs.get(name)
        if spec is None:
            raise NotFoundError(f"no strategy {name!r}")
        self.journal.append("operator", {"action": "flatten", "strategy": name}, actor=actor)
        return self._exit(name, spec, self.clock.now_ms())

    @_serialised
    def record_fill(self, fill: Fill, *, strategy: str | None = None) -> LiveFill | None:
        """Book a venue fill reconciliation found missing (journaled first, stored once)."""
        return self._fills.record(fill, strategy=strategy)

    @_serialised
    def sync(self) -> SyncReport:
        """Resolve unknown orders, refresh open ones from the venue, record new fills."""
        touched: list[LiveOrder] = []
        for live in self._open():
            if live.status in _UNSETTLED:
                # An entry or exit whose bar never finished (a crash mid-bar) is the bar's
                # own decision: the replayed bar would resubmit it, so sync does the same.
                spec = self.specs.get(live.strategy)
                cursor = self._cursor(spec.series) if spec is not None else None
                unfinished = (
                    live.role in (Role.ENTRY, Role.EXIT)
                    and live.bar_ts is not None
                    and (cursor is None or live.bar_ts > cursor)
                )
                resubmit = live.role.protective or unfinished
                touched.append(self.executor.settle(live, resubmit=resubmit, actor=self.actor))
            else:
                touched.append(self.executor.refresh(live, actor=self.actor))
        symbols = {o.order.symbol for o in touched} | {s.symbol for s in self.specs.values()}
        fills = [f for symbol in sorted(symbols) for f in self._collect_fills(symbol)]
        return SyncReport(touched, fills)
