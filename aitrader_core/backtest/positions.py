"""Position book-keeping inside the engine: open, close, protective exits.

numba helpers that mutate the engine's state in place. Per-symbol state is a
row of the float64 matrix ``st`` (columns ``S_*``); the shared account is the
vector ``acct`` (``A_*``): cash, free cash (cash not committed as short
margin) and the closed-trade statistics a Kelly estimate needs. Cash follows
vectorbt's model: a short sale credits its proceeds to cash and commits its
value as margin (free cash falls by value plus fee); equity is cash plus
signed position times price.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from numba import njit

from aitrader_core.backtest import records as R
from aitrader_core.backtest.fills import (
    BUY,
    FILLED,
    LIMIT,
    REJECTED_MIN_NOTIONAL,
    REJECTED_MIN_QTY,
    REJECTED_NO_CASH,
    SELL,
    STOP,
    FillCosts,
    finalize_fill,
    match_price,
    round_price,
    slippage_fraction,
)
from aitrader_core.backtest.sizing import SIZE_KELLY, SIZE_PCT_CASH, entry_quantity, kelly_estimate

FloatMatrix = npt.NDArray[np.float64]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# Per-symbol state columns.
(
    S_POS,  # signed quantity
    S_DEBT,  # value committed as short margin
    S_ENTRY_BAR,
    S_ANCHOR,  # entry reference price (before slippage): stops are measured from it
    S_TRADE,  # row of the open trade, -1 if flat
    S_SL,
    S_TP,
    S_TRAIL,  # current trailing level (NaN: no trailing stop)
    S_HWM,  # high-water mark (low-water mark for a short)
    S_EXT_LO,
    S_EXT_HI,
    S_RANGE_FROM,  # first bar whose whole high-low range the position lived through
    S_EXITED_BAR,  # bar of the last protective exit
    PE_DIR,  # pending entry: +1 / -1, 0 none
    PE_TYPE,
    PE_LIMIT,
    PE_STOP,
    PE_SIG,
    PE_EXPIRY,
    PE_SIZE,
    PE_SL,
    PE_TP,
    PE_ATR,
    PX_REASON,  # pending market exit at the next open: its reason, -1 none
    PX_SIG,
    N_STATE,
) = range(26)

A_CASH, A_FREE, A_KN, A_KW, A_KSW, A_KSL = range(6)

# Flag arguments as numpy booleans: a literal True/False would make numba compile
# a separate copy of the callee for each value (see fills.py).
NO = np.bool_(False)
YES = np.bool_(True)

INTRABAR_PESSIMISTIC = 0
INTRABAR_OPTIMISTIC = 1
INTRABAR_VECTORBT = 2


class EngineParams(NamedTuple):
    """Scalar settings of one engine run (built from a BacktestConfig by the runner)."""

    init_cash: float
    next_open: bool
    intrabar: int
    stop_exact: bool
    allow_long: bool
    allow_short: bool
    on_opposite: int
    entry_order: int
    entry_offset: float
    stop_limit_offset: float
    order_ttl: int
    close_at_end: bool
    sl_pct: float
    tp_pct: float
    trail_pct: float
    trail_atr: float
    max_bars: int
    size_mode: int
    kelly_multiplier: float
    kelly_cap: float
    kelly_min_trades: float
    kelly_fallback: float


@njit(cache=True, nogil=True)
def new_state(n_cols: int, init_cash: float) -> tuple[FloatMatrix, FloatArray]:
    """Fresh per-symbol state and account."""
    st = np.full((n_cols, N_STATE), np.nan)
    st[:, S_POS] = 0.0
    st[:, S_DEBT] = 0.0
    st[:, S_TRADE] = -1.0
    st[:, S_EXITED_BAR] = -1.0
    st[:, PE_DIR] = 0.0
    st[:, PE_TYPE] = 0.0
    st[:, PX_REASON] = -1.0
    acct = np.zeros(6)
    acct[A_CASH] = init_cash
    acct[A_FREE] = init_cash
    return st, acct


@njit(cache=True, nogil=True)
def log_order(
    orders: FloatMatrix,
    cnt: IntArray,
    col: int,
    bar: int,
    sig: float,
    otype: int,
    side: int,
    reason: int,
    status: int,
    reject: int,
    qreq: float,
    qty: float,
    px: float,
    ref: float,
    fee: float,
    slip: float,
    pos: float,
    cash: float,
) -> None:
    """Append one row to the order journal."""
    row = orders[cnt[0]]
    row[R.O_COL] = col
    row[R.O_BAR] = bar
    row[R.O_SIG] = sig
    row[R.O_TYPE] = otype
    row[R.O_SIDE] = side
    row[R.O_REASON] = reason
    row[R.O_STATUS] = status
    row[R.O_REJECT] = reject
    row[R.O_QREQ] = qreq
    row[R.O_QTY] = qty
    row[R.O_PRICE] = px
    row[R.O_REF] = ref
    row[R.O_FEE] = fee
    row[R.O_SLIP] = slip
    row[R.O_POS] = pos
    row[R.O_CASH] = cash
    cnt[0] += 1


@njit(cache=True, nogil=True)
def equity_now(st: FloatMatrix, acct: FloatArray, mark: FloatArray) -> float:
    """Cash plus every position at its latest price."""
    eq = acct[A_CASH]
    for j in range(st.shape[0]):
        if st[j, S_POS] != 0.0:
            eq += st[j, S_POS] * mark[j]
    return eq


@njit(cache=True, nogil=True)
def tighter(level: float, cand: float, d: float) -> float:
    """The tighter of two stop levels for direction ``d`` (NaN-aware)."""
    if np.isnan(cand):
        return level
    if np.isnan(level):
        return cand
    return max(level, cand) if d > 0 else min(level, cand)


@njit(cache=True, nogil=True)
def enter(
    st: FloatMatrix,
    acct: FloatArray,
    cnt: IntArray,
    orders: FloatMatrix,
    trades: FloatMatrix,
    mark: FloatArray,
    j: int,
    i: int,
    otype: int,
    raw: float,
    maker: bool,
    cap_px: float,
    range_from: int,
    vol: float,
    p: EngineParams,
    c: FillCosts,
) -> bool:
    """Open the pending entry of symbol ``j`` at raw price ``raw``; return whether it filled."""
    d = st[j, PE_DIR]
    sig = st[j, PE_SIG]
    side = BUY if d > 0 else SELL
    anchor = raw
    sl = st[j, PE_SL]
    if np.isnan(sl) and not np.isnan(p.sl_pct):
        sl = anchor * (1.0 - d * p.sl_pct)
    tp = st[j, PE_TP]
    if np.isnan(tp) and not np.isnan(p.tp_pct):
        tp = anchor * (1.0 + d * p.tp_pct)
    trail = np.nan
    if not np.isnan(p.trail_pct):
        trail = anchor * (1.0 - d * p.trail_pct)
    if not np.isnan(p.trail_atr) and not np.isnan(st[j, PE_ATR]):
        trail = tighter(trail, anchor - d * p.trail_atr * st[j, PE_ATR], d)

    kelly_f = 0.0
    if p.size_mode == SIZE_KELLY:
        kelly_f = kelly_estimate(
            acct[A_KN],
            acct[A_KW],
            acct[A_KSW],
            acct[A_KSL],
            p.kelly_multiplier,
            p.kelly_cap,
            p.kelly_min_trades,
            p.kelly_fallback,
        )
    eq = equity_now(st, acct, mark)
    qreq = entry_quantity(p.size_mode, st[j, PE_SIZE], anchor, eq, tighter(sl, trail, d), kelly_f)
    cash = acct[A_CASH]
    if np.isnan(qreq):
        log_order(orders, cnt, j, i, sig, otype, side, R.REASON_SIGNAL, R.STATUS_REJECTED,
                  R.REJECT_NO_STOP, qreq, 0.0, np.nan, raw, 0.0, 0.0, st[j, S_POS],
                  cash)  # fmt: skip
        return False
    fee_rate = c.maker_fee if maker else c.taker_fee
    budget = acct[A_CASH] if d > 0 else acct[A_FREE]
    if p.size_mode == SIZE_PCT_CASH:
        budget *= st[j, PE_SIZE]
    slip = 0.0
    if otype != LIMIT and not maker:
        q_est = qreq if np.isfinite(qreq) else max(budget, 0.0) / (raw * (1.0 + fee_rate))
        slip = slippage_fraction(q_est, vol, c)
    status, qty, px, fee, slip_cost = finalize_fill(
        side, qreq, raw, slip, cap_px, fee_rate, c, budget
    )
    if status != FILLED:
        reject = R.REJECT_ZERO_QTY
        if status == REJECTED_MIN_NOTIONAL:
            reject = R.REJECT_MIN_NOTIONAL
        elif status == REJECTED_MIN_QTY:
            reject = R.REJECT_MIN_QTY
        elif status == REJECTED_NO_CASH:
            reject = R.REJECT_NO_CASH
        log_order(orders, cnt, j, i, sig, otype, side, R.REASON_SIGNAL, R.STATUS_REJECTED,
                  reject, qreq, 0.0, px, raw, 0.0, 0.0, st[j, S_POS], cash)  # fmt: skip
        return False

    notional = qty * px
    if d > 0:
        acct[A_CASH] -= notional + fee
        acct[A_FREE] -= notional + fee
    else:
        acct[A_CASH] += notional - fee
        acct[A_FREE] -= notional + fee
        st[j, S_DEBT] = notional
    st[j, S_POS] = d * qty
    k = cnt[1]
    t = trades[k]
    t[:] = np.nan
    t[R.T_COL] = j
    t[R.T_DIR] = d
    t[R.T_ENTRY_BAR] = i
    t[R.T_QTY] = qty
    t[R.T_ENTRY_PX] = px
    t[R.T_ENTRY_FEES] = fee
    t[R.T_STATUS] = R.TRADE_OPEN
    cnt[1] = k + 1
    st[j, S_TRADE] = k
    st[j, S_ENTRY_BAR] = i
    st[j, S_ANCHOR] = anchor
    st[j, S_SL] = sl
    st[j, S_TP] = tp
    st[j, S_TRAIL] = trail
    st[j, S_HWM] = anchor
    st[j, S_EXT_LO] = px
    st[j, S_EXT_HI] = px
    st[j, S_RANGE_FROM] = range_from
    log_order(orders, cnt, j, i, sig, otype, side, R.REASON_SIGNAL, R.STATUS_FILLED,
              R.REJECT_NONE, qreq, qty, px, raw, fee, slip_cost, st[j, S_POS],
              acct[A_CASH])  # fmt: skip
    return True


@njit(cache=True, nogil=True)
def close_trade(
    trades: FloatMatrix, k: int, bar: int, px: float, fee: float, reason: int, status: int
) -> float:
    """Fill the exit side of trade ``k``; return its return (PnL over entry value)."""
    t = trades[k]
    qty = t[R.T_QTY]
    entry_px = t[R.T_ENTRY_PX]
    # Same arithmetic as vectorbt's trade records, so parity holds to rounding.
    entry_val = qty * entry_px
    val_diff = qty * px - entry_val
    if t[R.T_DIR] < 0:
        val_diff = -val_diff
    pnl = val_diff - t[R.T_ENTRY_FEES] - fee
    t[R.T_EXIT_BAR] = bar
    t[R.T_EXIT_PX] = px
    t[R.T_EXIT_FEES] = fee
    t[R.T_PNL] = pnl
    t[R.T_RET] = pnl / entry_val
    t[R.T_REASON] = reason
    t[R.T_STATUS] = status
    return pnl / entry_val


@njit(cache=True, nogil=True)
def excursions(trades: FloatMatrix, k: int, lo: float, hi: float) -> None:
    """Store MAE/MFE of trade ``k`` (fractions of its entry price) from the extremes seen."""
    t = trades[k]
    e = t[R.T_ENTRY_PX]
    if t[R.T_DIR] > 0:
        t[R.T_MAE] = min(lo / e - 1.0, 0.0)
        t[R.T_MFE] = max(hi / e - 1.0, 0.0)
    else:
        t[R.T_MAE] = min(1.0 - hi / e, 0.0)
        t[R.T_MFE] = max(1.0 - lo / e, 0.0)


@njit(cache=True, nogil=True)
def exit_position(
    st: FloatMatrix,
    acct: FloatArray,
    cnt: IntArray,
    orders: FloatMatrix,
    trades: FloatMatrix,
    j: int,
    i: int,
    sig: float,
    otype: int,
    raw: float,
    maker: bool,
    slip_ok: bool,
    reason: int,
    vol: float,
    c: FillCosts,
) -> None:
    """Close symbol ``j``'s whole position at raw price ``raw`` (exits are never rejected)."""
    pos = st[j, S_POS]
    d = 1.0 if pos > 0 else -1.0
    qty = abs(pos)
    side = SELL if d > 0 else BUY
    slip = slippage_fraction(qty, vol, c) if slip_ok else 0.0
    px = round_price(raw * (1.0 - d * slip), side, c.tick_size)
    fee = qty * px * (c.maker_fee if maker else c.taker_fee)
    notional = qty * px
    if d > 0:
        acct[A_CASH] += notional - fee
        acct[A_FREE] += notional - fee
    else:
        acct[A_CASH] -= notional + fee
        acct[A_FREE] += 2.0 * st[j, S_DEBT] - (notional + fee)
        st[j, S_DEBT] = 0.0
    st[j, S_POS] = 0.0
    k = int(st[j, S_TRADE])
    ret = close_trade(trades, k, i, px, fee, reason, R.TRADE_CLOSED)
    excursions(trades, k, min(st[j, S_EXT_LO], px), max(st[j, S_EXT_HI], px))
    acct[A_KN] += 1.0
    if ret > 0.0:
        acct[A_KW] += 1.0
        acct[A_KSW] += ret
    else:
        acct[A_KSL] -= ret
    st[j, S_TRADE] = -1.0
    st[j, S_SL] = np.nan
    st[j, S_TP] = np.nan
    st[j, S_TRAIL] = np.nan
    log_order(orders, cnt, j, i, sig, otype, side, reason, R.STATUS_FILLED, R.REJECT_NONE,
              qty, qty, px, raw, fee, abs(px - raw) * qty, 0.0, acct[A_CASH])  # fmt: skip


