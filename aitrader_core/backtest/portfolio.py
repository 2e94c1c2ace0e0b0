"""Several symbols trading from one cash account.

The symbols' bars are aligned on the union of their timestamps (a symbol
without a bar at some time simply does not trade then); at every bar each
phase runs over all symbols, exits before entries, so cash released by one
symbol's exit is available to another's entry in the same phase. Sizing
reads the whole portfolio's equity; no entry spends more than the shared cash.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from aitrader_core.backtest.config import BacktestConfig
from aitrader_core.backtest.results import BacktestResult
from aitrader_core.backtest.runner import Bars, run_arrays, signal_flags


def _on_grid(frame: pd.DataFrame, grid: np.ndarray, ts: np.ndarray) -> pd.DataFrame:
    """``frame`` reindexed onto the timestamp ``grid`` (missing bars all NaN)."""
    pos = pd.Index(ts).get_indexer(grid)
    cols = [c for c in ("open", "high", "low", "close", "volume") if c in frame.columns]
    out = {}
    for c in cols:
        raw = frame[c].to_numpy(dtype=np.float64, na_value=np.nan)
        out[c] = np.where(pos >= 0, raw[np.maximum(pos, 0)], np.nan)
    return pd.DataFrame(out, index=pd.DatetimeIndex(pd.to_datetime(grid, unit="ms", utc=True)))


def run_portfolio(
    bars: Mapping[str, pd.DataFrame],
    signals: Mapping[str, Any],
    config: BacktestConfig | None = None,
    stops: Mapping[str, Any] | None = None,
    targets: Mapping[str, Any] | None = None,
) -> BacktestResult:
    """Backtest target-direction signals of several symbols sharing one account.

    Parameters
    ----------
    bars
        Symbol → OHLCV DataFrame (DatetimeIndex or ``timestamp`` column).
    signals
        Symbol → target direction per bar in {-1, 0, 1}, aligned with that
        symbol's bars (a symbol without a signal never trades).
    config
        Shared configuration; ``initial_cash`` is the whole account.
    stops, targets
        Optional symbol → per-bar stop-loss / take-profit prices.

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=4, freq="1h", tz="UTC")
    >>> one = pd.DataFrame({c: [10.0, 10, 10, 10] for c in ("open", "high", "low", "close")},
    ...                    index=idx)
    >>> res = run_portfolio({"A": one, "B": one}, {"A": [1, 1, 1, 1], "B": [1, 1, 1, 1]},
    ...                     BacktestConfig(initial_cash=100, costs={"taker_fee": 0}))
    >>> res.positions.iloc[1].tolist()  # A took all the cash first; B was rejected
    [10.0, 0.0]
    """
    config = config or BacktestConfig()
    symbols = list(bars)
    if not symbols:
        raise ValueError("run_portfolio needs at least one symbol")
    own = {s: Bars.from_frame(bars[s]) for s in symbols}
    grid = np.unique(np.concatenate([b.ts for b in own.values()]))
    aligned, flags, stop_arrays, target_arrays = [], [], [], []
    for s in symbols:
        b = own[s]
        on_grid = Bars.from_frame(_on_grid(bars[s], grid, b.ts))
        pos = pd.Index(grid).get_indexer(b.ts)

        def spread(values: Any, name: str, fill: float, b: Bars = b, pos: Any = pos) -> Any:
            out = np.full(len(grid), fill)
            out[pos] = b.align(values, name, fill)
            return out

        aligned.append(on_grid)
        # Flags from the symbol's own bars, so a gap in its data is not a signal change.
        own_flags = signal_flags(b.align(signals.get(s), "signal", 0.0), config.execution.reentry)
        grid_flags = np.zeros(len(grid), dtype=np.int8)
        grid_flags[pos] = own_flags
        flags.append(grid_flags)
        stop_arrays.append(spread((stops or {}).get(s), "stop", np.nan))
        target_arrays.append(spread((targets or {}).get(s), "target", np.nan))
    return run_arrays(
        aligned,
        flags,
        config,
        symbols=symbols,
        stops=stop_arrays if stops else None,
        targets=target_arrays if targets else None,
    )
