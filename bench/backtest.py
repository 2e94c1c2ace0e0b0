"""Benchmark the backtest engine against vectorbt and a pure-Python loop.

1,000,000 bars: the real BTC/USDT 5m sample repeated end to end (each copy
rescaled to start at the previous copy's last close, timestamps shifted), an
SMA(20/50) cross, fees 0.1 %, slippage 0.05 %, $10k per trade, and stops. Each engine runs
after a warm-up in the same process; the time is the median of ``--runs``.

* ours: :func:`aitrader_core.backtest.from_signals` (vectorbt's conventions,
  so the two do the same work and produce the same trades) and
  :func:`run_signals` (our defaults: next-open execution, time stop, journal);
* vectorbt: ``vbt.Portfolio.from_signals`` with the same arguments;
* pure Python: the very same engine code run with ``NUMBA_DISABLE_JIT=1`` in
  a subprocess on ``--python-bars`` bars, extrapolated linearly to 1M.

Run: ``.venv/bin/python bench/backtest.py`` (``--help`` for options).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".cache" / "numba"))
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

SAMPLE = ROOT / "data" / "sample" / "BTCUSDT_5m_20240301_20250702.csv.gz"
CASES = {
    "sl+tp": {"sl_stop": 0.02, "tp_stop": 0.04},
    "trail+tp": {"sl_stop": 0.02, "sl_trail": True, "tp_stop": 0.04},
}
# Fixed $10k per trade on $1M: every one of the ~11.7k crosses trades (all-in sizing
# would compound the strategy's losses down to vectorbt's 1e-8 minimum size).
COSTS = {
    "fees": 0.001,
    "slippage": 0.0005,
    "size": 10_000.0,
    "size_type": "value",
    "init_cash": 1_000_000.0,
}


def million_bars(n: int) -> pd.DataFrame:
    """``n`` bars of real BTC/USDT 5m, repeated, rescaled, tz-naive UTC index."""
    src = pd.read_csv(SAMPLE)
    ts0 = pd.to_datetime(src["timestamp"], utc=True).dt.tz_localize(None).to_numpy()
    ohlcv = src[["open", "high", "low", "close", "volume"]].to_numpy()
    span = ts0[-1] - ts0[0] + np.timedelta64(5, "m")
    parts, stamps, scale = [], [], 1.0
    for copy in range(-(-n // len(src))):
        block = ohlcv.copy()
        block[:, :4] *= scale
        parts.append(block)
        stamps.append(ts0 + copy * span)
        scale = block[-1, 3] / ohlcv[0, 0]
    data = np.concatenate(parts)[:n]
    index = pd.DatetimeIndex(np.concatenate(stamps)[:n], name="time")
    return pd.DataFrame(data, index=index, columns=["open", "high", "low", "close", "volume"])


def sma_cross(close: pd.Series, fast: int = 20, slow: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Entries where the fast SMA crosses above the slow one, exits where below."""
    above = (close.rolling(fast).mean() > close.rolling(slow).mean()).to_numpy()
    prev = np.concatenate([[False], above[:-1]])
    return above & ~prev, ~above & prev


def median_times(fns: list[Callable[[], object]], runs: int) -> list[float]:
    """Median seconds of each function, runs interleaved (fair under a varying load)."""
    for fn in fns:
        fn()  # warm-up: JIT compilation or cache load, first-touch allocations
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(runs):
        for fn, acc in zip(fns, times, strict=True):
            t0 = time.perf_counter()
            fn()
            acc.append(time.perf_counter() - t0)
    return [statistics.median(t) for t in times]


def pure_python(bars: int) -> float:
    """Seconds of the engine with numba disabled on ``bars`` bars (in a subprocess)."""
    code = (
        f"import sys, time; sys.path.insert(0, {str(ROOT)!r}); import bench.backtest as b; "
        "from aitrader_core.backtest import from_signals; "
        f"df = b.million_bars({bars}); en, ex = b.sma_cross(df.close); "
        "t = time.perf_counter(); "
        "from_signals(df.close, en, ex, open=df.open, high=df.high, low=df.low, "
        "**b.COSTS, **b.CASES['trail+tp']); "
        "print(time.perf_counter() - t)"
    )
    env = dict(os.environ, NUMBA_DISABLE_JIT="1")
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--bars", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--python-bars", type=int, default=50_000)
    args = parser.parse_args()

    import vectorbt as vbt

    from aitrader_core.backtest import BacktestConfig, from_signals, run_signals

    df = million_bars(args.bars)
    entries, exits = sma_cross(df.close)
    ohl = {"open": df.open, "high": df.high, "low": df.low}
    n = len(df)
    print(f"{n:,} bars of BTC/USDT 5m (repeated), SMA 20/50 cross, {COSTS}")
    print(f"machine load average: {os.getloadavg()[0]:.2f} (2 cores; timings are interleaved)")
    print(f"{'case':<10} {'engine':<22} {'median s':>9} {'bars/s':>14} {'vs vectorbt':>12}")
    for name, stops in CASES.items():
        kw = COSTS | stops
        t_vbt, t_ours = median_times(
            [
                lambda kw=kw: vbt.Portfolio.from_signals(df.close, entries, exits, **ohl, **kw),
                lambda kw=kw: from_signals(df.close, entries, exits, **ohl, **kw),
            ],
            args.runs,
        )
        pf = vbt.Portfolio.from_signals(df.close, entries, exits, **ohl, **kw)
        ours = from_signals(df.close, entries, exits, **ohl, **kw)
        rec, t = pf.trades.records, ours.trades
        same = len(rec) == len(t) and bool(
            (rec["entry_idx"] == t.entry_bar.to_numpy()).all()
            and (rec["exit_idx"] == t.exit_bar.to_numpy()).all()
        )
        rel = float(np.max(np.abs(t.pnl.to_numpy() / rec["pnl"] - 1))) if same else np.nan
        for label, secs in (("vectorbt from_signals", t_vbt), ("ours from_signals", t_ours)):
            print(f"{name:<10} {label:<22} {secs:9.4f} {n / secs:14,.0f} {secs / t_vbt:11.2f}x")
        print(
            f"{'':<10} trades: vectorbt {len(rec)}, ours {len(t)}; same bars: {same};"
            f" max relative PnL difference {rel:.1e}"
        )

    signal = pd.Series(
        np.where(df.close.rolling(20).mean() > df.close.rolling(50).mean(), 1, 0), index=df.index
    )
    cfg = BacktestConfig.model_validate(
        {
            "costs": {"taker_fee": 0.001, "maker_fee": 0.001, "slippage_bps": 5},
            "exits": {
                "stop_loss": 0.02,
                "take_profit": 0.04,
                "trailing_stop": 0.03,
                "max_bars": 288,
            },
        }
    )
    (t_native,) = median_times([lambda: run_signals(df, signal, cfg)], args.runs)
    print(
        f"{'native':<10} {'ours run_signals':<22} {t_native:9.4f} {n / t_native:14,.0f}"
        f" {'':>12}  (next-open, SL+TP+trail+time stop)"
    )

    t_py = pure_python(args.python_bars)
    t_py_1m = t_py * n / args.python_bars
    print(
        f"{'trail+tp':<10} {'pure Python (no JIT)':<22} {t_py_1m:9.1f} {n / t_py_1m:14,.0f}"
        f" {t_py_1m / t_vbt:11.0f}x  (measured on {args.python_bars:,} bars: {t_py:.2f} s,"
        " extrapolated)"
    )


if __name__ == "__main__":
    main()