@njit(cache=True, nogil=True)
def check_exits(
    st: FloatMatrix,
    acct: FloatArray,
    cnt: IntArray,
    orders: FloatMatrix,
    trades: FloatMatrix,
    j: int,
    i: int,
    o: float,
    h: float,
    lo: float,
    cl: float,
    vol: float,
    after_open: bool,
    p: EngineParams,
    c: FillCosts,
) -> bool:
    """Fire symbol ``j``'s stop, trailing stop or target in this bar; return whether it exited.

    ``after_open``: the position opened inside this bar, so only the stop is
    checked and the open is not a price it lived through (pessimistic).
    """
    pos = st[j, S_POS]
    if pos == 0.0:
        return False
    d = 1.0 if pos > 0 else -1.0
    side = SELL if d > 0 else BUY
    stop = st[j, S_SL]
    reason = R.REASON_SL
    trail = st[j, S_TRAIL]
    if not np.isnan(trail) and (np.isnan(stop) or d * (trail - stop) > 0.0):
        stop = trail
        reason = R.REASON_TRAIL
    tp = np.nan if after_open else st[j, S_TP]
    stop_hit = False
    stop_px = np.nan
    gap_stop = False
    if not np.isnan(stop):
        if after_open:
            stop_hit = lo <= stop if d > 0 else h >= stop
            stop_px = stop
        else:
            status, stop_px, _ = match_price(STOP, side, np.nan, stop, o, h, lo, cl)
            stop_hit = status == FILLED
            gap_stop = stop_hit and (o <= stop if d > 0 else o >= stop)
    tp_hit = False
    tp_px = np.nan
    gap_tp = False
    if not np.isnan(tp):
        status, tp_px, _ = match_price(LIMIT, side, tp, np.nan, o, h, lo, cl)
        tp_hit = status == FILLED
        gap_tp = tp_hit and (o >= tp if d > 0 else o <= tp)
    if not (stop_hit or tp_hit):
        return False
    take_stop = stop_hit
    if stop_hit and tp_hit and p.intrabar != INTRABAR_VECTORBT:
        if gap_stop:
            take_stop = True
        elif gap_tp:
            take_stop = False
        else:
            take_stop = p.intrabar == INTRABAR_PESSIMISTIC
    sig = float(i)
    if take_stop:
        exit_position(st, acct, cnt, orders, trades, j, i, sig, STOP, stop_px, NO,
                      not p.stop_exact, reason, vol, c)  # fmt: skip
    else:
        exit_position(st, acct, cnt, orders, trades, j, i, sig, LIMIT, tp_px, not gap_tp,
                      NO, R.REASON_TP, vol, c)  # fmt: skip
    st[j, S_EXITED_BAR] = i
    return True


@njit(cache=True, nogil=True)
def exit_market(
    st: FloatMatrix,
    acct: FloatArray,
    cnt: IntArray,
    orders: FloatMatrix,
    trades: FloatMatrix,
    j: int,
    i: int,
    sig: float,
    otype: int,
    raw: float,
    reason: int,
    vol: float,
    c: FillCosts,
) -> None:
    """Close symbol ``j`` with a market order (taker, slippage) at ``raw``."""
    exit_position(st, acct, cnt, orders, trades, j, i, sig, otype, raw, NO, YES, reason, vol, c)
