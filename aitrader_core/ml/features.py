"""Features the meta-model sees at a signal bar: causal indicators, scale-free.

Every column at bar ``t`` uses bars up to ``t`` only (the indicators' own
contract), and is a ratio or an oscillator so a model trained on one price
level applies at another. Warm-up rows are NaN.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from aitrader_core import indicators as ta

FEATURES = (
    "ret_1",
    "ret_6",
    "ret_24",
    "vol_24",
    "rsi_14",
    "macd_hist",
    "adx_14",
    "natr_14",
    "ema_gap_50",
    "bb_pctb_20",
    "volume_ratio_24",
)


def meta_features(bars: pd.DataFrame) -> pd.DataFrame:
    """The :data:`FEATURES` of every bar (needs ``high, low, close, volume``).

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=80, freq="1h", tz="UTC")
    >>> close = pd.Series(100 + np.sin(np.arange(80) / 5), index=idx)
    >>> bars = pd.DataFrame({"open": close, "high": close + 1, "low": close - 1,
    ...                      "close": close, "volume": 10.0})
    >>> f = meta_features(bars)
    >>> list(f.columns) == list(FEATURES), bool(f.iloc[-1].notna().all())
    (True, True)
    """
    h, lo, c, v = (bars[k].to_numpy(dtype=float) for k in ("high", "low", "close", "volume"))
    log_c = np.log(c)
    r1 = np.diff(log_c, prepend=np.nan)
    upper, _, lower = ta.bbands(c, 20, 2.0, 2.0)
    width = upper - lower
    with np.errstate(divide="ignore", invalid="ignore"):
        cols = {
            "ret_1": r1,
            "ret_6": _lag_diff(log_c, 6),
            "ret_24": _lag_diff(log_c, 24),
            "vol_24": pd.Series(r1).rolling(24).std().to_numpy(),
            "rsi_14": ta.rsi(c, 14) / 100.0,
            "macd_hist": ta.macd(c, 12, 26, 9).macdhist / c,
            "adx_14": ta.adx(h, lo, c, 14) / 100.0,
            "natr_14": ta.natr(h, lo, c, 14) / 100.0,
            "ema_gap_50": c / ta.ema(c, 50) - 1.0,
            "bb_pctb_20": np.where(width == 0, 0.5, (c - lower) / width),
            "volume_ratio_24": np.log(v / ta.sma(v, 24)),
        }
    frame = pd.DataFrame(cols, index=bars.index)
    return frame.replace([np.inf, -np.inf], np.nan)


def _lag_diff(x: np.ndarray, n: int) -> np.ndarray:
    out = np.full_like(x, np.nan)
    out[n:] = x[n:] - x[:-n]
    return out
