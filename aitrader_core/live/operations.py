"""Pure pieces of the operators' side of the coordinator: manual orders, PnL, validated edits.

No I/O here: the coordinator reads the venue and the store and passes the
values in, so each piece is checked on its own (see the examples).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TypeVar

import pydantic

from aitrader_core.domain.money import ZERO, to_decimal
from aitrader_core.domain.orders import Order, OrderType, Position, Side, client_order_id
from aitrader_core.errors import ValidationError
from aitrader_core.live.models import PnL
from aitrader_core.live.state import DayCounter, LiveOrder, Role
from aitrader_core.risk import Proposal

MANUAL = "manual"
"""The strategy name operators' manual orders and their position go under."""

_M = TypeVar("_M", bound=pydantic.BaseModel)


def validated(model: type[_M], data: Mapping[str, object]) -> _M:
    """``model`` from ``data``; a bad value raises the project's ValidationError (a 4xx).

    Examples
    --------
    >>> from aitrader_core.risk import StrategyControl
    >>> validated(StrategyControl, {"enabled": False}).enabled
    False
    """
    try:
        return model.model_validate(dict(data))
    except pydantic.ValidationError as exc:
        raise ValidationError(str(exc).replace("\n", "; ")) from None


def manual_order(
    symbol: str,
    side: Side | str,
    qty: Decimal | str,
    kind: OrderType | str,
    price: Decimal | str | None,
    stop: Decimal | str | None,
    *,
    actor: str,
    now_ms: int,
    mark: Callable[[], Decimal],
    client_id: str | None = None,
) -> tuple[LiveOrder, Proposal]:
    """An operator's order and the proposal the guard judges it by.

    ``price`` is a limit order's limit; ``stop`` is a stop order's trigger and,
    for a market or limit order, the protective level the guard measures its
    risk against. The guard's price is the limit, else the trigger, else the
    mark. Without ``client_id`` the id is derived from the request and the time.

    Examples
    --------
    >>> live, p = manual_order("BTC/USDT", "buy", "0.01", "limit", "19000", "18500",
    ...                        actor="alice", now_ms=1, mark=lambda: Decimal("20000"))
    >>> live.order.price, live.order.stop_price, p.price, p.stop_price, live.strategy
    (Decimal('19000'), None, Decimal('19000'), Decimal('18500'), 'manual')
    """
    side, kind = Side(side), OrderType(kind)
    amount = to_decimal(qty, field="qty")
    limit = None if price is None else to_decimal(price, field="price")
    trigger = None if stop is None else to_decimal(stop, field="stop")
    has_limit = kind in (OrderType.LIMIT, OrderType.STOP_LIMIT)
    has_stop = kind in (OrderType.STOP, OrderType.STOP_LIMIT)
    ref = limit if has_limit else trigger if has_stop else None
    parts = (MANUAL, actor, symbol, side, amount, kind, limit, trigger, now_ms)
    cid = client_id or client_order_id(*(str(p) for p in parts))
    order = Order(cid, symbol, side, kind, amount, price=limit if has_limit else None,
                  stop_price=trigger if has_stop else None, created_ms=now_ms)  # fmt: skip
    proposal = Proposal(MANUAL, symbol, side, amount, ref if ref is not None else mark(),
                        None if has_stop else trigger)  # fmt: skip
    return LiveOrder(order, MANUAL, Role.MANUAL), proposal


def today_pnl(
    counter: DayCounter,
    equity: Decimal,
    positions: Mapping[tuple[str, str], Position],
    marks: Mapping[str, Decimal],
) -> PnL:
    """The day's figures: drawdown from the day's peak, open PnL at the marks known.

    Examples
    --------
    >>> day = DayCounter("2024-01-01", "*", 2, Decimal("1000"), Decimal("1100"))
    >>> pos = {("s", "BTC/USDT"): Position("BTC/USDT", Decimal("1"), Decimal("90"), Decimal("-1"))}
    >>> p = today_pnl(day, Decimal("990"), pos, {"BTC/USDT": Decimal("100")})
    >>> p.realized, p.unrealized, p.drawdown, p.trades_today
    (Decimal('-1'), Decimal('10'), Decimal('-0.1'), 2)
    """
    start = counter.start_of_day_equity if counter.start_of_day_equity is not None else equity
    peak = max(counter.peak_equity or start, start, equity)
    realized, unrealized = ZERO, ZERO
    for (_, symbol), position in positions.items():
        realized += position.realized_pnl
        if position.qty != 0 and symbol in marks:
            unrealized += position.unrealized(marks[symbol])
    drawdown = min(equity / peak - 1, ZERO) if peak > 0 else ZERO
    return PnL(counter.day, start, equity, realized, unrealized, drawdown, counter.trades)
