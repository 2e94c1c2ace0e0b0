"""The event loop: bars in time order, every symbol sharing one cash account.

One numba kernel, :func:`simulate`, runs a single symbol (one column) or a
portfolio (several columns of aligned bars). Each bar goes through fixed
phases, so the order of events is explicit and free of look-ahead:

1. **open** (``next_open`` timing): pending market exits fill at the open,
   then pending market entries (exits first so their cash is free);
2. **intrabar**: stops, trailing stops and targets of open positions
   (gap at the open, then stop vs target by the ``intrabar`` rule), then
   resting limit/stop entries (a fill inside the bar may still be stopped
   out in that bar, never take profit there);
3. **close**: excursions and trailing levels take in the bar, then the bar's
   signals and the time stop decide; with ``close`` timing their orders fill
   at this close (exits of every symbol before entries), with ``next_open``
   they wait for the next bar's open;
4. on the last bar pending orders are cancelled and, with ``close_at_end``,
   positions closed at the close.

Signals are bit flags per bar and symbol (``LONG_ENTRY | LONG_EXIT |
SHORT_ENTRY | SHORT_EXIT``); conflicts resolve as vectorbt resolves them with
its default settings (an entry and an exit of one direction together cancel;
long and short entries together cancel; an opposite entry reverses, closes or
is ignored per ``on_opposite``). A bar with NaN close is skipped for that
symbol (its pending orders wait).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

from aitrader_core.backtest import records as R
from aitrader_core.backtest.fills import (
    BUY,
    FILLED,
    LIMIT,
    MARKET,
    MARKET_ON_CLOSE,
    SELL,
    STOP_LIMIT,
    TRIGGERED,
    FillCosts,
    match_price,
    round_price,
)
from aitrader_core.backtest.positions import (
    A_CASH,
    NO,
    PE_ATR,
    PE_DIR,
    PE_EXPIRY,
    PE_LIMIT,
    PE_SIG,
    PE_SIZE,
    PE_SL,
    PE_STOP,
    PE_TP,
    PE_TYPE,
    PX_REASON,
    PX_SIG,
    S_ENTRY_BAR,
    S_EXITED_BAR,
    S_EXT_HI,
    S_EXT_LO,
    S_HWM,
    S_POS,
    S_RANGE_FROM,
    S_SL,
    S_TP,
    S_TRADE,
    S_TRAIL,
    YES,
    EngineParams,
    check_exits,
    close_trade,
    enter,
    excursions,
    exit_market,
    log_order,
    new_state,
    tighter,
)

FloatMatrix = npt.NDArray[np.float64]
FloatArray = npt.NDArray[np.float64]

LONG_ENTRY = 1
LONG_EXIT = 2
SHORT_ENTRY = 4
SHORT_EXIT = 8

OPPOSITE_REVERSE = 0
OPPOSITE_CLOSE = 1
OPPOSITE_IGNORE = 2


@njit(cache=True, nogil=True)
def decide(
    flags: int, pos: float, pending: float, allow_long: bool, allow_short: bool, on_opposite: int
) -> tuple[bool, int, bool]:
    """Resolve one bar's signal flags against the position.

    Returns ``(exit, enter, cancel)``: close the position; open +1/-1 (0: no);
    cancel the resting entry (``pending`` is its direction, 0 if none).

    Examples
    --------
    >>> decide(LONG_ENTRY, 0.0, 0.0, True, False, OPPOSITE_REVERSE)
    (False, 1, False)
    >>> decide(SHORT_ENTRY | LONG_EXIT, 2.0, 0.0, True, True, OPPOSITE_REVERSE)  # reverse
    (True, -1, False)
    >>> decide(LONG_ENTRY | LONG_EXIT, 0.0, 0.0, True, True, OPPOSITE_REVERSE)  # conflict
    (False, 0, False)
    """
    le = allow_long and (flags & LONG_ENTRY) != 0
    lx = allow_long and (flags & LONG_EXIT) != 0
    se = allow_short and (flags & SHORT_ENTRY) != 0
    sx = allow_short and (flags & SHORT_EXIT) != 0
    if le or se:
        if le and lx:
            le = lx = False
        if se and sx:
            se = sx = False
        if le and se:
            le = se = False
        if pos > 0 and se and on_opposite != OPPOSITE_REVERSE:
            se = False
            lx = lx or on_opposite == OPPOSITE_CLOSE
        if pos < 0 and le and on_opposite != OPPOSITE_REVERSE:
            le = False
            sx = sx or on_opposite == OPPOSITE_CLOSE
    if pos > 0:
        if se:
            return True, -1, False
        return lx, 0, False
    if pos < 0:
        if le:
            return True, 1, False
        return sx, 0, False
    if pending > 0:
        if se:
            return False, -1, True
        return False, 0, lx
    if pending < 0:
        if le:
            return False, 1, True
        return False, 0, sx
    if le:
        return False, 1, False
    if se:
        return False, -1, False
    return False, 0, False


@njit(cache=True, nogil=True)
def _flex(a: FloatMatrix, i: int, j: int) -> float:
    """``a[i, j]``, or ``a[0, j]`` when ``a`` holds one row for every bar."""
    return a[i, j] if a.shape[0] > 1 else a[0, j]


@njit(cache=True, nogil=True)
def simulate(
    open_: FloatMatrix,
    high: FloatMatrix,
    low: FloatMatrix,
    close: FloatMatrix,
    volume: FloatMatrix,
    flags: npt.NDArray[np.int8],
    size_values: FloatMatrix,
    stop_hint: FloatMatrix,
    target_hint: FloatMatrix,
    entry_price: FloatMatrix,
    atr: FloatMatrix,
    p: EngineParams,
    c: FillCosts,
) -> tuple[FloatMatrix, FloatMatrix, FloatArray, FloatArray, FloatMatrix]:
    """Run the backtest over ``n`` bars of ``k`` symbols.

    Price, volume and flag arrays are ``(n, k)``; ``size_values``, the hints
    and ``atr`` are ``(n, k)`` or ``(1, k)`` (one value for every bar).

    Returns ``(orders, trades, equity, cash, positions)``: the order journal
    and the trades as matrices laid out by ``records.ORDER_FIELDS`` /
    ``TRADE_FIELDS``, and per-bar equity, cash and positions at each close.
    """
    n, k = close.shape
    st, acct = new_state(k, p.init_cash)
    cnt = np.zeros(2, dtype=np.int64)
    orders = np.empty((64 + n // 16, len(R.ORDER_FIELDS)))
    trades = np.empty((16 + n // 64, len(R.TRADE_FIELDS)))
    equity = np.empty(n)
    cash_out = np.empty(n)
    positions = np.zeros((n, k))
    mark = np.full(k, np.nan)
    nan = np.nan

    for i in range(n):
        if cnt[0] + 8 * k > orders.shape[0]:
            orders = R.ensure_rows(orders, cnt[0], 8 * k)
        if cnt[1] + 2 * k > trades.shape[0]:
            trades = R.ensure_rows(trades, cnt[1], 2 * k)
        # Row of the per-bar inputs given as one row for every bar.
        r_hint = i if stop_hint.shape[0] > 1 else 0
        r_target = i if target_hint.shape[0] > 1 else 0
        r_atr = i if atr.shape[0] > 1 else 0
        last = i == n - 1

        # 1. open: pending market orders (exits of every symbol, then entries)
        if p.next_open:
            for j in range(k):
                if np.isnan(close[i, j]):
                    continue
                mark[j] = open_[i, j]
                if st[j, PX_REASON] >= 0:
                    if st[j, S_POS] != 0.0:
                        why = int(st[j, PX_REASON])
                        exit_market(st, acct, cnt, orders, trades, j, i, st[j, PX_SIG], MARKET,
                                    open_[i, j], why, volume[i, j], c)  # fmt: skip
                    st[j, PX_REASON] = -1.0
            for j in range(k):
                if np.isnan(close[i, j]) or st[j, PE_DIR] == 0 or st[j, PE_TYPE] != MARKET:
                    continue
                enter(st, acct, cnt, orders, trades, mark, j, i, MARKET, open_[i, j], NO,
                      nan, i, volume[i, j], p, c)  # fmt: skip
                st[j, PE_DIR] = 0.0

        # 2. intrabar: protective exits, then resting entries
        for j in range(k):
            pos = st[j, S_POS]
            if np.isnan(close[i, j]) or pos == 0.0:
                continue
            # Cheap test first (NaN levels compare False); the call only when a level is hit.
            hi, lo = high[i, j], low[i, j]
            if pos > 0:
                hit = lo <= st[j, S_SL] or lo <= st[j, S_TRAIL] or hi >= st[j, S_TP]
            else:
                hit = hi >= st[j, S_SL] or hi >= st[j, S_TRAIL] or lo <= st[j, S_TP]
            if not hit:
                continue
            check_exits(st, acct, cnt, orders, trades, j, i, open_[i, j], high[i, j], low[i, j],
                        close[i, j], volume[i, j], NO, p, c)  # fmt: skip
        for j in range(k):
            d = st[j, PE_DIR]
            if d == 0 or np.isnan(close[i, j]):
                continue
            otype = int(st[j, PE_TYPE])
            if otype in (MARKET, MARKET_ON_CLOSE):
                continue
            if i > st[j, PE_EXPIRY]:
                log_order(orders, cnt, j, i, st[j, PE_SIG], otype, BUY if d > 0 else SELL,
                          R.REASON_SIGNAL, R.STATUS_EXPIRED, R.REJECT_NONE, nan, 0.0, nan, nan,
                          0.0, 0.0, st[j, S_POS], acct[A_CASH])  # fmt: skip
                st[j, PE_DIR] = 0.0
                continue
            if i <= st[j, PE_SIG]:
                continue
            status, raw, maker = match_price(otype, BUY if d > 0 else SELL, st[j, PE_LIMIT],
                                             st[j, PE_STOP], open_[i, j], high[i, j], low[i, j],
                                             close[i, j])  # fmt: skip
            if status == TRIGGERED:  # the stop fired: from now on only the limit matters
                st[j, PE_STOP] = -np.inf if d > 0 else np.inf
            elif status == FILLED:
                cap = st[j, PE_LIMIT] if otype == STOP_LIMIT else nan
                mark[j] = raw
                filled = enter(st, acct, cnt, orders, trades, mark, j, i, otype, raw, maker, cap,
                               i + 1, volume[i, j], p, c)  # fmt: skip
                st[j, PE_DIR] = 0.0
                if filled:
                    check_exits(st, acct, cnt, orders, trades, j, i, open_[i, j], high[i, j],
                                low[i, j], close[i, j], volume[i, j], YES, p, c)  # fmt: skip

        # 3a. close: the bar's range enters excursions, hints and trailing levels
        for j in range(k):
            cl = close[i, j]
            if np.isnan(cl):
                continue
            mark[j] = cl
            pos = st[j, S_POS]
            if pos == 0.0:
                continue
            d = 1.0 if pos > 0 else -1.0
            whole = i >= st[j, S_RANGE_FROM]
            hi = high[i, j] if whole else cl
            lo = low[i, j] if whole else cl
            st[j, S_EXT_LO] = min(st[j, S_EXT_LO], lo)
            st[j, S_EXT_HI] = max(st[j, S_EXT_HI], hi)
            # A strategy's hints are for the position held at that bar: they move its levels.
            hint = stop_hint[r_hint, j]
            if not np.isnan(hint):
                st[j, S_SL] = hint
            hint = target_hint[r_target, j]
            if not np.isnan(hint):
                st[j, S_TP] = hint
            if np.isnan(p.trail_pct) and np.isnan(p.trail_atr):
                continue
            hwm = max(st[j, S_HWM], hi) if d > 0 else min(st[j, S_HWM], lo)
            st[j, S_HWM] = hwm
            level = st[j, S_TRAIL]
            if not np.isnan(p.trail_pct):
                level = tighter(level, hwm * (1.0 - d * p.trail_pct), d)
            a = atr[r_atr, j]
            if not np.isnan(p.trail_atr) and not np.isnan(a):
                level = tighter(level, hwm - d * p.trail_atr * a, d)
            st[j, S_TRAIL] = level

        # 3b. close: signals and time stops decide
        for j in range(k):
            cl = close[i, j]
            if np.isnan(cl):
                continue
            if not p.next_open and st[j, S_EXITED_BAR] == i:
                continue  # one order per bar at the close, as vectorbt: the stop took it
            pos = st[j, S_POS]
            pend = st[j, PE_DIR]
            do_exit, new_dir, cancel = decide(int(flags[i, j]), pos, pend, p.allow_long,
                                              p.allow_short, p.on_opposite)  # fmt: skip
            reason = R.REASON_SIGNAL
            if pos != 0.0 and p.max_bars > 0 and not do_exit:
                held = i - st[j, S_ENTRY_BAR] + (1 if p.next_open else 0)
                if held >= p.max_bars:
                    do_exit = True
                    reason = R.REASON_TIME
            if last and p.close_at_end:
                new_dir = 0
            if cancel:
                log_order(orders, cnt, j, i, st[j, PE_SIG], int(st[j, PE_TYPE]),
                          BUY if pend > 0 else SELL, R.REASON_SIGNAL, R.STATUS_CANCELLED,
                          R.REJECT_NONE, nan, 0.0, nan, nan, 0.0, 0.0, pos,
                          acct[A_CASH])  # fmt: skip
                st[j, PE_DIR] = 0.0
            if do_exit:
                if p.next_open:
                    st[j, PX_REASON] = reason
                    st[j, PX_SIG] = i
                else:
                    exit_market(st, acct, cnt, orders, trades, j, i, float(i), MARKET_ON_CLOSE,
                                cl, reason, volume[i, j], c)  # fmt: skip
            if new_dir != 0:
                _queue_entry(st, j, i, new_dir, cl, size_values, stop_hint, target_hint,
                             entry_price, atr, p, c)  # fmt: skip

        # 3c. close timing: entries fill at the close, after every exit
        if not p.next_open:
            for j in range(k):
                if np.isnan(close[i, j]) or st[j, PE_DIR] == 0:
                    continue
                if st[j, PE_TYPE] != MARKET_ON_CLOSE:
                    continue
                enter(st, acct, cnt, orders, trades, mark, j, i, MARKET_ON_CLOSE, close[i, j],
                      NO, nan, i + 1, volume[i, j], p, c)  # fmt: skip
                st[j, PE_DIR] = 0.0

        # 4. end of data
        if last:
            _finish(st, acct, cnt, orders, trades, mark, i, volume, p, c)

        # Inline rather than equity_now(): a call passing arrays costs more than the sum.
        eq = acct[A_CASH]
        for j in range(k):
            pos = st[j, S_POS]
            positions[i, j] = pos
            if pos != 0.0:
                eq += pos * mark[j]
        equity[i] = eq
        cash_out[i] = acct[A_CASH]

    return orders[: cnt[0]], trades[: cnt[1]], equity, cash_out, positions


@njit(cache=True, nogil=True)
def _queue_entry(
    st: FloatMatrix,
    j: int,
    i: int,
    d: int,
    cl: float,
    size_values: FloatMatrix,
    stop_hint: FloatMatrix,
    target_hint: FloatMatrix,
    entry_price: FloatMatrix,
    atr: FloatMatrix,
    p: EngineParams,
    c: FillCosts,
) -> None:
    """Record the entry decided at bar ``i``'s close, with what is known at that close."""
    st[j, PE_DIR] = d
    st[j, PE_SIG] = i
    st[j, PE_SIZE] = _flex(size_values, i, j)
    st[j, PE_SL] = _flex(stop_hint, i, j)
    st[j, PE_TP] = _flex(target_hint, i, j)
    st[j, PE_ATR] = _flex(atr, i, j)
    st[j, PE_EXPIRY] = i + p.order_ttl
    otype = p.entry_order
    if otype == MARKET:
        st[j, PE_TYPE] = MARKET if p.next_open else MARKET_ON_CLOSE
        return
    st[j, PE_TYPE] = otype
    hint = _flex(entry_price, i, j)
    side = BUY if d > 0 else SELL
    if otype == LIMIT:
        px = hint if not np.isnan(hint) else cl * (1.0 - d * p.entry_offset)
        # A limit rounds away from the market (a buy down), which fills less often.
        st[j, PE_LIMIT] = round_price(px, -side, c.tick_size)
        st[j, PE_STOP] = np.nan
        return
    px = hint if not np.isnan(hint) else cl * (1.0 + d * p.entry_offset)
    stop = round_price(px, side, c.tick_size)
    st[j, PE_STOP] = stop
    st[j, PE_LIMIT] = np.nan
    if otype == STOP_LIMIT:
        st[j, PE_LIMIT] = round_price(stop * (1.0 + d * p.stop_limit_offset), -side, c.tick_size)


