"""vectorbt's ``Portfolio.from_signals`` conventions on our engine.

:func:`from_signals` takes vectorbt's arguments with vectorbt's meaning and
defaults (orders at the signal bar's close, stops measured from that close,
stop exits at the stop level without slippage, the stop checked before the
target in every bar, trades left open at the end valued at the last close),
so results can be compared trade by trade with vectorbt's
``pf.trades.records_readable``. Supported: scalar ``fees``, ``slippage``,
``sl_stop``, ``sl_trail``, ``tp_stop``, ``size`` with ``size_type``
``amount`` / ``value`` / ``percent``, ``direction``, long/short signal
arrays, ``upon_opposite_entry``, ``stop_exit_price`` ``stoplimit`` /
``stopmarket``; accumulation is not.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
import pandas as pd

from aitrader_core.backtest.config import (
    BacktestConfig,
    Costs,
    Execution,
    Exits,
    FixedNotional,
    FixedQuantity,
    PercentCash,
)
from aitrader_core.backtest.results import BacktestResult
from aitrader_core.backtest.runner import Bars, bool_flags, index_ms, run_arrays

_OPPOSITE: dict[str, Literal["reverse", "close", "ignore"]] = {
    "reversereduce": "reverse",
    "reverse": "reverse",
    "close": "close",
    "closereduce": "close",
    "ignore": "ignore",
}


def _array(values: Any, n: int | None, name: str) -> np.ndarray:
    """``values`` as a 1-D array of length ``n`` (a scalar is broadcast; ``None``: any length)."""
    arr = np.asarray(values.to_numpy() if isinstance(values, pd.Series) else values)
    if arr.ndim == 0 and n is not None:
        arr = np.full(n, arr.item())
    if arr.ndim != 1 or (n is not None and arr.shape != (n,)):
        raise ValueError(f"{name} must be one value per bar ({n}); got shape {arr.shape}")
    return arr


def from_signals(
    close: Any,
    entries: Any = None,
    exits: Any = None,
    *,
    open: Any = None,
    high: Any = None,
    low: Any = None,
    volume: Any = None,
    short_entries: Any = None,
    short_exits: Any = None,
    direction: str = "longonly",
    fees: float = 0.0,
    slippage: float = 0.0,
    sl_stop: float | None = None,
    sl_trail: bool = False,
    tp_stop: float | None = None,
    size: float = np.inf,
    size_type: str = "amount",
    init_cash: float = 100.0,
    min_size: float = 1e-8,
    upon_opposite_entry: str = "reversereduce",
    stop_entry_price: str = "close",
    stop_exit_price: str = "stoplimit",
    accumulate: bool = False,
    symbol: str = "asset",
) -> BacktestResult:
    """Simulate like ``vbt.Portfolio.from_signals`` (same arguments, same meaning).

    Parameters mirror vectorbt's; ``open``/``high``/``low`` default as there
    (the close, then the max/min of open and close) and serve the stops only.
    ``entries``/``exits`` act per ``direction`` (``both``: exits are short
    entries) unless ``short_entries``/``short_exits`` are given, in which case
    they are the long signals.

    Examples
    --------
    >>> close = pd.Series([10.0, 11, 12, 11, 13])
    >>> res = from_signals(close, [True, False, False, False, False],
    ...                    [False, False, True, False, False], fees=0.01)
    >>> t = res.trades.iloc[0]
    >>> int(t.entry_bar), int(t.exit_bar), round(float(t.pnl), 6)
    (0, 2, 17.623762)
    """
    if accumulate:
        raise ValueError("accumulate is not supported: positions open once and close in full")
    if stop_entry_price not in ("close", "price"):
        raise ValueError("stop_entry_price must be 'close' (or 'price', the same at the close)")
    if stop_exit_price not in ("stoplimit", "stopmarket"):
        raise ValueError("stop_exit_price must be 'stoplimit' or 'stopmarket'")
    if upon_opposite_entry not in _OPPOSITE:
        raise ValueError(f"upon_opposite_entry must be one of {sorted(_OPPOSITE)}")
    c = _array(close, None, "close").astype(np.float64, copy=False)
    n = len(c)
    index = close.index if isinstance(close, pd.Series) else None
    ts = index_ms(index) if isinstance(index, pd.DatetimeIndex) else np.arange(n, dtype=np.int64)
    o = c if open is None else _array(open, n, "open").astype(np.float64, copy=False)
    h = np.maximum(o, c) if high is None else _array(high, n, "high").astype(np.float64, copy=False)
    lo = np.minimum(o, c) if low is None else _array(low, n, "low").astype(np.float64, copy=False)
    vol = None if volume is None else _array(volume, n, "volume").astype(np.float64, copy=False)
    bars = Bars(ts, o, h, lo, c, vol, index)

    def flags_of(values: Any, name: str) -> np.ndarray | None:
        return None if values is None else _array(values, n, name).astype(bool)

    ls_mode = short_entries is not None or short_exits is not None
    if entries is None:
        entries = np.ones(n, dtype=bool) if exits is None and not ls_mode else None
    ent, ext = flags_of(entries, "entries"), flags_of(exits, "exits")
    allow_long, allow_short = True, True
    if ls_mode:
        flags = bool_flags(
            n,
            ent,
            ext,
            flags_of(short_entries, "short_entries"),
            flags_of(short_exits, "short_exits"),
        )
    elif direction == "longonly":
        flags, allow_short = bool_flags(n, ent, ext), False
    elif direction == "shortonly":
        flags, allow_long = bool_flags(n, None, None, ent, ext), False
    elif direction == "both":
        flags = bool_flags(n, ent, None, ext, None)
    else:
        raise ValueError("direction must be 'longonly', 'shortonly' or 'both'")

    if size_type == "amount":
        sizing: Any = PercentCash(fraction=1.0) if math.isinf(size) else FixedQuantity(qty=size)
    elif size_type == "value":
        sizing = FixedNotional(notional=size)
    elif size_type == "percent":
        sizing = PercentCash(fraction=size)
    else:
        raise ValueError("size_type must be 'amount', 'value' or 'percent'")
    config = BacktestConfig(
        initial_cash=init_cash,
        costs=Costs(maker_fee=fees, taker_fee=fees, slippage_bps=slippage * 1e4, min_qty=min_size),
        sizing=sizing,
        exits=Exits(
            stop_loss=None if sl_trail else sl_stop,
            trailing_stop=sl_stop if sl_trail else None,
            take_profit=tp_stop,
        ),
        execution=Execution(
            timing="close",
            intrabar="vectorbt",
            stop_fill="exact" if stop_exit_price == "stoplimit" else "market",
            allow_long=allow_long,
            allow_short=allow_short,
            on_opposite=_OPPOSITE[upon_opposite_entry],
            close_at_end=False,
        ),
    )
    return run_arrays([bars], [flags], config, symbols=[symbol])
