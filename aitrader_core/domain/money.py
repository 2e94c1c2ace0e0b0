"""Exact amounts: Decimal prices and quantities snapped to an instrument's precision.

Floats belong to research; anything that becomes an order, a fill, a balance
or a journal line is a ``Decimal``. :func:`to_decimal` is the one boundary
where a float becomes money, and :class:`Instrument` the one place amounts are
snapped to an exchange's tick, lot and minimum notional.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_UP, Decimal, InvalidOperation

from aitrader_core.errors import ValidationError

ZERO = Decimal(0)


def to_decimal(value: Decimal | float | int | str, *, field: str = "amount") -> Decimal:
    """Convert to Decimal without binary-float noise (``0.1`` → ``Decimal('0.1')``).

    Examples
    --------
    >>> to_decimal(0.1), to_decimal("61000.5"), to_decimal(3)
    (Decimal('0.1'), Decimal('61000.5'), Decimal('3'))
    """
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        raise ValidationError("must be a number, not a boolean", field=field)
    elif isinstance(value, float):
        result = Decimal(repr(value))
    else:
        try:
            result = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValidationError(f"{value!r} is not a number", field=field) from None
    if not result.is_finite():
        raise ValidationError(f"{value!r} is not a finite number", field=field)
    return result


@dataclass(frozen=True)
class Instrument:
    """A tradable symbol and its exchange precision rules.

    Examples
    --------
    >>> btc = Instrument("BTC/USDT", "BTC", "USDT", Decimal("0.01"), Decimal("0.00001"),
    ...                  Decimal("0.00001"), Decimal("5"))
    >>> btc.snap_qty(Decimal("0.123456789")), btc.snap_price(Decimal("61000.129"))
    (Decimal('0.12345'), Decimal('61000.13'))
    >>> btc.check_order(Decimal("0.00001"), Decimal("61000"))
    'notional 0.61000 below the minimum 5'
    """

    symbol: str
    base: str
    quote: str
    price_tick: Decimal
    qty_step: Decimal
    min_qty: Decimal = ZERO
    min_notional: Decimal = ZERO

    def snap_qty(self, qty: Decimal) -> Decimal:
        """Round a quantity down to the lot step (never more than asked)."""
        return _snap(qty, self.qty_step, ROUND_DOWN)

    def snap_price(self, price: Decimal, *, side: str | None = None) -> Decimal:
        """Round a price to the tick: nearest, or passive for a side.

        A buy limit rounds down and a sell limit rounds up, so snapping never
        makes an order more aggressive than the strategy asked.
        """
        mode = ROUND_HALF_EVEN if side is None else (ROUND_DOWN if side == "buy" else ROUND_UP)
        return _snap(price, self.price_tick, mode)

    def check_order(self, qty: Decimal, price: Decimal) -> str | None:
        """Why an order of ``qty`` at ``price`` is not acceptable, or ``None``."""
        if qty <= 0:
            return "quantity must be positive"
        if qty < self.min_qty:
            return f"quantity {qty} below the minimum {self.min_qty}"
        if self.snap_qty(qty) != qty:
            return f"quantity {qty} is not a multiple of the lot step {self.qty_step}"
        if price <= 0:
            return "price must be positive"
        if qty * price < self.min_notional:
            return f"notional {qty * price} below the minimum {self.min_notional}"
        return None


def _snap(value: Decimal, step: Decimal, mode: str) -> Decimal:
    if step <= 0:
        return value
    units = (value / step).to_integral_value(rounding=mode)
    return (units * step).quantize(step)
