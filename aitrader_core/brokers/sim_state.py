"""The simulated broker's account in the store: orders, fills and balances.

Everything the simulator knows about its account lives in three tables
(``sim_orders``, ``sim_fills``, ``sim_balances``, migration 0004), read and
written inside the caller's transaction, so a new
:class:`~aitrader_core.brokers.simulator.SimulatedBroker` on the same database
(a restart, or a second process) sees the same balances, orders and fills.
Amounts are stored as exact decimal strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, inspect, select, update

from aitrader_core.domain.money import ZERO
from aitrader_core.domain.orders import (
    Balance,
    Fill,
    Order,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
)
from aitrader_core.errors import ConfigError
from aitrader_core.store.schema import sim_balances, sim_fills, sim_orders

TABLES = ("sim_orders", "sim_fills", "sim_balances")
_OPEN = (OrderStatus.OPEN.value, OrderStatus.PARTIALLY_FILLED.value)


@dataclass(frozen=True)
class SimOrder:
    """An order as the simulator keeps it: the domain order plus its book-keeping.

    ``lock_price`` is what one unit of the remaining quantity keeps reserved
    in ``lock_asset`` (a buy: its limit, stop or reference price in quote; a
    sell: one unit of base).
    """

    row_id: int
    order: Order
    lock_asset: str
    lock_price: Decimal
    filled_notional: Decimal = ZERO
    fill_count: int = 0
    triggered: bool = False
    last_bar_ts: int = -1

    @property
    def reserved(self) -> Decimal:
        """What the order keeps locked now: remaining quantity times ``lock_price``."""
        if self.order.status.is_final:
            return ZERO
        return self.order.remaining * self.lock_price

    def after_fill(self, fill: Fill) -> SimOrder:
        """This order after ``fill`` (status and average price from the domain rule)."""
        return replace(
            self,
            order=self.order.with_fill(fill),
            filled_notional=self.filled_notional + fill.qty * fill.price,
            fill_count=self.fill_count + 1,
        )


def require_tables(engine: Engine) -> None:
    """Raise :class:`~aitrader_core.errors.ConfigError` unless migration 0004 ran.

    Examples
    --------
    >>> from sqlalchemy import create_engine
    >>> require_tables(create_engine("sqlite://"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    aitrader_core.errors.ConfigError: the simulated broker needs the tables ...
    """
    names = set(inspect(engine).get_table_names())
    missing = [t for t in TABLES if t not in names]
    if missing:
        raise ConfigError(
            f"the simulated broker needs the tables {missing} of migration 0004: "
            "run `aitrader db upgrade`"
        )


def _dec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _from_row(row: Any) -> SimOrder:
    filled = Decimal(row.filled_qty)
    notional = Decimal(row.filled_notional)
    order = Order(
        client_id=row.client_id,
        symbol=row.symbol,
        side=Side(row.side),
        type=OrderType(row.type),
        qty=Decimal(row.qty),
        price=_dec(row.price),
        stop_price=_dec(row.stop_price),
        tif=TimeInForce(row.tif),
        status=OrderStatus(row.status),
        filled_qty=filled,
        avg_price=notional / filled if filled else None,
        venue_id=f"sim-{row.id}",
        created_ms=int(row.created_ms),
        reason=row.reason,
    )
    return SimOrder(
        row_id=int(row.id),
        order=order,
        lock_asset=row.lock_asset,
        lock_price=Decimal(row.lock_price),
        filled_notional=notional,
        fill_count=int(row.fill_count),
        triggered=bool(row.triggered),
        last_bar_ts=int(row.last_bar_ts),
    )


def insert_order(
    conn: Connection, order: Order, *, lock_asset: str, lock_price: Decimal
) -> SimOrder:
    """Store a new order (its client id must be new) and return it with its venue id."""
    values = {
        "client_id": order.client_id,
        "symbol": order.symbol,
        "side": order.side.value,
        "type": order.type.value,
        "tif": order.tif.value,
        "qty": str(order.qty),
        "price": _text(order.price),
        "stop_price": _text(order.stop_price),
        "status": order.status.value,
        "filled_qty": "0",
        "filled_notional": "0",
        "fill_count": 0,
        "lock_asset": lock_asset,
        "lock_price": str(lock_price),
        "triggered": 0,
        "last_bar_ts": -1,
        "created_ms": order.created_ms,
        "reason": order.reason,
    }
    conn.execute(insert(sim_orders).values(**values))
    found = get_order(conn, order.client_id)
    if found is None:  # pragma: no cover - the row was just written
        raise RuntimeError(f"order {order.client_id} vanished after insert")
    return found


def get_order(conn: Connection, client_id: str, *, for_update: bool = False) -> SimOrder | None:
    """The order with this client id, or ``None``."""
    query = select(sim_orders).where(sim_orders.c.client_id == client_id)
    if for_update:
        query = query.with_for_update()
    row = conn.execute(query).first()
    return None if row is None else _from_row(row)


def open_orders(
    conn: Connection, symbol: str | None = None, *, for_update: bool = False
) -> list[SimOrder]:
    """Open and partially filled orders, oldest first (time priority)."""
    query = select(sim_orders).where(sim_orders.c.status.in_(_OPEN))
    if symbol is not None:
        query = query.where(sim_orders.c.symbol == symbol)
    query = query.order_by(sim_orders.c.id)
    if for_update:
        query = query.with_for_update()
    return [_from_row(row) for row in conn.execute(query)]


def save_order(conn: Connection, sim: SimOrder) -> None:
    """Write an order's changing fields back."""
    conn.execute(
        update(sim_orders)
        .where(sim_orders.c.id == sim.row_id)
        .values(
            status=sim.order.status.value,
            filled_qty=str(sim.order.filled_qty),
            filled_notional=str(sim.filled_notional),
            fill_count=sim.fill_count,
            triggered=int(sim.triggered),
            last_bar_ts=sim.last_bar_ts,
            reason=sim.order.reason,
        )
    )


def count_orders(conn: Connection, client_id: str) -> int:
    """How many orders carry this client id (0 or 1: the column is unique)."""
    query = select(func.count()).select_from(sim_orders)
    return int(conn.execute(query.where(sim_orders.c.client_id == client_id)).scalar_one())


def insert_fill(conn: Connection, sim: SimOrder, fill: Fill) -> None:
    """Store one execution of ``sim``."""
    conn.execute(
        insert(sim_fills).values(
            trade_id=fill.trade_id,
            order_id=sim.row_id,
            client_id=fill.client_id,
            symbol=fill.symbol,
            side=fill.side.value,
            qty=str(fill.qty),
            price=str(fill.price),
            fee=str(fill.fee),
            fee_asset=fill.fee_asset,
            ts_ms=fill.ts_ms,
        )
    )


def fills_since(conn: Connection, since_ms: int, symbol: str | None = None) -> list[Fill]:
    """Executions at or after ``since_ms``, oldest first."""
    query = select(sim_fills).where(sim_fills.c.ts_ms >= since_ms)
    if symbol is not None:
        query = query.where(sim_fills.c.symbol == symbol)
    rows = conn.execute(query.order_by(sim_fills.c.ts_ms, sim_fills.c.id))
    return [
        Fill(
            client_id=r.client_id,
            trade_id=r.trade_id,
            symbol=r.symbol,
            side=Side(r.side),
            qty=Decimal(r.qty),
            price=Decimal(r.price),
            fee=Decimal(r.fee),
            fee_asset=r.fee_asset,
            ts_ms=int(r.ts_ms),
        )
        for r in rows
    ]


def balances(conn: Connection, *, for_update: bool = False) -> dict[str, Balance]:
    """Every asset row, zero or not, keyed by asset."""
    query = select(sim_balances).order_by(sim_balances.c.asset)
    if for_update:
        query = query.with_for_update()
    return {
        r.asset: Balance(r.asset, Decimal(r.free), Decimal(r.locked)) for r in conn.execute(query)
    }


def save_balances(
    conn: Connection, changed: Mapping[str, Balance], before: Mapping[str, Balance]
) -> None:
    """Write the balances that differ from ``before`` (insert the new assets)."""
    for asset, bal in changed.items():
        if before.get(asset) == bal:
            continue
        values = {"free": str(bal.free), "locked": str(bal.locked)}
        if asset in before:
            conn.execute(update(sim_balances).where(sim_balances.c.asset == asset).values(values))
        else:
            conn.execute(insert(sim_balances).values(asset=asset, **values))


def seed_balances(conn: Connection, start: Mapping[str, Decimal]) -> bool:
    """Fund a new account with ``start``; an account that has any balance row is left alone.

    Returns True when the account was funded now.
    """
    if conn.execute(select(func.count()).select_from(sim_balances)).scalar_one():
        return False
    save_balances(conn, {a: Balance(a, amount) for a, amount in start.items()}, {})
    return True
