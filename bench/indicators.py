"""Time every numeric indicator on 1,000,000 bars against TA-Lib's equivalent.

Run on demand (not part of the tests)::

    .venv/bin/python bench/indicators.py [--bars 1000000] [--runs 7] [--only rsi,macd]

The input is the bundled BTC/USDT 5m sample (data/sample), repeated with shifted
timestamps until it reaches ``--bars``. Each function gets one warm-up call
(numba compilation / cache load, TA-Lib page-in), then the median of ``--runs``
timed calls is reported. Times are CPU time of the calling thread (robust on a
shared machine); "ratio" is ours / TA-Lib on those, "wall" the same ratio on
wall-clock medians. The target is ratio <= 1.5.
Indicators TA-Lib lacks are timed against a composition of TA-Lib calls (marked
"composed"); TA-Lib 0.8 functions such as HMA, KC or SUPERTREND are used directly.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".cache" / "numba"))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import talib  # noqa: E402

import aitrader_core.indicators as ind  # noqa: E402

SAMPLE = ROOT / "data" / "sample" / "BTCUSDT_5m_20240301_20250702.csv.gz"
FIVE_MINUTES_MS = 300_000


def load_bars(n_bars: int) -> dict[str, np.ndarray]:
    """Repeat the 5m sample (timestamps shifted past the previous copy) up to ``n_bars``."""
    df = pd.read_csv(SAMPLE)
    ts = pd.to_datetime(df["timestamp"], utc=True).astype("int64").to_numpy() // 1_000_000
    span = int(ts[-1] - ts[0]) + FIVE_MINUTES_MS
    copies = -(-n_bars // len(df))
    bars = {c: np.tile(df[c].to_numpy(np.float64), copies)[:n_bars] for c in df.columns[1:]}
    shifts = np.repeat(np.arange(copies, dtype=np.int64) * span, len(df))[:n_bars]
    bars["ts"] = np.tile(ts, copies)[:n_bars] + shifts
    return bars


def cases(b: dict[str, np.ndarray]) -> list[tuple[str, Callable[[], Any], Callable[[], Any], str]]:
    """(name, ours, talib equivalent, note) for every timed function."""
    o, h, lo, c, v, ts = b["open"], b["high"], b["low"], b["close"], b["volume"], b["ts"]

    def hv_talib() -> Any:
        r = np.empty_like(c)
        r[0] = np.nan
        r[1:] = talib.LN(c[1:] / c[:-1])
        return talib.STDDEV(r, 20, 1.0) * np.sqrt(20 / 19 * 365.0)

    def ichimoku_talib() -> Any:
        t, k = talib.MIDPRICE(h, lo, 9), talib.MIDPRICE(h, lo, 26)
        return t, k, (t + k) / 2.0, talib.MIDPRICE(h, lo, 52)

    rows: list[tuple[str, Callable[[], Any], Callable[[], Any], str]] = [
        ("sma", lambda: ind.sma(c, 30), lambda: talib.SMA(c, 30), ""),
        ("ema", lambda: ind.ema(c, 30), lambda: talib.EMA(c, 30), ""),
        ("wma", lambda: ind.wma(c, 30), lambda: talib.WMA(c, 30), ""),
        ("dema", lambda: ind.dema(c, 30), lambda: talib.DEMA(c, 30), ""),
        ("tema", lambda: ind.tema(c, 30), lambda: talib.TEMA(c, 30), ""),
        ("trima", lambda: ind.trima(c, 30), lambda: talib.TRIMA(c, 30), ""),
        ("kama", lambda: ind.kama(c, 30), lambda: talib.KAMA(c, 30), ""),
        ("t3", lambda: ind.t3(c, 5, 0.7), lambda: talib.T3(c, 5, 0.7), ""),
        ("hma", lambda: ind.hma(c, 20), lambda: talib.HMA(c, 20), "TA-Lib 0.8"),
        ("vwma", lambda: ind.vwma(c, v, 20), lambda: talib.VWMA(c, v, 20), "TA-Lib 0.8"),
        ("sar", lambda: ind.sar(h, lo), lambda: talib.SAR(h, lo), ""),
        ("supertrend", lambda: ind.supertrend(h, lo, c), lambda: talib.SUPERTREND(h, lo, c), "0.8"),
        ("ichimoku", lambda: ind.ichimoku(h, lo, c), ichimoku_talib, "composed MIDPRICE"),
        ("linearreg_slope", lambda: ind.linearreg_slope(c), lambda: talib.LINEARREG_SLOPE(c), ""),
        ("rsi", lambda: ind.rsi(c), lambda: talib.RSI(c), ""),
        ("stoch", lambda: ind.stoch(h, lo, c), lambda: talib.STOCH(h, lo, c), ""),
        ("stochf", lambda: ind.stochf(h, lo, c), lambda: talib.STOCHF(h, lo, c), ""),
        ("stochrsi", lambda: ind.stochrsi(c), lambda: talib.STOCHRSI(c), ""),
        ("macd", lambda: ind.macd(c), lambda: talib.MACD(c), ""),
        ("ppo", lambda: ind.ppo(c), lambda: talib.PPO(c, matype=0), ""),
        ("apo", lambda: ind.apo(c), lambda: talib.APO(c, matype=0), ""),
        ("mom", lambda: ind.mom(c), lambda: talib.MOM(c), ""),
        ("roc", lambda: ind.roc(c), lambda: talib.ROC(c), ""),
        ("cci", lambda: ind.cci(h, lo, c), lambda: talib.CCI(h, lo, c), ""),
        ("willr", lambda: ind.willr(h, lo, c), lambda: talib.WILLR(h, lo, c), ""),
        ("mfi", lambda: ind.mfi(h, lo, c, v), lambda: talib.MFI(h, lo, c, v), ""),
        ("adx", lambda: ind.adx(h, lo, c), lambda: talib.ADX(h, lo, c), ""),
        ("adxr", lambda: ind.adxr(h, lo, c), lambda: talib.ADXR(h, lo, c), ""),
        ("plus_di", lambda: ind.plus_di(h, lo, c), lambda: talib.PLUS_DI(h, lo, c), ""),
        ("minus_di", lambda: ind.minus_di(h, lo, c), lambda: talib.MINUS_DI(h, lo, c), ""),
        ("dx", lambda: ind.dx(h, lo, c), lambda: talib.DX(h, lo, c), ""),
        ("aroon", lambda: ind.aroon(h, lo), lambda: talib.AROON(h, lo), ""),
        ("aroonosc", lambda: ind.aroonosc(h, lo), lambda: talib.AROONOSC(h, lo), ""),
        ("trix", lambda: ind.trix(c), lambda: talib.TRIX(c), ""),
        ("ultosc", lambda: ind.ultosc(h, lo, c), lambda: talib.ULTOSC(h, lo, c), ""),
        ("bop", lambda: ind.bop(o, h, lo, c), lambda: talib.BOP(o, h, lo, c), ""),
        ("cmo", lambda: ind.cmo(c), lambda: talib.CMO(c), ""),
        (
            "awesome_oscillator",
            lambda: ind.awesome_oscillator(h, lo),
            lambda: talib.AO(h, lo),
            "0.8",
        ),
        ("force_index", lambda: ind.force_index(c, v), lambda: talib.EFI(c, v), "TA-Lib 0.8"),
        ("trange", lambda: ind.trange(h, lo, c), lambda: talib.TRANGE(h, lo, c), ""),
        ("atr", lambda: ind.atr(h, lo, c), lambda: talib.ATR(h, lo, c), ""),
        ("natr", lambda: ind.natr(h, lo, c), lambda: talib.NATR(h, lo, c), ""),
        ("bbands", lambda: ind.bbands(c, 20), lambda: talib.BBANDS(c, 20), ""),
        ("keltner", lambda: ind.keltner(h, lo, c), lambda: talib.KC(h, lo, c), "TA-Lib 0.8"),
        ("donchian", lambda: ind.donchian(h, lo), lambda: talib.DONCHIAN(h, lo), "TA-Lib 0.8"),
        ("stddev", lambda: ind.stddev(c), lambda: talib.STDDEV(c), ""),
        ("historical_volatility", lambda: ind.historical_volatility(c), hv_talib, "composed"),
        ("obv", lambda: ind.obv(c, v), lambda: talib.OBV(c, v), ""),
        ("ad", lambda: ind.ad(h, lo, c, v), lambda: talib.AD(h, lo, c, v), ""),
        ("adosc", lambda: ind.adosc(h, lo, c, v), lambda: talib.ADOSC(h, lo, c, v), ""),
        ("cmf", lambda: ind.cmf(h, lo, c, v), lambda: talib.CMF(h, lo, c, v), "TA-Lib 0.8"),
        (
            "vwap",
            lambda: ind.vwap(h, lo, c, v, ts),
            lambda: talib.VWAP(h, lo, c, v),
            "0.8, no resets",
        ),
        ("heikin_ashi", lambda: ind.heikin_ashi(o, h, lo, c), lambda: talib.HA(o, h, lo, c), "0.8"),
    ]
    patterns = [
        ("doji", "CDLDOJI"),
        ("hammer", "CDLHAMMER"),
        ("hanging_man", "CDLHANGINGMAN"),
        ("inverted_hammer", "CDLINVERTEDHAMMER"),
        ("shooting_star", "CDLSHOOTINGSTAR"),
        ("engulfing", "CDLENGULFING"),
        ("harami", "CDLHARAMI"),
        ("piercing", "CDLPIERCING"),
        ("dark_cloud_cover", "CDLDARKCLOUDCOVER"),
        ("morning_star", "CDLMORNINGSTAR"),
        ("evening_star", "CDLEVENINGSTAR"),
        ("three_white_soldiers", "CDL3WHITESOLDIERS"),
        ("three_black_crows", "CDL3BLACKCROWS"),
        ("marubozu", "CDLMARUBOZU"),
        ("spinning_top", "CDLSPINNINGTOP"),
    ]
    for ours, theirs in patterns:
        rows.append(
            (
                ours,
                _candle_call(getattr(ind, ours), b),
                _candle_call(getattr(talib, theirs), b),
                "pattern",
            )
        )
    return rows


def _candle_call(fn: Callable[..., Any], b: dict[str, np.ndarray]) -> Callable[[], Any]:
    return lambda: fn(b["open"], b["high"], b["low"], b["close"])


def paired_median_ms(
    ours: Callable[[], Any], theirs: Callable[[], Any], runs: int
) -> tuple[float, float, float]:
    """Median times (ms) of ``runs`` interleaved calls after one warm-up call each.

    Returns ours and TA-Lib's median CPU time of the calling thread
    (``time.thread_time``: both run single-threaded in it, and CPU time ignores
    the time-slices other processes take on this shared 2-core machine) and the
    ratio of the median wall-clock times. Alternating the two functions keeps a
    load spike from landing on one side only.
    """
    ours()
    theirs()
    cpu: tuple[list[float], list[float]] = ([], [])
    wall: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for side, fn in enumerate((ours, theirs)):
            cpu_start = time.thread_time()
            wall_start = time.perf_counter()
            fn()
            wall[side].append(time.perf_counter() - wall_start)
            cpu[side].append((time.thread_time() - cpu_start) * 1000.0)
    wall_ratio = statistics.median(wall[0]) / statistics.median(wall[1])
    return statistics.median(cpu[0]), statistics.median(cpu[1]), wall_ratio


def main() -> None:
    """Parse arguments, run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bars", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--only", default="", help="comma-separated indicator names")
    args = parser.parse_args()
    bars = load_bars(args.bars)
    wanted = {n for n in args.only.split(",") if n}
    print(f"{args.bars:,} bars, median of {args.runs} runs (CPU time of the calling thread)")
    print(f"{'indicator':<22} {'ours ms':>9} {'talib ms':>9} {'ratio':>6} {'wall':>6}  note")
    slow = []
    for name, ours, theirs, note in cases(bars):
        if wanted and name not in wanted:
            continue
        ours_ms, talib_ms, wall_ratio = paired_median_ms(ours, theirs, args.runs)
        ratio = ours_ms / talib_ms
        flag = " <-- over 1.5x" if ratio > 1.5 else ""
        if ratio > 1.5:
            slow.append(name)
        times = f"{ours_ms:9.2f} {talib_ms:9.2f} {ratio:6.2f} {wall_ratio:6.2f}"
        print(f"{name:<22} {times}  {note}{flag}")
    print("over 1.5x:", ", ".join(slow) if slow else "none")


if __name__ == "__main__":
    main()
