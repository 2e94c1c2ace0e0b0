"""The coordinator's trading rules, pure: what a signal does to a position, what protects it.

:func:`decide` mirrors the backtest engine's reading of a target-direction
signal (``signal_flags`` then ``decide`` in :mod:`aitrader_core.backtest`):
an exit whenever the target leaves the position's direction, an entry when
the target changes to a direction (``reentry="edge"``) or whenever it points
one way while the book is elsewhere (``"level"``). :func:`protective_orders`
builds the stop and target of a filled entry, with client ids derived from it.
"""

from __future__ import annotations

from decimal import Decimal

from aitrader_core.backtest.config import BacktestConfig, Execution, Exits
from aitrader_core.domain.money import Instrument
from aitrader_core.domain.orders import Order, OrderType, Side, client_order_id
from aitrader_core.live.sizing import stop_level, target_level
from aitrader_core.live.state import LiveOrder, Role
from aitrader_core.risk import Proposal


def sign(value: Decimal | int) -> int:
    """-1, 0 or +1.

    Examples
    --------
    >>> sign(Decimal("-0.5")), sign(0), sign(3)
    (-1, 0, 1)
    """
    return (value > 0) - (value < 0)


def allowed(direction: int, execution: Execution) -> int:
    """``direction``, or flat when the execution settings forbid that side.

    Examples
    --------
    >>> allowed(-1, Execution()), allowed(1, Execution())
    (0, 1)
    """
    if (direction > 0 and not execution.allow_long) or (
        direction < 0 and not execution.allow_short
    ):
        return 0
    return direction


def decide(target: int, previous: int, held: int, execution: Execution) -> tuple[bool, int]:
    """``(exit, enter)``: close the position held; open ``enter`` (±1, 0 for none).

    ``target`` and ``previous`` are the allowed signal at this bar and the one
    before; ``held`` the sign of the position.

    Examples
    --------
    >>> decide(1, 0, 0, Execution())  # the signal turns long: enter
    (False, 1)
    >>> decide(1, 1, 0, Execution())  # still long after a stop-out: wait for a new signal
    (False, 0)
    >>> decide(1, 1, 0, Execution(reentry="level"))
    (False, 1)
    >>> decide(0, 1, 1, Execution())  # the signal leaves the position: exit
    (True, 0)
    """
    close = held != 0 and target != held
    after = 0 if close else held
    fresh = execution.reentry == "level" or previous != target
    return close, target if target != 0 and target != after and fresh else 0


def wanted(exits: Exits) -> set[Role]:
    """The protective roles a position gets under ``exits``.

    Examples
    --------
    >>> sorted(wanted(Exits(stop_loss=0.02)))
    [<Role.STOP: 'stop'>]
    """
    levels = ((Role.STOP, exits.stop_loss), (Role.TARGET, exits.take_profit))
    return {role for role, pct in levels if pct is not None}


def protective_orders(
    entry: LiveOrder,
    held: Decimal,
    have: set[Role],
    config: BacktestConfig,
    instrument: Instrument,
    now_ms: int,
) -> list[tuple[LiveOrder, Proposal]]:
    """The stop and target a filled ``entry`` still lacks (``have``: the roles it has).

    Both cover the whole position ``held``, measured from the entry's average
    price; their client ids derive from the entry's, so placing them again
    after a restart finds the same orders.

    Examples
    --------
    >>> from aitrader_core.domain.orders import OrderStatus
    >>> btc = Instrument("BTC/USDT", "BTC", "USDT", Decimal("0.01"), Decimal("0.00001"))
    >>> e = Order("ait-e", "BTC/USDT", Side.BUY, OrderType.MARKET, Decimal("0.1"),
    ...           status=OrderStatus.FILLED, filled_qty=Decimal("0.1"), avg_price=Decimal("100"))
    >>> cfg = BacktestConfig(exits=Exits(stop_loss=0.02, take_profit=0.05))
    >>> todo = protective_orders(LiveOrder(e, "s", Role.ENTRY), Decimal("0.1"), set(), cfg, btc, 0)
    >>> [(o.role.value, o.order.type.value, str(o.order.stop_price or o.order.price))
    ...  for o, _ in todo]
    [('stop', 'stop', '98.00'), ('target', 'limit', '105.00')]
    """
    anchor, direction = entry.order.avg_price, sign(held)
    if anchor is None or direction == 0:
        return []
    side = Side.SELL if direction > 0 else Side.BUY
    symbol, qty = entry.order.symbol, abs(held)
    out: list[tuple[LiveOrder, Proposal]] = []
    for role, level in (
        (Role.STOP, stop_level(config, instrument, anchor, direction)),
        (Role.TARGET, target_level(config, instrument, anchor, direction)),
    ):
        if level is None or role in have:
            continue
        cid = client_order_id(entry.strategy, symbol, entry.client_id, role.value)
        stop = role is Role.STOP
        order = Order(cid, symbol, side, OrderType.STOP if stop else OrderType.LIMIT, qty,
                      price=None if stop else level, stop_price=level if stop else None,
                      created_ms=now_ms)  # fmt: skip
        live = LiveOrder(order, entry.strategy, role, entry.client_id, entry.bar_ts)
        out.append((live, Proposal(entry.strategy, symbol, side, qty, level)))
    return out
