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

# Codes are numpy scalars so numba does not specialise callees per literal value
# (see fills.py).

# Why an order was placed.
REASON_SIGNAL = np.int64(0)
REASON_SL = np.int64(1)
REASON_TP = np.int64(2)
REASON_TRAIL = np.int64(3)
REASON_TIME = np.int64(4)
REASON_END = np.int64(5)
REASON_NAMES = ("signal", "sl", "tp", "trail", "time", "end")
#: Exit reason of a trade still open at the end (``close_at_end=False``).
REASON_OPEN = np.int64(-1)

# What became of it.
STATUS_FILLED = np.int64(0)
STATUS_REJECTED = np.int64(1)
STATUS_CANCELLED = np.int64(2)
STATUS_EXPIRED = np.int64(3)
STATUS_NAMES = ("filled", "rejected", "cancelled", "expired")

# Why it was rejected.
REJECT_NONE = np.int64(0)
REJECT_MIN_NOTIONAL = np.int64(1)
REJECT_NO_CASH = np.int64(2)
REJECT_ZERO_QTY = np.int64(3)
REJECT_NO_STOP = np.int64(4)
REJECT_MIN_QTY = np.int64(5)
REJECT_NAMES = ("", "min_notional", "no_cash", "zero_qty", "no_stop", "min_qty")

TRADE_OPEN = np.int64(0)
TRADE_CLOSED = np.int64(1)
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
