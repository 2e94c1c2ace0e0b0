"""Run the engine on bars and signals: the entry points strategies and the app call.

``run_signals`` takes a target-direction signal in {-1, 0, 1} (what the
strategies package produces) with optional per-bar stop and target prices;
``run`` also takes vectorbt-style entry/exit booleans. Both return a
:class:`~aitrader_core.backtest.results.BacktestResult`.

Bars are a DataFrame with ``open, high, low, close`` (``volume`` optional)
and either a DatetimeIndex or a ``timestamp`` / ``ts`` column (ISO strings,
datetimes or epoch ms). Per-bar inputs (signal, hints) are Series aligned on
the bars' index or timestamps, or arrays of the bars' length.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from aitrader_core.backtest.config import BacktestConfig
from aitrader_core.backtest.engine import (
    LONG_ENTRY,
    LONG_EXIT,
    OPPOSITE_CLOSE,
    OPPOSITE_IGNORE,
    OPPOSITE_REVERSE,
    SHORT_ENTRY,
    SHORT_EXIT,
    simulate,
)
from aitrader_core.backtest.fills import LIMIT, MARKET, STOP, STOP_LIMIT
from aitrader_core.backtest.positions import (
    INTRABAR_OPTIMISTIC,
    INTRABAR_PESSIMISTIC,
    INTRABAR_VECTORBT,
    EngineParams,
)
from aitrader_core.backtest.results import BacktestResult
from aitrader_core.backtest.sizing import size_plan, wilder_atr
from aitrader_core.domain.market import TIMEFRAMES, to_epoch_ms

FloatArray = npt.NDArray[np.float64]
Int8Array = npt.NDArray[np.int8]

_ENTRY_TYPES = {"market": MARKET, "limit": LIMIT, "stop": STOP, "stop_limit": STOP_LIMIT}
_INTRABAR = {
    "pessimistic": INTRABAR_PESSIMISTIC,
    "optimistic": INTRABAR_OPTIMISTIC,
    "vectorbt": INTRABAR_VECTORBT,
}
_OPPOSITE = {"reverse": OPPOSITE_REVERSE, "close": OPPOSITE_CLOSE, "ignore": OPPOSITE_IGNORE}
_YEAR_MS = 365 * 24 * 3600 * 1000


def index_ms(index: pd.DatetimeIndex) -> npt.NDArray[np.int64]:
    """Epoch milliseconds of a DatetimeIndex (naive means UTC), without a Python loop.

    Examples
    --------
    >>> index_ms(pd.DatetimeIndex(["2024-01-01T00:00:01"])).tolist()
    [1704067201000]
    """
    raw = index.asi8
    unit = index.unit
    if unit == "s":
        return raw * 1000
    return raw // {"ms": 1, "us": 1_000, "ns": 1_000_000}[unit]


class Bars:
    """OHLCV as float64 arrays plus int64 ms timestamps (what the engine reads)."""

    __slots__ = ("close", "high", "index", "low", "open", "ts", "volume")

    def __init__(
        self,
        ts: npt.NDArray[np.int64],
        open_: FloatArray,
        high: FloatArray,
        low: FloatArray,
        close: FloatArray,
        volume: FloatArray | None = None,
        index: pd.Index | None = None,
    ) -> None:
        ts = np.asarray(ts, dtype=np.int64)
        if len(ts) > 1 and not (np.diff(ts) > 0).all():
            raise ValueError("bar timestamps must be strictly increasing")
        self.ts = ts
        self.index = index if index is not None else pd.RangeIndex(len(ts))

        def f64(values: Any) -> FloatArray:
            arr = np.ascontiguousarray(values, dtype=np.float64)
            if arr.shape != ts.shape:
                raise ValueError(f"OHLCV arrays must have one value per bar ({len(ts)})")
            return arr

        self.open, self.high, self.low, self.close = f64(open_), f64(high), f64(low), f64(close)
        self.volume = f64(volume) if volume is not None else np.full(len(ts), np.nan)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> Bars:
        """Bars of an OHLCV DataFrame (DatetimeIndex or ``timestamp`` / ``ts`` column)."""
        missing = {"open", "high", "low", "close"} - set(frame.columns)
        if missing:
            raise ValueError(f"bars lack columns {sorted(missing)}")
        if isinstance(frame.index, pd.DatetimeIndex):
            ts = index_ms(frame.index)
        elif "timestamp" in frame.columns or "ts" in frame.columns:
            ts = to_epoch_ms(frame["timestamp" if "timestamp" in frame.columns else "ts"])
        else:
            raise ValueError("bars need a DatetimeIndex or a 'timestamp' / 'ts' column")

        def col(name: str) -> FloatArray:
            return frame[name].to_numpy(dtype=np.float64, na_value=np.nan)

        volume = col("volume") if "volume" in frame.columns else None
        return cls(ts, col("open"), col("high"), col("low"), col("close"), volume, frame.index)

    def __len__(self) -> int:
        return len(self.ts)

    def align(self, values: Any, name: str, fill: float) -> FloatArray:
        """``values`` (Series, array or scalar) as a float array on these bars."""
        if values is None:
            return np.full(len(self), fill)
        if isinstance(values, pd.Series):
            if values.index.equals(self.index):
                arr = values.to_numpy(dtype=np.float64, na_value=np.nan)
            elif isinstance(values.index, pd.DatetimeIndex):
                keys = index_ms(values.index)
                pos = pd.Index(keys).get_indexer(self.ts)
                raw = values.to_numpy(dtype=np.float64, na_value=np.nan)
                arr = np.where(pos >= 0, raw[np.maximum(pos, 0)], np.nan)
            elif len(values) == len(self):
                arr = values.to_numpy(dtype=np.float64, na_value=np.nan)
            else:
                raise ValueError(f"{name} is not aligned with the bars")
        else:
            arr = np.asarray(values, dtype=np.float64)
            if arr.ndim == 0:
                arr = np.full(len(self), float(arr))
            if arr.shape != (len(self),):
                raise ValueError(f"{name} must have one value per bar ({len(self)})")
        return np.where(np.isnan(arr), fill, arr)


def _readonly(arr: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """A read-only view: numba compiles one kernel per writability, so always hand it these.

    (pandas 3 returns read-only arrays from ``to_numpy()``, numpy computations
    writable ones; without this a run could trigger a second 20-40 s compilation.)
    """
    view = arr.view()
    view.flags.writeable = False
    return view


def infer_timeframe(ts: npt.NDArray[np.int64]) -> str | None:
    """The ccxt timeframe whose length is the median bar spacing, if any.

    Examples
    --------
    >>> infer_timeframe(np.arange(5, dtype=np.int64) * 3_600_000)
    '1h'
    """
    if len(ts) < 2:
        return None
    step = int(np.median(np.diff(ts[:10_001])))
    return next((tf for tf, ms in TIMEFRAMES.items() if ms == step), None)


def signal_flags(signal: FloatArray, reentry: str = "edge") -> Int8Array:
    """Entry/exit flags of a target-direction signal in {-1, 0, 1} (NaN counts as 0).

    ``edge``: enter when the target changes to ±1; ``level``: whenever it is
    ±1. Exits happen whenever the target leaves the position's direction.

    Examples
    --------
    >>> signal_flags(np.array([0, 1, 1, 0, -1]), "edge").tolist()
    [10, 9, 8, 10, 6]
    """
    sig = np.nan_to_num(np.asarray(signal, dtype=np.float64))
    if not np.isin(sig, (-1.0, 0.0, 1.0)).all():
        raise ValueError("a target-direction signal takes values in {-1, 0, 1}")
    long_, short = sig == 1.0, sig == -1.0
    if reentry == "edge":
        prev = np.concatenate([[0.0], sig[:-1]])
        long_in, short_in = long_ & (prev != 1.0), short & (prev != -1.0)
    else:
        long_in, short_in = long_, short
    flags = long_in * LONG_ENTRY + ~long_ * LONG_EXIT + short_in * SHORT_ENTRY + ~short * SHORT_EXIT
    return flags.astype(np.int8)


def bool_flags(
    n: int,
    entries: Any = None,
    exits: Any = None,
    short_entries: Any = None,
    short_exits: Any = None,
) -> Int8Array:
    """Flags from vectorbt-style long/short entry and exit booleans (arrays of length n)."""
    flags = np.zeros(n, dtype=np.int8)
    for values, bit in (
        (entries, LONG_ENTRY),
        (exits, LONG_EXIT),
        (short_entries, SHORT_ENTRY),
        (short_exits, SHORT_EXIT),
    ):
        if values is None:
            continue
        arr = np.asarray(values.to_numpy() if isinstance(values, pd.Series) else values)
        if arr.shape != (n,):
            raise ValueError(f"signal arrays must have one value per bar ({n})")
        flags |= arr.astype(np.bool_, copy=False).view(np.int8) * np.int8(bit)
    return flags


def engine_params(config: BacktestConfig, size_mode: int) -> EngineParams:
    """The numba parameter tuple of ``config``."""
    ex, xo, sz = config.exits, config.execution, config.sizing

    def opt(value: float | None) -> float:
        return math.nan if value is None else float(value)

    kelly = getattr(sz, "kind", "") == "kelly"
    return EngineParams(
        init_cash=float(config.initial_cash),
        next_open=xo.timing == "next_open",
        intrabar=_INTRABAR[xo.intrabar],
        stop_exact=xo.stop_fill == "exact",
        allow_long=xo.allow_long,
        allow_short=xo.allow_short,
        on_opposite=_OPPOSITE[xo.on_opposite],
        entry_order=int(_ENTRY_TYPES[xo.entry_order]),
        entry_offset=float(xo.entry_offset),
        stop_limit_offset=float(xo.stop_limit_offset),
        order_ttl=int(xo.order_ttl_bars),
        close_at_end=xo.close_at_end,
        sl_pct=opt(ex.stop_loss),
        tp_pct=opt(ex.take_profit),
        trail_pct=opt(ex.trailing_stop),
        trail_atr=opt(ex.trailing_atr),
        max_bars=int(ex.max_bars or 0),
        size_mode=size_mode,
        kelly_multiplier=float(getattr(sz, "multiplier", 1.0)) if kelly else 1.0,
        kelly_cap=float(getattr(sz, "cap", 1.0)) if kelly else 1.0,
        kelly_min_trades=float(getattr(sz, "min_trades", 1)) if kelly else 1.0,
        kelly_fallback=float(getattr(sz, "fallback", 0.0)) if kelly else 0.0,
    )


def run_arrays(
    bars: Sequence[Bars],
    flags: Sequence[Int8Array],
    config: BacktestConfig,
    *,
    symbols: Sequence[str],
    stops: Sequence[FloatArray] | None = None,
    targets: Sequence[FloatArray] | None = None,
    entry_prices: Sequence[FloatArray] | None = None,
) -> BacktestResult:
    """Run aligned symbols (same timestamps; NaN close = no bar) sharing one account."""
    k = len(bars)
    ts = bars[0].ts
    timeframe = infer_timeframe(ts)
    tf_ms = TIMEFRAMES.get(timeframe or "")
    ppy = _YEAR_MS / tf_ms if tf_ms else None

    def stack(get: Any) -> FloatArray:
        if k == 1:  # a view, no copy
            return np.ascontiguousarray(get(bars[0]).reshape(-1, 1))
        return np.ascontiguousarray(np.column_stack([get(b) for b in bars]))

    o, h, lo, c = (stack(lambda b, f=f: getattr(b, f)) for f in ("open", "high", "low", "close"))
    vol = stack(lambda b: b.volume)
    # One sizing model for every symbol: all constant (1 row) or all per-bar (n rows).
    plans = [size_plan(config.sizing, b.close, b.high, b.low, ppy) for b in bars]
    size_mode = plans[0][0]
    size_values = np.ascontiguousarray(np.column_stack([vals for _, vals in plans]))

    def hints(values: Sequence[FloatArray] | None) -> FloatArray:
        if values is None:
            return np.full((1, k), np.nan)
        return np.ascontiguousarray(np.column_stack(values))

    atr = np.full((1, k), np.nan)
    if config.exits.trailing_atr is not None:
        atr = stack(lambda b: wilder_atr(b.high, b.low, b.close, config.exits.atr_period))
    arrays: list[npt.NDArray[Any]] = [
        o,
        h,
        lo,
        c,
        vol,
        np.ascontiguousarray(flags[0].reshape(-1, 1) if k == 1 else np.column_stack(flags)),
        size_values,
        hints(stops),
        hints(targets),
        hints(entry_prices),
        atr,
    ]
    sim = simulate(*(_readonly(a) for a in arrays), engine_params(config, size_mode),
                   config.costs.fill_costs())  # fmt: skip
    orders, trades, equity, cash, positions = sim
    return BacktestResult(
        symbols=list(symbols),
        ts=ts,
        orders_raw=orders,
        trades_raw=trades,
        equity_raw=equity,
        cash_raw=cash,
        positions_raw=positions,
        close=c,
        config=config,
        timeframe=timeframe,
    )


def run(
    bars: pd.DataFrame,
    *,
    signal: Any = None,
    entries: Any = None,
    exits: Any = None,
    short_entries: Any = None,
    short_exits: Any = None,
    stop: Any = None,
    target: Any = None,
    entry_price: Any = None,
    config: BacktestConfig | None = None,
    symbol: str = "asset",
) -> BacktestResult:
    """Backtest one symbol from a target signal or from entry/exit booleans.

    Parameters
    ----------
    bars
        OHLCV DataFrame (see the module docstring).
    signal
        Target direction per bar in {-1, 0, 1}; exclusive with the booleans.
    entries, exits, short_entries, short_exits
        vectorbt-style booleans (long entries/exits, short entries/exits).
    stop, target
        Per-bar absolute stop-loss / take-profit prices for an entry decided
        at that bar (NaN: use ``config.exits``).
    entry_price
        Per-bar limit/stop price for non-market entry orders.
    config
        Costs, sizing, exits and execution (default :class:`BacktestConfig`).
    symbol
        Name used in the result tables.

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=6, freq="1h", tz="UTC")
    >>> px = np.array([100.0, 101, 102, 103, 104, 105])
    >>> bars = pd.DataFrame({"open": px, "high": px + 1, "low": px - 1, "close": px}, index=idx)
    >>> res = run(bars, signal=[0, 1, 1, 1, 0, 0], config=BacktestConfig(initial_cash=1000))
    >>> # decided at the closes of bars 1 and 4, filled at the opens of bars 2 and 5
    >>> res.trades[["entry_price", "exit_price", "exit_reason"]].values.tolist()
    [[102.0, 105.0, 'signal']]
    """
    config = config or BacktestConfig()
    b = Bars.from_frame(bars)
    if signal is not None:
        if any(v is not None for v in (entries, exits, short_entries, short_exits)):
            raise ValueError("give either signal or entries/exits, not both")
        flags = signal_flags(b.align(signal, "signal", 0.0), config.execution.reentry)
    else:
        aligned = [
            None if v is None else b.align(v, name, 0.0) != 0
            for v, name in (
                (entries, "entries"),
                (exits, "exits"),
                (short_entries, "short_entries"),
                (short_exits, "short_exits"),
            )
        ]
        flags = bool_flags(len(b), *aligned)
    return run_arrays(
        [b],
        [flags],
        config,
        symbols=[symbol],
        stops=None if stop is None else [b.align(stop, "stop", np.nan)],
        targets=None if target is None else [b.align(target, "target", np.nan)],
        entry_prices=None if entry_price is None else [b.align(entry_price, "entry_price", np.nan)],
    )


def run_signals(
    bars: pd.DataFrame,
    signal: Any,
    config: BacktestConfig | None = None,
    stop: Any = None,
    target: Any = None,
    *,
    symbol: str = "asset",
) -> BacktestResult:
    """Backtest a target-direction signal in {-1, 0, 1} (a strategy's output).

    ``stop`` / ``target`` are optional per-bar stop-loss and take-profit prices
    for an entry decided at that bar. Equivalent to ``run(bars, signal=...)``.
    """
    return run(bars, signal=signal, stop=stop, target=target, config=config, symbol=symbol)
