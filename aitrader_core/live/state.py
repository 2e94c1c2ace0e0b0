"""The live coordinator's state in the store: orders, fills, positions, controls, counters.

:class:`LiveStateRepository` reads and writes the tables of migration 0005
(:mod:`aitrader_core.live.tables`), each call in its own short transaction, so
a restarted coordinator (or the service's read routes) sees exactly what the
last one wrote. Amounts go in and out as ``Decimal`` (stored as exact text);
controls and limits are validated through their pydantic models on read.
The types it stores live in :mod:`aitrader_core.live.book` (re-exported here).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, Table, inspect, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from aitrader_core.clock import Clock
from aitrader_core.domain.orders import Fill, Order, OrderStatus, OrderType, Position, Side
from aitrader_core.domain.orders import TimeInForce as Tif
from aitrader_core.errors import ConfigError
from aitrader_core.live import tables as t
from aitrader_core.live.book import ACCOUNT, DayCounter, LiveFill, LiveOrder, Role
from aitrader_core.risk import RiskLimits, StrategyControl

__all__ = [
    "ACCOUNT",
    "DayCounter",
    "LiveFill",
    "LiveOrder",
    "LiveStateRepository",
    "Role",
    "require_tables",
]

_LIMITS_ROW = 1
_FINAL = [s.value for s in OrderStatus if s.is_final]


def require_tables(engine: Engine) -> None:
    """Raise :class:`~aitrader_core.errors.ConfigError` unless migration 0005 ran.

    Examples
    --------
    >>> from sqlalchemy import create_engine
    >>> require_tables(create_engine("sqlite://"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    aitrader_core.errors.ConfigError: the live coordinator needs the tables ...
    """
    names = set(inspect(engine).get_table_names())
    missing = [name for name in t.TABLES if name not in names]
    if missing:
        raise ConfigError(
            f"the live coordinator needs the tables {missing} of migration 0005: "
            "run `aitrader db upgrade`"
        )


def _dec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _order_from(row: Any) -> LiveOrder:
    order = Order(
        client_id=row.client_id,
        symbol=row.symbol,
        side=Side(row.side),
        type=OrderType(row.type),
        qty=Decimal(row.qty),
        price=_dec(row.price),
        stop_price=_dec(row.stop_price),
        tif=Tif(row.tif),
        status=OrderStatus(row.status),
        filled_qty=Decimal(row.filled_qty),
        avg_price=_dec(row.avg_price),
        venue_id=row.venue_id,
        created_ms=int(row.created_ms),
        reason=row.reason,
    )
    bar_ts = None if row.bar_ts is None else int(row.bar_ts)
    return LiveOrder(order, row.strategy, Role(row.role), row.parent_id, bar_ts,
                     int(row.updated_ms))  # fmt: skip


def _fill_from(row: Any) -> LiveFill:
    fill = Fill(row.client_id, row.trade_id, row.symbol, Side(row.side), Decimal(row.qty),
                Decimal(row.price), Decimal(row.fee), row.fee_asset, int(row.ts_ms))  # fmt: skip
    return LiveFill(fill, row.strategy, Role(row.role))


class LiveStateRepository:
    """The coordinator's durable state over the store's engine (migrated to 0005).

    Examples
    --------
    >>> from sqlalchemy.pool import StaticPool
    >>> from aitrader_core.clock import ReplayClock
    >>> from aitrader_core.store import make_engine, upgrade
    >>> engine = make_engine("sqlite://", poolclass=StaticPool)
    >>> upgrade(engine)
    >>> repo = LiveStateRepository(engine, ReplayClock(1_700_000_000_000))
    >>> repo.set_cursor("BTC/USDT|1h", 1_699_999_200_000)
    >>> repo.cursor("BTC/USDT|1h"), repo.cursor("ETH/USDT|1h")
    (1699999200000, None)
    >>> repo.limits().kill_switch
    False
    """

    def __init__(self, engine: Engine, clock: Clock) -> None:
        require_tables(engine)
        self.engine = engine
        self.clock = clock
        self._insert = sqlite.insert if engine.dialect.name == "sqlite" else postgresql.insert

    def _upsert(
        self, conn: Connection, table: Table, keys: list[str], values: dict[str, Any]
    ) -> None:
        stmt = self._insert(table).values(**values)
        changes = {k: stmt.excluded[k] for k in values if k not in keys}
        conn.execute(stmt.on_conflict_do_update(index_elements=keys, set_=changes))

    # --- orders ----------------------------------------------------------------------------------

    def save_order(self, live: LiveOrder) -> LiveOrder:
        """Insert or update an order (by client id); returns it with ``updated_ms`` set."""
        now = self.clock.now_ms()
        o = live.order
        values = {
            "client_id": o.client_id, "strategy": live.strategy, "symbol": o.symbol,
            "side": o.side.value, "type": o.type.value, "tif": o.tif.value,
            "role": live.role.value, "parent_id": live.parent_id, "qty": str(o.qty),
            "price": _text(o.price), "stop_price": _text(o.stop_price), "status": o.status.value,
            "filled_qty": str(o.filled_qty), "avg_price": _text(o.avg_price),
            "venue_id": o.venue_id, "bar_ts": live.bar_ts, "created_ms": o.created_ms or now,
            "updated_ms": now, "reason": o.reason,
        }  # fmt: skip
        with self.engine.begin() as conn:
            self._upsert(conn, t.live_orders, ["client_id"], values)
        return self.get_order(o.client_id) or live

    def get_order(self, client_id: str) -> LiveOrder | None:
        """The order with this client id, or ``None``."""
        query = select(t.live_orders).where(t.live_orders.c.client_id == client_id)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else _order_from(row)

    def orders(
        self,
        *,
        strategy: str | None = None,
        symbol: str | None = None,
        open_only: bool = False,
        parent_id: str | None = None,
        limit: int | None = None,
    ) -> list[LiveOrder]:
        """Orders, newest first; ``open_only`` keeps those not final (pending and unknown too)."""
        c = t.live_orders.c
        query = select(t.live_orders)
        if strategy is not None:
            query = query.where(c.strategy == strategy)
        if symbol is not None:
            query = query.where(c.symbol == symbol)
        if open_only:
            query = query.where(c.status.not_in(_FINAL))
        if parent_id is not None:
            query = query.where(c.parent_id == parent_id)
        query = query.order_by(c.created_ms.desc(), c.client_id)
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [_order_from(row) for row in conn.execute(query)]

    # --- fills and positions ---------------------------------------------------------------------

    def has_fill(self, trade_id: str) -> bool:
        """True when this trade id is recorded already."""
        query = select(t.live_fills.c.trade_id).where(t.live_fills.c.trade_id == trade_id)
        with self.engine.connect() as conn:
            return conn.execute(query).first() is not None

    def apply_fill(self, live_fill: LiveFill, order: LiveOrder | None, position: Position) -> bool:
        """Record a fill with the order and position it changes, in one transaction.

        Returns False (and writes nothing) when the trade id is recorded already.
        """
        f, now = live_fill.fill, self.clock.now_ms()
        try:
            with self.engine.begin() as conn:
                conn.execute(t.live_fills.insert().values(
                    trade_id=f.trade_id, client_id=f.client_id, strategy=live_fill.strategy,
                    role=live_fill.role.value, symbol=f.symbol, side=f.side.value,
                    qty=str(f.qty), price=str(f.price), fee=str(f.fee), fee_asset=f.fee_asset,
                    ts_ms=f.ts_ms,
                ))  # fmt: skip
                if order is not None:
                    o = order.order
                    conn.execute(
                        update(t.live_orders)
                        .where(t.live_orders.c.client_id == o.client_id)
                        .values(
                            status=o.status.value,
                            filled_qty=str(o.filled_qty),
                            avg_price=_text(o.avg_price),
                            updated_ms=now,
                        )
                    )
                self._upsert(conn, t.live_positions, ["strategy", "symbol"], {
                    "strategy": live_fill.strategy, "symbol": position.symbol,
                    "qty": str(position.qty), "avg_entry": str(position.avg_entry),
                    "realized_pnl": str(position.realized_pnl), "updated_ms": now,
                })  # fmt: skip
        except IntegrityError:
            if self.has_fill(f.trade_id):
                return False
            raise
        return True

    def fills(
        self,
        *,
        strategy: str | None = None,
        client_id: str | None = None,
        since_ms: int | None = None,
        limit: int | None = None,
    ) -> list[LiveFill]:
        """Recorded fills, oldest first."""
        c = t.live_fills.c
        query = select(t.live_fills)
        if strategy is not None:
            query = query.where(c.strategy == strategy)
        if client_id is not None:
            query = query.where(c.client_id == client_id)
        if since_ms is not None:
            query = query.where(c.ts_ms >= since_ms)
        query = query.order_by(c.ts_ms, c.trade_id)
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [_fill_from(row) for row in conn.execute(query)]

    def position(self, strategy: str, symbol: str) -> Position:
        """The net position of ``strategy`` in ``symbol`` (flat when it never traded it)."""
        c = t.live_positions.c
        query = select(t.live_positions).where(c.strategy == strategy, c.symbol == symbol)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return Position(symbol)
        return Position(symbol, Decimal(row.qty), Decimal(row.avg_entry),
                        Decimal(row.realized_pnl))  # fmt: skip

    def positions(self) -> dict[tuple[str, str], Position]:
        """Every strategy's position by (strategy, symbol), flat ones included."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(t.live_positions)).all()
        return {
            (r.strategy, r.symbol): Position(
                r.symbol, Decimal(r.qty), Decimal(r.avg_entry), Decimal(r.realized_pnl)
            )
            for r in rows
        }

    # --- controls and limits ---------------------------------------------------------------------

    def control(self, name: str) -> StrategyControl:
        """The strategy's control (the defaults when no operator set one)."""
        c = t.live_strategy_controls.c
        with self.engine.connect() as conn:
            row = conn.execute(select(t.live_strategy_controls).where(c.name == name)).first()
        return StrategyControl() if row is None else _control_from(row)

    def controls(self) -> dict[str, StrategyControl]:
        """Every control an operator set, by strategy name."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(t.live_strategy_controls)).all()
        return {row.name: _control_from(row) for row in rows}

    def set_control(self, name: str, control: StrategyControl, *, actor: str) -> None:
        """Store a strategy's control."""
        values = {
            "name": name, "enabled": control.enabled,
            "max_risk_fraction": str(control.max_risk_fraction),
            "max_daily_trades": control.max_daily_trades, "updated_ms": self.clock.now_ms(),
            "updated_by": actor,
        }  # fmt: skip
        with self.engine.begin() as conn:
            self._upsert(conn, t.live_strategy_controls, ["name"], values)

    def limits(self) -> RiskLimits:
        """The account's risk limits (the defaults until an operator sets them)."""
        query = select(t.live_risk_limits).where(t.live_risk_limits.c.id == _LIMITS_ROW)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return RiskLimits() if row is None else RiskLimits.model_validate_json(row.limits)

    def set_limits(self, limits: RiskLimits, *, actor: str) -> None:
        """Store the account's risk limits (kill switch included)."""
        values = {"id": _LIMITS_ROW, "limits": limits.model_dump_json(),
                  "updated_ms": self.clock.now_ms(), "updated_by": actor}  # fmt: skip
        with self.engine.begin() as conn:
            self._upsert(conn, t.live_risk_limits, ["id"], values)

    # --- day counters ----------------------------------------------------------------------------

    def day(self, day: str, strategy: str = ACCOUNT) -> DayCounter:
        """The counter of ``strategy`` (or the account) on ``day``; zero when absent."""
        c = t.live_day_counters.c
        query = select(t.live_day_counters).where(c.day == day, c.strategy == strategy)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return DayCounter(day, strategy)
        return DayCounter(day, strategy, int(row.trades), _dec(row.start_of_day_equity),
                          _dec(row.peak_equity))  # fmt: skip

    def days(self, day: str) -> dict[str, DayCounter]:
        """Every counter of ``day`` by strategy (the account as ``"*"``)."""
        c = t.live_day_counters.c
        with self.engine.connect() as conn:
            rows = conn.execute(select(t.live_day_counters).where(c.day == day)).all()
        return {
            r.strategy: DayCounter(
                day, r.strategy, int(r.trades), _dec(r.start_of_day_equity), _dec(r.peak_equity)
            )
            for r in rows
        }

    def open_day(self, day: str, equity: Decimal) -> DayCounter:
        """The account's counter of ``day``: started at ``equity`` if new, peak following equity."""
        current = self.day(day)
        start = current.start_of_day_equity if current.start_of_day_equity is not None else equity
        peak = max(x for x in (current.peak_equity, start, equity) if x is not None)
        if (start, peak) != (current.start_of_day_equity, current.peak_equity):
            self._save_day(DayCounter(day, ACCOUNT, current.trades, start, peak))
        return DayCounter(day, ACCOUNT, current.trades, start, peak)

    def count_trade(self, day: str, strategy: str) -> None:
        """Add one trade to ``strategy``'s and the account's counters of ``day``."""
        for who in (strategy, ACCOUNT):
            current = self.day(day, who)
            self._save_day(DayCounter(day, who, current.trades + 1, current.start_of_day_equity,
                                      current.peak_equity))  # fmt: skip

    def _save_day(self, counter: DayCounter) -> None:
        values = {
            "day": counter.day, "strategy": counter.strategy, "trades": counter.trades,
            "start_of_day_equity": _text(counter.start_of_day_equity),
            "peak_equity": _text(counter.peak_equity), "updated_ms": self.clock.now_ms(),
        }  # fmt: skip
        with self.engine.begin() as conn:
            self._upsert(conn, t.live_day_counters, ["day", "strategy"], values)

    # --- cursors and snapshots -------------------------------------------------------------------

    def cursor(self, name: str) -> int | None:
        """The newest timestamp stored under ``name``, or ``None``."""
        query = select(t.live_cursors.c.ts_ms).where(t.live_cursors.c.name == name)
        with self.engine.connect() as conn:
            value = conn.execute(query).scalar_one_or_none()
        return None if value is None else int(value)

    def set_cursor(self, name: str, ts_ms: int) -> None:
        """Store ``ts_ms`` under ``name`` (it may move back: an operator's replay)."""
        values = {"name": name, "ts_ms": ts_ms, "updated_ms": self.clock.now_ms()}
        with self.engine.begin() as conn:
            self._upsert(conn, t.live_cursors, ["name"], values)

    def cursors(self) -> dict[str, int]:
        """Every cursor by name."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(t.live_cursors)).all()
        return {row.name: int(row.ts_ms) for row in rows}

    def save_snapshot(self, name: str, state: Mapping[str, Any]) -> None:
        """Store a JSON-serialisable state under ``name`` (replacing the previous one)."""
        values = {"name": name, "state": json.dumps(state, sort_keys=True, default=str),
                  "updated_ms": self.clock.now_ms()}  # fmt: skip
        with self.engine.begin() as conn:
            self._upsert(conn, t.live_snapshots, ["name"], values)

    def load_snapshot(self, name: str) -> dict[str, Any] | None:
        """The state stored under ``name``, or ``None``."""
        query = select(t.live_snapshots.c.state).where(t.live_snapshots.c.name == name)
        with self.engine.connect() as conn:
            text = conn.execute(query).scalar_one_or_none()
        if text is None:
            return None
        loaded: dict[str, Any] = json.loads(text)
        return loaded

    def snapshot_names(self) -> list[str]:
        """Names of the stored snapshots, sorted."""
        c = t.live_snapshots.c
        with self.engine.connect() as conn:
            rows = conn.execute(select(c.name).order_by(c.name)).all()
        return [str(row.name) for row in rows]


def _control_from(row: Any) -> StrategyControl:
    return StrategyControl.model_validate(
        {
            "enabled": bool(row.enabled),
            "max_risk_fraction": Decimal(row.max_risk_fraction),
            "max_daily_trades": int(row.max_daily_trades),
        }
    )