@njit(cache=True, nogil=True)
def _finish(
    st: FloatMatrix,
    acct: FloatArray,
    cnt: npt.NDArray[np.int64],
    orders: FloatMatrix,
    trades: FloatMatrix,
    mark: FloatArray,
    i: int,
    volume: FloatMatrix,
    p: EngineParams,
    c: FillCosts,
) -> None:
    """Cancel what is pending; close positions at the close or leave them marked open."""
    for j in range(st.shape[0]):
        pos = st[j, S_POS]
        if st[j, PE_DIR] != 0:
            log_order(orders, cnt, j, i, st[j, PE_SIG], int(st[j, PE_TYPE]),
                      BUY if st[j, PE_DIR] > 0 else SELL, R.REASON_END, R.STATUS_CANCELLED,
                      R.REJECT_NONE, np.nan, 0.0, np.nan, np.nan, 0.0, 0.0, pos,
                      acct[A_CASH])  # fmt: skip
            st[j, PE_DIR] = 0.0
        if pos == 0.0:
            st[j, PX_REASON] = -1.0
            continue
        if p.close_at_end:
            st[j, PX_REASON] = -1.0
            vol = volume[i, j] if not np.isnan(volume[i, j]) else 0.0
            exit_market(st, acct, cnt, orders, trades, j, i, float(i), MARKET_ON_CLOSE, mark[j],
                        R.REASON_END, vol, c)  # fmt: skip
        else:
            if st[j, PX_REASON] >= 0:
                log_order(orders, cnt, j, i, st[j, PX_SIG], MARKET, SELL if pos > 0 else BUY,
                          int(st[j, PX_REASON]), R.STATUS_CANCELLED, R.REJECT_NONE, np.nan, 0.0,
                          np.nan, np.nan, 0.0, 0.0, pos, acct[A_CASH])  # fmt: skip
                st[j, PX_REASON] = -1.0
            # Left open and valued at the last price, as vectorbt reports an open trade.
            t = int(st[j, S_TRADE])
            close_trade(trades, t, i, mark[j], 0.0, R.REASON_OPEN, R.TRADE_OPEN)
            excursions(trades, t, min(st[j, S_EXT_LO], mark[j]), max(st[j, S_EXT_HI], mark[j]))
