"""Layouts of the engine's raw records and its code tables.

The engine writes orders and trades as rows of float64 matrices (numba grows
them as needed); :mod:`~aitrader_core.backtest.results` turns them into
labelled DataFrames with these names.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

FloatMatrix = npt.NDArray[np.float64]

#: Columns of the order journal, one row per order event.
ORDER_FIELDS = (
    "col",
    "bar",
    "signal_bar",
    "order_type",
    "side",
    "reason",
    "status",
    "reject_reason",
    "qty_requested",
    "qty",
    "price",
    "ref_price",
    "fee",
    "slippage",
    "position",
    "cash",
)
(
    O_COL,
    O_BAR,
    O_SIG,
    O_TYPE,
    O_SIDE,
    O_REASON,
    O_STATUS,
    O_REJECT,
    O_QREQ,
    O_QTY,
    O_PRICE,
    O_REF,
    O_FEE,
    O_SLIP,
    O_POS,
    O_CASH,
) = range(len(ORDER_FIELDS))

#: Columns of the trades table, one row per round trip.
TRADE_FIELDS = (
    "col",
    "direction",
    "entry_bar",
    "exit_bar",
    "qty",
    "entry_price",
    "exit_price",
    "entry_fees",
    "exit_fees",
    "pnl",
    "return",
    "mae",
    "mfe",
    "exit_reason",
    "status",
)
(
    T_COL,
    T_DIR,
    T_ENTRY_BAR,
    T_EXIT_BAR,
    T_QTY,
    T_ENTRY_PX,
    T_EXIT_PX,
    T_ENTRY_FEES,
    T_EXIT_FEES,
    T_PNL,
    T_RET,
    T_MAE,
    T_MFE,
    T_REASON,
    T_STATUS,
) = range(len(TRADE_FIELDS))

# Why an order was placed.
REASON_SIGNAL = 0
REASON_SL = 1
REASON_TP = 2
REASON_TRAIL = 3
REASON_TIME = 4
REASON_END = 5
REASON_NAMES = ("signal", "sl", "tp", "trail", "time", "end")

# What became of it.
STATUS_FILLED = 0
STATUS_REJECTED = 1
STATUS_CANCELLED = 2
STATUS_EXPIRED = 3
STATUS_NAMES = ("filled", "rejected", "cancelled", "expired")

# Why it was rejected.
REJECT_NONE = 0
REJECT_MIN_NOTIONAL = 1
REJECT_NO_CASH = 2
REJECT_ZERO_QTY = 3
REJECT_NO_STOP = 4
REJECT_MIN_QTY = 5
REJECT_NAMES = ("", "min_notional", "no_cash", "zero_qty", "no_stop", "min_qty")

TRADE_OPEN = 0
TRADE_CLOSED = 1
TRADE_STATUS_NAMES = ("open", "closed")


@njit(cache=True, nogil=True)
def ensure_rows(buf: FloatMatrix, used: int, extra: int) -> FloatMatrix:
    """Return ``buf``, or a copy twice as large when fewer than ``extra`` rows are free."""
    if used + extra <= buf.shape[0]:
        return buf
    grown = np.empty((max(2 * buf.shape[0], used + extra), buf.shape[1]))
    # An element loop: a slice assignment would compile numba's shape-error
    # formatting, which costs seconds of JIT for nothing.
    for r in range(used):
        for c in range(buf.shape[1]):
            grown[r, c] = buf[r, c]
    return grown
