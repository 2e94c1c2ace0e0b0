"""The fill model: whether, and at what price, one order fills within one bar.

Pure numba functions on scalars, shared by the backtest engine and (bar by bar)
by the simulated broker of the paper/live path, so both price orders the same
way. Prices are float64, quantities in base units, fees and slippage in quote
currency.

Fill rules for a **buy** (a sell mirrors them):

======================  ===============================================  ==========
order                   fills at                                          fee
======================  ===============================================  ==========
market                  the bar's open, plus slippage                     taker
market-on-close         the bar's close, plus slippage                    taker
limit ``L``             the open if ``open <= L`` (gap), else ``L`` if    taker at
                        ``low <= L``; never slippage                      open, else
                                                                          maker
stop ``S``              the open if ``open >= S`` (gap), else ``S`` if    taker
                        ``high >= S``; plus slippage
stop-limit ``S``/``L``  triggers like a stop; on trigger at the open it   as limit
                        then behaves as limit ``L``; triggered inside
                        the bar it fills at ``S`` (+ slippage, capped
                        at ``L``) when ``S <= L``, otherwise it becomes
                        a resting limit (status ``TRIGGERED``)
======================  ===============================================  ==========

Slippage is a fraction of the price: a fixed part plus an optional
volume-participation part ``impact * (qty / bar_volume) ** exponent``, the sum
capped. The fill price is rounded to the tick against the trader (buys up,
sells down), the quantity floored to the lot step, an order below the minimum
quantity or notional is rejected, and an order never commits more than
``cash_limit`` (cash for a buy, free cash as margin for a short sale) including
its fee.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

# Codes are numpy scalars, not Python ints: numba types a Python-int global as a
# literal and compiles a separate copy of every function it is passed to, per
# value (tens of seconds of JIT); a numpy scalar is a plain int64.

# Order types.
MARKET = np.int64(0)
LIMIT = np.int64(1)
STOP = np.int64(2)
STOP_LIMIT = np.int64(3)
MARKET_ON_CLOSE = np.int64(4)
ORDER_TYPE_NAMES = ("market", "limit", "stop", "stop_limit", "market_on_close")

# Sides.
BUY = np.int64(1)
SELL = np.int64(-1)

# Fill status (what ``match_price`` and ``fill_order`` return).
NOT_FILLED = 0
FILLED = 1
TRIGGERED = 2
REJECTED_MIN_NOTIONAL = 3
REJECTED_NO_CASH = 4
REJECTED_ZERO_QTY = 5
REJECTED_MIN_QTY = 6

# Relative tolerance used when snapping to a tick or a lot step, so that
# 0.3 / 0.1 counts as three steps and not 2.9999999999999996.
_SNAP = 1e-9
# Snapped values are rounded to this many decimals, so 3 lots of 0.1 are the
# float nearest 0.3 (as an exchange would print it), not 0.30000000000000004.
_DECIMALS = 12


class FillCosts(NamedTuple):
    """Cost and precision parameters of the fill model (fractions, not bps).

    Build it from :class:`~aitrader_core.backtest.config.Costs` with
    ``costs.fill_costs()`` rather than by hand.
    """

    maker_fee: float = 0.0
    taker_fee: float = 0.0
    slippage: float = 0.0
    impact: float = 0.0
    impact_exponent: float = 1.0
    max_slippage: float = math.inf
    tick_size: float = 0.0
    lot_step: float = 0.0
    min_notional: float = 0.0
    min_qty: float = 0.0


@njit(cache=True, nogil=True)
def match_price(
    order_type: int,
    side: int,
    limit_px: float,
    stop_px: float,
    bar_open: float,
    bar_high: float,
    bar_low: float,
    bar_close: float,
) -> tuple[int, float, bool]:
    """Decide whether an order trades in this bar and at which raw price.

    Returns ``(status, raw_price, maker)``: ``status`` is ``FILLED``,
    ``NOT_FILLED`` or ``TRIGGERED`` (a stop-limit whose stop fired but whose
    limit did not fill); ``raw_price`` is before slippage and rounding;
    ``maker`` tells whether the maker fee applies.

    Examples
    --------
    >>> match_price(LIMIT, BUY, 99.0, np.nan, 100.0, 101.0, 98.0, 100.5)
    (1, 99.0, True)
    >>> match_price(STOP, SELL, np.nan, 95.0, 94.0, 96.0, 93.0, 95.5)  # gap: the open
    (1, 94.0, False)
    """
    if order_type == MARKET:
        return FILLED, bar_open, False
    if order_type == MARKET_ON_CLOSE:
        return FILLED, bar_close, False
    buy = side == BUY
    if order_type == LIMIT:
        if buy:
            if bar_open <= limit_px:
                return FILLED, bar_open, False
            if bar_low <= limit_px:
                return FILLED, limit_px, True
        else:
            if bar_open >= limit_px:
                return FILLED, bar_open, False
            if bar_high >= limit_px:
                return FILLED, limit_px, True
        return NOT_FILLED, np.nan, False
    if order_type == STOP:
        if buy:
            if bar_open >= stop_px:
                return FILLED, bar_open, False
            if bar_high >= stop_px:
                return FILLED, stop_px, False
        else:
            if bar_open <= stop_px:
                return FILLED, bar_open, False
            if bar_low <= stop_px:
                return FILLED, stop_px, False
        return NOT_FILLED, np.nan, False
    if order_type == STOP_LIMIT:
        if buy:
            if bar_open >= stop_px:  # triggered at the open: now a limit order
                if bar_open <= limit_px:
                    return FILLED, bar_open, False
                if bar_low <= limit_px:
                    return FILLED, limit_px, True
                return TRIGGERED, np.nan, False
            if bar_high >= stop_px:  # triggered inside the bar at the stop price
                if stop_px <= limit_px:
                    return FILLED, stop_px, False
                return TRIGGERED, np.nan, False
        else:
            if bar_open <= stop_px:
                if bar_open >= limit_px:
                    return FILLED, bar_open, False
                if bar_high >= limit_px:
                    return FILLED, limit_px, True
                return TRIGGERED, np.nan, False
            if bar_low <= stop_px:
                if stop_px >= limit_px:
                    return FILLED, stop_px, False
                return TRIGGERED, np.nan, False
        return NOT_FILLED, np.nan, False
    return NOT_FILLED, np.nan, False


@njit(cache=True, nogil=True)
def slippage_fraction(qty: float, bar_volume: float, costs: FillCosts) -> float:
    """Slippage as a fraction of price for ``qty`` traded in a bar of ``bar_volume``.

    Examples
    --------
    >>> c = FillCosts(slippage=0.0005, impact=0.1, impact_exponent=1.0, max_slippage=0.01)
    >>> round(slippage_fraction(5.0, 1000.0, c), 10)  # 5 bps + 0.1 * 0.5 %
    0.001
    >>> slippage_fraction(1e6, 1000.0, c)  # capped
    0.01
    """
    slip = costs.slippage
    if costs.impact > 0.0:
        if bar_volume > 0.0 and np.isfinite(qty):
            slip += costs.impact * (abs(qty) / bar_volume) ** costs.impact_exponent
        else:  # no volume (or an unsized order): as illiquid as the cap allows
            slip = np.inf
    return min(slip, costs.max_slippage)


@njit(cache=True, nogil=True)
def round_price(price: float, side: int, tick_size: float) -> float:
    """Round ``price`` to the tick against the trader: buys up, sells down.

    Examples
    --------
    >>> round_price(100.012, BUY, 0.01), round_price(100.018, SELL, 0.01)
    (100.02, 100.01)
    """
    if tick_size <= 0.0:
        return price
    units = price / tick_size
    nearest = np.round(units)
    if abs(units - nearest) <= _SNAP * max(1.0, abs(units)):
        units = nearest
    elif side == BUY:
        units = np.ceil(units)
    else:
        units = np.floor(units)
    return np.round(units * tick_size, _DECIMALS)


@njit(cache=True, nogil=True)
def floor_qty(qty: float, lot_step: float) -> float:
    """Floor ``qty`` to a whole number of lots (``lot_step <= 0``: unchanged).

    Examples
    --------
    >>> floor_qty(0.123456, 0.001), floor_qty(0.3, 0.1)
    (0.123, 0.3)
    """
    if lot_step <= 0.0 or not np.isfinite(qty):
        return qty
    units = qty / lot_step
    nearest = np.round(units)
    snapped = abs(units - nearest) <= _SNAP * max(1.0, abs(units))
    return np.round((nearest if snapped else np.floor(units)) * lot_step, _DECIMALS)


@njit(cache=True, nogil=True)
def finalize_fill(
    side: int,
    qty: float,
    raw_px: float,
    slip: float,
    cap_px: float,
    fee_rate: float,
    costs: FillCosts,
    cash_limit: float,
) -> tuple[int, float, float, float, float]:
    """Turn a matched raw price into a fill: slippage, tick, cash cap, lot, minimum.

    ``cap_px`` (NaN for none) bounds the price after slippage (a stop-limit's
    limit). The quantity is cut so that ``qty * price + fee <= cash_limit``:
    for a buy the cash it may spend, for a short sale the free cash that
    margins it (pass ``inf`` for a sale that closes a long).

    Returns ``(status, qty, price, fee, slippage_cost)``.

    Examples
    --------
    >>> c = FillCosts(taker_fee=0.001, lot_step=0.001, min_notional=10.0)
    >>> finalize_fill(BUY, np.inf, 100.0, 0.0, np.nan, 0.001, c, 1000.0)[:3]
    (1, 9.99, 100.0)
    >>> finalize_fill(BUY, 0.05, 100.0, 0.0, np.nan, 0.001, c, 1000.0)[0] == REJECTED_MIN_NOTIONAL
    True
    """
    if side == BUY:
        px = raw_px * (1.0 + slip)
        if not np.isnan(cap_px) and px > cap_px:
            px = cap_px
    else:
        px = raw_px * (1.0 - slip)
        if not np.isnan(cap_px) and px < cap_px:
            px = cap_px
    px = round_price(px, side, costs.tick_size)
    spend_all = False
    if cash_limit < np.inf:
        if cash_limit <= 0.0:
            return REJECTED_NO_CASH, 0.0, px, 0.0, 0.0
        max_qty = cash_limit / (1.0 + fee_rate) / px
        if qty > max_qty:
            qty = max_qty
            spend_all = side == BUY and costs.lot_step <= 0.0
    qty = floor_qty(qty, costs.lot_step)
    if not qty > 0.0 or not np.isfinite(qty):
        return REJECTED_ZERO_QTY, 0.0, px, 0.0, 0.0
    if qty < costs.min_qty:
        return REJECTED_MIN_QTY, qty, px, 0.0, 0.0
    notional = qty * px
    if notional < costs.min_notional:
        return REJECTED_MIN_NOTIONAL, qty, px, 0.0, 0.0
    # When the cash cap binds, the fee is what is left of the budget, so the
    # cash balance lands exactly on zero (vectorbt does the same).
    fee = cash_limit - notional if spend_all else notional * fee_rate
    return FILLED, qty, px, fee, abs(px - raw_px) * qty


@njit(cache=True, nogil=True)
def fill_order(
    order_type: int,
    side: int,
    qty: float,
    limit_px: float,
    stop_px: float,
    bar_open: float,
    bar_high: float,
    bar_low: float,
    bar_close: float,
    bar_volume: float,
    costs: FillCosts,
    cash_limit: float = np.inf,
) -> tuple[int, float, float, float, float]:
    """Try to fill one order within one bar.

    Parameters
    ----------
    order_type
        ``MARKET``, ``LIMIT``, ``STOP``, ``STOP_LIMIT`` or ``MARKET_ON_CLOSE``.
    side
        ``BUY`` (+1) or ``SELL`` (-1).
    qty
        Quantity in base units (``inf``: as much as ``cash_limit`` buys).
    limit_px, stop_px
        Limit and stop prices (NaN where not used).
    bar_open, bar_high, bar_low, bar_close, bar_volume
        The bar the order lives through (a market order fills at its open).
    costs
        Fees, slippage and exchange precision.
    cash_limit
        Quote currency a buy may spend, fee included.

    Returns
    -------
    (status, qty, price, fee, slippage_cost)
        ``status`` is ``FILLED``, ``NOT_FILLED``, ``TRIGGERED`` (a stop-limit
        that now rests as a limit) or one of the ``REJECTED_*`` codes.

    Examples
    --------
    >>> c = FillCosts(maker_fee=0.001, taker_fee=0.002, slippage=0.001)
    >>> fill_order(MARKET, BUY, 2.0, np.nan, np.nan, 100.0, 102.0, 99.0, 101.0, 50.0, c)
    (1, 2.0, 100.1, 0.4004, 0.19999999999998863)
    >>> fill_order(LIMIT, SELL, 1.0, 101.5, np.nan, 100.0, 102.0, 99.0, 101.0, 50.0, c)[:4]
    (1, 1.0, 101.5, 0.1015)
    """
    status, raw, maker = match_price(
        order_type, side, limit_px, stop_px, bar_open, bar_high, bar_low, bar_close
    )
    if status != FILLED:
        return status, 0.0, raw, 0.0, 0.0
    fee_rate = costs.maker_fee if maker else costs.taker_fee
    slip = 0.0
    if order_type != LIMIT and not maker:
        slip = slippage_fraction(qty, bar_volume, costs)
    cap = limit_px if order_type == STOP_LIMIT else np.nan
    return finalize_fill(side, qty, raw, slip, cap, fee_rate, costs, cash_limit)
