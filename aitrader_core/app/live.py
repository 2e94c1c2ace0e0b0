"""Live and paper trading behind ``App.live``: builds the venue, coordinator and feed.

The desk runs closed bars through the coordinator on one worker thread (the
service's event loop stays free); every call into the coordinator, from that
thread or from an operator's request, holds one lock, so a manual order never
interleaves with a bar's decisions. In paper mode (the default) the simulator
and the coordinator share a replay clock that the replay feed sets to each
bar's close; a restart resumes after the last bar the coordinator processed.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import pandas as pd

from aitrader_core.brokers import make_gateway
from aitrader_core.brokers.base import BrokerError, BrokerGateway
from aitrader_core.brokers.simulator import SimulatedBroker
from aitrader_core.clock import Clock, ReplayClock, SystemClock
from aitrader_core.compliance import Journal
from aitrader_core.compliance.pretrade import PretradeCheck
from aitrader_core.domain.market import TIMEFRAMES, to_epoch_ms
from aitrader_core.domain.money import ZERO
from aitrader_core.errors import ConfigError, NotFoundError
from aitrader_core.live.autoheal import Supervisor
from aitrader_core.live.config import LiveConfig, load_live_config
from aitrader_core.live.coordinator import LiveTradingCoordinator
from aitrader_core.live.paper import PaperTrader
from aitrader_core.live.recovery import Reconciler, ReconcileReport, RecoveryReport, recover
from aitrader_core.live.state import LiveStateRepository
from aitrader_core.observability import REGISTRY
from aitrader_core.settings import Settings
from aitrader_core.store import CandleStore, SeriesKey

if TYPE_CHECKING:  # the feed module imports ccxt: loaded only when a feed is built
    from aitrader_core.ingest.feed import BarClosed

log = logging.getLogger(__name__)
_T = TypeVar("_T")
STABLECOINS = frozenset({"USDT", "USDC", "FDUSD", "BUSD", "DAI", "TUSD", "USDP"})
EXCHANGE = "binance"
_CHUNK = 2_000  # bars read ahead by the history cache
_NO_TOKEN = "live trading on a mainnet needs AITRADER_API_TOKEN; refusing to start"  # noqa: S105


def _gauge(name: str, doc: str) -> Any:
    from prometheus_client import Gauge

    return Gauge(name, doc, registry=REGISTRY)


BROKER_UP = _gauge("aitrader_broker_up", "1 when the venue answered its last ping, else 0")
BROKER_UP.set(float("nan"))  # unknown until the first ping: no false "broker down" page
DAILY_LOSS_BREACHED = _gauge(
    "aitrader_daily_loss_breached", "1 when today's loss reached the max_daily_loss limit"
)


@dataclass
class BrokerHealth:
    """What operators see of the venue: last error, counts, last ping."""

    connected: bool | None = None
    last_ping_ms: int | None = None
    last_error: str | None = None
    last_error_ms: int | None = None
    errors: int = 0
    bars: int = 0
    last_bar_ms: int | None = None
    feed_done: bool = False
    notes: list[str] = field(default_factory=list)


class LiveDesk:
    """The coordinator, its venue and its bar feed, built from settings on first use."""

    def __init__(self, settings: Settings, store: CandleStore) -> None:
        self.settings = settings
        self.store = store
        self._lock = threading.RLock()
        self._built = False
        self._started = False
        self._bar_loop: _BarLoop | None = None
        self.health = BrokerHealth()
        self.coordinator: LiveTradingCoordinator | None = None
        self.gateway: BrokerGateway | None = None
        self.clock: Clock = SystemClock()
        self._trader: PaperTrader | None = None
        self._feeds: list[Any] = []
        self._config: LiveConfig | None = None
        self.reconciler: Reconciler | None = None
        self.supervisor: Supervisor | None = None
        self.recovery: RecoveryReport | None = None
        self.last_reconcile: ReconcileReport | None = None
        self._next_reconcile = 0.0
        self._hist: dict[tuple[str, str], tuple[int, int, pd.DataFrame, Any]] = {}
        self.routers: dict[str, Any] = {}  # strategy -> ModelRouter watching its meta-model
        self._trades: dict[str, tuple[bool, Decimal]] = {}

    # -- building ------------------------------------------------------------
    def config(self) -> LiveConfig:
        """The strategies and feed (``AITRADER_LIVE_CONFIG``)."""
        if self._config is None:
            self._config = load_live_config(self.settings.live_config)
        return self._config

    def build(self) -> LiveTradingCoordinator:
        """Build venue, coordinator and feeds once; later calls return the same coordinator."""
        with self._lock:
            if self.coordinator is not None:
                return self.coordinator
            cfg = self.config()
            strategies = cfg.live_strategies()
            symbols = sorted({s.symbol for s in strategies.values()})
            replay = cfg.feed.mode == "replay"
            probe = LiveStateRepository(self.store.engine, SystemClock())
            self.clock = ReplayClock(self._replay_start(cfg, probe)) if replay else SystemClock()
            state = LiveStateRepository(self.store.engine, self.clock)
            if self.settings.broker == "sim":
                gateway: BrokerGateway = SimulatedBroker(
                    self.store.engine,
                    clock=self.clock,
                    start_balances={"USDT": self.settings.sim_start_balance},
                )
            else:
                if not self.settings.testnet and self.settings.api_token is None:
                    raise ConfigError(_NO_TOKEN)
                if replay:
                    raise ConfigError(
                        f"live config {self.settings.live_config}: feed.mode 'replay' trades "
                        f"past bars; with AITRADER_BROKER={self.settings.broker} use 'exchange'"
                    )
                gateway = make_gateway(self.settings, symbols=symbols)
            if not gateway.testnet and self.settings.api_token is None:
                raise ConfigError(_NO_TOKEN)
            journal = Journal(self.store.engine, self.clock)
            coordinator = LiveTradingCoordinator(
                gateway,
                journal,
                state,
                strategies,
                self._history,
                self.clock,
                pretrade=PretradeCheck(cfg.pretrade),
            )
            if isinstance(gateway, SimulatedBroker):
                self._trader = PaperTrader(gateway, coordinator, self.clock)
            self._feeds = self._make_feeds(cfg, state)
            self.gateway, self.coordinator = gateway, coordinator
            self.reconciler = Reconciler(coordinator, cfg.reconcile)
            self._watch_models(coordinator, journal)
            self.supervisor = Supervisor(snapshots=state, journal=journal)
            return coordinator

    def _watch_models(self, coordinator: LiveTradingCoordinator, journal: Journal) -> None:
        """A drift router per meta-gated strategy; its demotion disables the strategy."""
        gated = {n: s for n, s in coordinator.specs.items() if s.meta is not None}
        if not gated:
            return
        from aitrader_core.ml.router import ModelRouter  # river: loaded only when used

        for name, spec in gated.items():
            assert spec.meta is not None  # noqa: S101 - filtered above
            router = ModelRouter(journal, on_demote=functools.partial(self._demote, name))
            router.register(spec.meta.model.card(f"meta:{name}"), spec.meta.model)
            self.routers[name] = router

    def _demote(self, strategy: str, kind: str, reason: str) -> None:
        """Drift with no model left: stop the strategy's entries (exits still run)."""
        log.warning("strategy %s demoted on drift (%s): %s", strategy, kind, reason)
        coordinator = self.build()
        coordinator.set_strategy_control(strategy, actor="ml-router", enabled=False)

    def observe_outcomes(self) -> None:
        """Feed each gated strategy's closed trades to its drift router (0 won, 1 lost)."""
        if not self.routers or self.coordinator is None:
            return
        c = self.coordinator
        for name, router in self.routers.items():
            pos = c.state.position(name, c.specs[name].symbol)
            was_open, realized_at_open = self._trades.get(name, (False, pos.realized_pnl))
            if not was_open and pos.qty != 0:
                self._trades[name] = (True, pos.realized_pnl)
            elif was_open and pos.qty == 0:
                self._trades[name] = (False, pos.realized_pnl)
                router.observe(f"meta:{name}", 0.0 if pos.realized_pnl > realized_at_open else 1.0)
            else:
                self._trades.setdefault(name, (was_open, realized_at_open))

    def _replay_start(self, cfg: LiveConfig, state: LiveStateRepository) -> int:
        cursors = [state.cursor(f"{sym}|{tf}") for sym, tf in cfg.series()]
        if cursors and all(c is not None for c in cursors):
            return min(c for c in cursors if c is not None)
        start = cfg.feed.start
        return int(to_epoch_ms([start.isoformat()])[0]) if start else 0

    def _make_feeds(self, cfg: LiveConfig, state: LiveStateRepository) -> list[Any]:
        by_tf: dict[str, list[str]] = {}
        for symbol, timeframe in cfg.series():
            by_tf.setdefault(timeframe, []).append(symbol)
        feeds: list[Any] = []
        for timeframe, symbols in sorted(by_tf.items()):
            if cfg.feed.mode == "replay":
                from aitrader_core.ingest.replay import ReplayFeed

                done = [state.cursor(f"{s}|{timeframe}") for s in symbols]
                start = (
                    min(c for c in done if c is not None) + 1
                    if done and all(c is not None for c in done)
                    else self._replay_start(cfg, state)
                )
                clock = self.clock if isinstance(self.clock, ReplayClock) else None
                feeds.append(
                    ReplayFeed(
                        self.store, EXCHANGE, symbols, timeframe, start_ms=start, clock=clock
                    )
                )
            else:
                from aitrader_core.ingest.exchange import make_exchange
                from aitrader_core.ingest.feed import ExchangeFeed

                feeds.append(
                    ExchangeFeed(
                        make_exchange(EXCHANGE),
                        self.store,
                        symbols,
                        timeframe,
                        clock=self.clock,
                        poll_interval_s=cfg.feed.poll_interval_s,
                    )
                )
        return feeds

    def _history(self, symbol: str, timeframe: str, end_ms: int, n: int) -> pd.DataFrame:
        """The last ``n`` bars opening at or before ``end_ms`` (cached reads of the store).

        A replay asks for a window one bar later each time: the store is read a
        chunk ahead and sliced, never past ``end_ms`` (no look-ahead). A cache
        that does not reach ``end_ms`` (a bar stored since) is read again.
        """
        step = TIMEFRAMES.get(timeframe) or 60_000
        start = end_ms - n * step
        cached = self._hist.get((symbol, timeframe))
        if cached is None or cached[0] > start or cached[1] < end_ms:
            key = SeriesKey.of(EXCHANGE, symbol, timeframe)
            frame = self.store.read(key, start, end_ms + 1 + _CHUNK * step)
            ts = frame["ts"].to_numpy()
            frame.index = pd.to_datetime(frame["ts"], unit="ms", utc=True)
            frame = frame[["open", "high", "low", "close", "volume"]]
            last = int(ts[-1]) if len(ts) else start - 1
            cached = (start, last, frame, ts)
            self._hist[(symbol, timeframe)] = cached
        _, _, frame, ts = cached
        lo, hi = np.searchsorted(ts, [start, end_ms], side="right")
        return frame.iloc[lo:hi]

    # -- running ---------------------------------------------------------------
    def start(self) -> None:
        """Recover (reconcile, re-protect, resume or flatten), then run the bar loop supervised.

        The service lifespan calls this; a crash of the loop restarts it with back-off.
        """
        self.build()
        if self._started:
            return
        try:
            self.recover()
        except Exception as exc:  # the venue may be down: serve anyway, recover in the loop
            self._error(exc)
            log.error("startup recovery failed (%s); retried before any bar is traded", exc)
        assert self.supervisor is not None  # noqa: S101 - build() made it
        self._bar_loop = _BarLoop(self)
        self.supervisor.start(self._bar_loop)
        self._started = True

    def recover(self) -> RecoveryReport:
        """What a (re)start does before trading: see :func:`aitrader_core.live.recovery.recover`."""
        coordinator = self.build()
        assert self.reconciler is not None  # noqa: S101 - build() made it
        policies = {s.name: s.on_restart for s in self.config().strategies}
        with self._lock:
            self.recovery = recover(coordinator, self.reconciler, policies)
        self.last_reconcile = self.recovery.reconcile
        self._next_reconcile = time.monotonic() + self.config().reconcile_every_s
        return self.recovery

    def reconcile(self, reason: str = "operator") -> ReconcileReport:
        """Compare the store with the venue now; journal and compensate (``POST /live/sync``)."""
        self.build()
        assert self.reconciler is not None  # noqa: S101 - build() made it
        with self._lock:
            self.last_reconcile = self.reconciler.run(reason=reason)
        self._next_reconcile = time.monotonic() + self.config().reconcile_every_s
        return self.last_reconcile

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the bar loop after the bar in progress."""
        if self.supervisor is not None and self._started:
            self.supervisor.stop(timeout)
        self._started = False

    @property
    def running(self) -> bool:
        """True while the bar loop runs."""
        if self.supervisor is None:
            return False
        health = self.supervisor.health().get(_BarLoop.name)
        return bool(health and health.running)

    def step(self) -> list[BarClosed]:
        """One feed step through the coordinator (the loop's body; tests call it directly)."""
        self.build()
        events: list[BarClosed] = []
        for feed in self._feeds:
            try:
                batch = feed.step()
            except Exception as exc:  # a feed fault is reported, never fatal to the loop
                self._error(exc)
                continue
            for event in batch:
                self._on_bar(event)
            if batch and self.routers:
                try:
                    with self._lock:
                        self.observe_outcomes()
                except Exception as exc:  # drift watching must never stop trading
                    self._error(exc)
            events.extend(batch)
        return events

    def _on_bar(self, e: BarClosed) -> None:
        try:
            with self._lock:
                target = self._trader or self.build()
                target.on_bar(
                    e.symbol, e.timeframe, e.ts_ms, e.open, e.high, e.low, e.close, e.volume
                )
            self.health.bars += 1
            self.health.last_bar_ms = e.ts_ms
        except Exception as exc:  # recorded and shown; the next bar (or sync) retries
            self._error(exc)
            log.exception("bar %s %s %s failed", e.symbol, e.timeframe, e.ts_ms)

    def _loop(self, stop: threading.Event) -> None:
        cfg = self.config()
        while self.recovery is None and not stop.is_set():  # no trading before recovery
            try:
                self.recover()
            except Exception as exc:  # venue still down: wait and try again
                self._error(exc)
                BROKER_UP.set(0)
                stop.wait(5.0)
        next_probe = 0.0
        while not stop.is_set():
            if time.monotonic() >= next_probe:  # the alert gauges, with nobody watching
                self._probe()
                next_probe = time.monotonic() + 15.0
            if time.monotonic() >= self._next_reconcile:
                try:
                    self.reconcile(reason="periodic")
                except Exception as exc:  # shown on /live/broker; the next period tries again
                    self._error(exc)
                    self._next_reconcile = time.monotonic() + cfg.reconcile_every_s
            events = self.step()
            if events and self.supervisor is not None and self._bar_loop is not None:
                self.supervisor.save(self._bar_loop)  # the snapshot follows every change
            replay_done = cfg.feed.mode == "replay" and all(f.done for f in self._feeds)
            self.health.feed_done = replay_done
            if replay_done:
                stop.wait(1.0)
            elif cfg.feed.mode == "replay":
                if not events:  # nothing stored yet, or a fault: do not spin
                    stop.wait(1.0)
                elif cfg.feed.speed > 0:
                    stop.wait(1.0 / cfg.feed.speed)
            else:
                stop.wait(cfg.feed.poll_interval_s if not events else 0.0)

    def _probe(self) -> None:
        try:
            with self._lock:
                coordinator = self.build()
                up = bool(coordinator.gateway.ping())
            BROKER_UP.set(1 if up else 0)
            self.check_daily_loss()
        except Exception as exc:  # a probe must never stop the loop
            BROKER_UP.set(0)
            self._error(exc)

    def _error(self, exc: BaseException) -> None:
        self.health.errors += 1
        self.health.last_error = f"{type(exc).__name__}: {exc}"
        self.health.last_error_ms = int(time.time() * 1000)

    # -- calls into the coordinator -------------------------------------------
    @contextmanager
    def locked(self) -> Iterator[LiveTradingCoordinator]:
        """The coordinator, with the bar loop held off (for operators' reads and actions)."""
        coordinator = self.build()
        with self._lock:
            yield coordinator

    def call(self, fn: Callable[[LiveTradingCoordinator], _T]) -> _T:
        """``fn(coordinator)`` under the lock; broker errors are recorded for /live/broker."""
        with self.locked() as coordinator:
            try:
                return fn(coordinator)
            except BrokerError as exc:
                self._error(exc)
                raise

    # -- views -----------------------------------------------------------------
    def broker(self) -> dict[str, Any]:
        """Connection state, last error, counts of open orders and positions, feed progress."""

        def view(c: LiveTradingCoordinator) -> dict[str, Any]:
            try:
                connected = bool(c.gateway.ping())
            except Exception as exc:  # an unreachable venue is a state to show, not a 500
                self._error(exc)
                connected = False
            BROKER_UP.set(1 if connected else 0)
            self.health.connected = connected
            self.health.last_ping_ms = int(time.time() * 1000)
            positions = [p for p in c.state.positions().values() if p.qty != 0]
            return {
                "venue": c.gateway.name,
                "testnet": c.gateway.testnet,
                "mode": "paper" if isinstance(c.gateway, SimulatedBroker) else "live",
                "connected": connected,
                "running": self.running,
                "last_error": self.health.last_error,
                "last_error_ms": self.health.last_error_ms,
                "errors": self.health.errors,
                "open_orders": len(c.orders(open_only=True)),
                "open_positions": len(positions),
                "bars_processed": self.health.bars,
                "last_bar_ms": self.health.last_bar_ms,
                "clock_ms": c.clock.now_ms(),
                "feed_done": self.health.feed_done,
                "reconciliation": None
                if self.last_reconcile is None
                else {
                    "reason": self.last_reconcile.reason,
                    "clean": self.last_reconcile.clean,
                    "discrepancies": len(self.last_reconcile.discrepancies),
                    "alerts": len(self.last_reconcile.alerts),
                },
                "restarts": {k: v.restarts for k, v in self.supervisor.health().items()}
                if self.supervisor
                else {},
            }

        return self.call(view)

    def balance(self) -> dict[str, Any]:
        """Assets with free/locked/total and value in USDT (stablecoins 1:1 without a price)."""

        def view(c: LiveTradingCoordinator) -> dict[str, Any]:
            marks = c.status().marks
            rows: list[dict[str, Any]] = []
            for asset, bal in sorted(c.gateway.balances().items()):
                total = bal.free + bal.locked
                price, source = _price(asset, marks)
                rows.append(
                    {
                        "asset": asset,
                        "free": bal.free,
                        "locked": bal.locked,
                        "total": total,
                        "price": price,
                        "value": None if price is None else total * price,
                        "valuation": source,
                    }
                )
            rows.sort(key=lambda r: r["value"] if r["value"] is not None else ZERO, reverse=True)
            equity = sum((r["value"] for r in rows if r["value"] is not None), ZERO)
            return {
                "venue": c.gateway.name,
                "testnet": c.gateway.testnet,
                "quote": "USDT",
                "equity": equity,
                "assets": rows,
                "limits": c.limits().model_dump(),
            }

        return self.call(view)

    def positions(self) -> list[dict[str, Any]]:
        """Open positions per strategy with entry, mark and unrealised PnL."""

        def view(c: LiveTradingCoordinator) -> list[dict[str, Any]]:
            marks = c.status().marks
            out = []
            for (strategy, symbol), p in sorted(c.state.positions().items()):
                if p.qty == 0:
                    continue
                mark = marks.get(symbol)
                out.append(
                    {
                        "strategy": strategy,
                        "symbol": symbol,
                        "side": "long" if p.qty > 0 else "short",
                        "qty": p.qty,
                        "entry": p.avg_entry,
                        "mark": mark,
                        "unrealized": None if mark is None else p.unrealized(mark),
                        "realized": p.realized_pnl,
                    }
                )
            return out

        return self.call(view)

    def check_daily_loss(self) -> bool:
        """Export whether today's loss reached the limit (for the alert rule)."""
        pnl, limit = self.call(lambda c: (c.pnl(), c.limits().max_daily_loss))
        breached = bool(
            limit is not None
            and pnl.start_of_day_equity > 0
            and pnl.equity <= pnl.start_of_day_equity * (1 - limit)
        )
        DAILY_LOSS_BREACHED.set(1 if breached else 0)
        return breached

    def require_strategy(self, name: str) -> None:
        """Raise NotFoundError unless ``name`` is a configured strategy."""
        if name not in self.build().specs:
            raise NotFoundError(f"no strategy {name!r}")


class _BarLoop:
    """The desk's bar loop as a supervised executor."""

    name = "coordinator"

    def __init__(self, desk: LiveDesk) -> None:
        self.desk = desk

    def run(self, stop: threading.Event) -> None:
        self.desk._loop(stop)

    def snapshot(self) -> dict[str, Any]:
        h = self.desk.health
        return {"bars": h.bars, "last_bar_ms": h.last_bar_ms, "errors": h.errors}

    def restore(self, state: Mapping[str, Any]) -> None:
        self.desk.health.notes.append(f"restarted after {state.get('bars', 0)} bars last run")


def _price(asset: str, marks: dict[str, Decimal]) -> tuple[Decimal | None, str]:
    if asset == "USDT":
        return Decimal(1), "quote"
    mark = marks.get(f"{asset}/USDT")
    if mark is not None:
        return mark, "mark"
    if asset in STABLECOINS:
        return Decimal(1), "stablecoin 1:1 (no price)"
    return None, "no price"
