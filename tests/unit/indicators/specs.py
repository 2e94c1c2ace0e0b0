"""The indicator catalogue the oracle and look-ahead tests iterate over.

Each spec maps a bar set to our output and, where TA-Lib has the indicator, to
TA-Lib's output for the same parameters. Specs take a ``Bars`` so the look-ahead
test can re-run them on any prefix of a series.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import talib

import aitrader_core.indicators as ind


@dataclass(frozen=True)
class Bars:
    """OHLCV float arrays and int64 epoch-ms open times."""

    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    ts: np.ndarray

    def upto(self, stop: int) -> Bars:
        """The first ``stop`` bars (views, no copy)."""
        return Bars(
            *(getattr(self, f)[:stop] for f in ("open", "high", "low", "close", "volume", "ts"))
        )

    @property
    def ohlc(self) -> tuple[np.ndarray, ...]:
        return self.open, self.high, self.low, self.close


Fn = Callable[[Bars], Any]


@dataclass(frozen=True)
class Spec:
    """One indicator call and (optionally) TA-Lib's equivalent call."""

    name: str
    ours: Fn
    talib: Fn | None = None


def _hlc(fn: Callable[..., Any], **kw: Any) -> Fn:
    return lambda b: fn(b.high, b.low, b.close, **kw)


def _c(fn: Callable[..., Any], *args: Any, **kw: Any) -> Fn:
    return lambda b: fn(b.close, *args, **kw)


NUMERIC: list[Spec] = [
    Spec("sma", _c(ind.sma, 30), _c(talib.SMA, 30)),
    Spec("sma_5", _c(ind.sma, 5), _c(talib.SMA, 5)),
    Spec("ema", _c(ind.ema, 30), _c(talib.EMA, 30)),
    Spec("ema_9", _c(ind.ema, 9), _c(talib.EMA, 9)),
    Spec("wma", _c(ind.wma, 30), _c(talib.WMA, 30)),
    Spec("dema", _c(ind.dema, 30), _c(talib.DEMA, 30)),
    Spec("tema", _c(ind.tema, 30), _c(talib.TEMA, 30)),
    Spec("trima", _c(ind.trima, 30), _c(talib.TRIMA, 30)),
    Spec("trima_7", _c(ind.trima, 7), _c(talib.TRIMA, 7)),
    Spec("kama", _c(ind.kama, 30), _c(talib.KAMA, 30)),
    Spec("t3", _c(ind.t3, 5, 0.7), _c(talib.T3, 5, 0.7)),
    Spec("sar", lambda b: ind.sar(b.high, b.low), lambda b: talib.SAR(b.high, b.low)),
    Spec(
        "sar_fast",
        lambda b: ind.sar(b.high, b.low, 0.05, 0.3),
        lambda b: talib.SAR(b.high, b.low, 0.05, 0.3),
    ),
    Spec("linearreg_slope", _c(ind.linearreg_slope, 14), _c(talib.LINEARREG_SLOPE, 14)),
    Spec("rsi", _c(ind.rsi, 14), _c(talib.RSI, 14)),
    Spec("rsi_2", _c(ind.rsi, 2), _c(talib.RSI, 2)),
    Spec("stoch", _hlc(ind.stoch), _hlc(talib.STOCH)),
    Spec(
        "stoch_ema",
        _hlc(ind.stoch, fastk_period=14, slowk_period=3, slowk_matype=1, slowd_matype=1),
        _hlc(talib.STOCH, fastk_period=14, slowk_period=3, slowk_matype=1, slowd_matype=1),
    ),
    Spec("stochf", _hlc(ind.stochf), _hlc(talib.STOCHF)),
    Spec("stochrsi", _c(ind.stochrsi), _c(talib.STOCHRSI)),
    Spec("macd", _c(ind.macd), _c(talib.MACD)),
    Spec("macd_5_35_5", _c(ind.macd, 5, 35, 5), _c(talib.MACD, 5, 35, 5)),
    Spec("ppo", _c(ind.ppo), _c(talib.PPO, matype=0)),
    Spec("ppo_ema", _c(ind.ppo, matype=1), _c(talib.PPO, matype=1)),
    Spec("apo", _c(ind.apo), _c(talib.APO, matype=0)),
    Spec("apo_ema", _c(ind.apo, matype=1), _c(talib.APO, matype=1)),
    Spec("mom", _c(ind.mom), _c(talib.MOM)),
    Spec("roc", _c(ind.roc), _c(talib.ROC)),
    Spec("cci", _hlc(ind.cci), _hlc(talib.CCI)),
    Spec("willr", _hlc(ind.willr), _hlc(talib.WILLR)),
    Spec(
        "mfi",
        lambda b: ind.mfi(b.high, b.low, b.close, b.volume),
        lambda b: talib.MFI(b.high, b.low, b.close, b.volume),
    ),
    Spec("adx", _hlc(ind.adx), _hlc(talib.ADX)),
    Spec("adxr", _hlc(ind.adxr), _hlc(talib.ADXR)),
    Spec("plus_di", _hlc(ind.plus_di), _hlc(talib.PLUS_DI)),
    Spec("minus_di", _hlc(ind.minus_di), _hlc(talib.MINUS_DI)),
    Spec("plus_di_1", _hlc(ind.plus_di, timeperiod=1), _hlc(talib.PLUS_DI, timeperiod=1)),
    Spec("dx", _hlc(ind.dx), _hlc(talib.DX)),
    Spec("aroon", lambda b: ind.aroon(b.high, b.low), lambda b: talib.AROON(b.high, b.low)),
    Spec(
        "aroonosc", lambda b: ind.aroonosc(b.high, b.low), lambda b: talib.AROONOSC(b.high, b.low)
    ),
    Spec("trix", _c(ind.trix), _c(talib.TRIX)),
    Spec("ultosc", _hlc(ind.ultosc), _hlc(talib.ULTOSC)),
    Spec("bop", lambda b: ind.bop(*b.ohlc), lambda b: talib.BOP(*b.ohlc)),
    Spec("cmo", _c(ind.cmo), _c(talib.CMO)),
    Spec("trange", _hlc(ind.trange), _hlc(talib.TRANGE)),
    Spec("atr", _hlc(ind.atr), _hlc(talib.ATR)),
    Spec("natr", _hlc(ind.natr), _hlc(talib.NATR)),
    Spec("bbands", _c(ind.bbands), _c(talib.BBANDS, 5)),
    Spec("bbands_20", _c(ind.bbands, 20, 2.0, 1.5), _c(talib.BBANDS, 20, 2.0, 1.5)),
    Spec("bbands_ema", _c(ind.bbands, 20, matype=1), _c(talib.BBANDS, 20, matype=1)),
    Spec("stddev", _c(ind.stddev), _c(talib.STDDEV)),
    Spec("obv", lambda b: ind.obv(b.close, b.volume), lambda b: talib.OBV(b.close, b.volume)),
    Spec(
        "ad",
        lambda b: ind.ad(b.high, b.low, b.close, b.volume),
        lambda b: talib.AD(b.high, b.low, b.close, b.volume),
    ),
    Spec(
        "adosc",
        lambda b: ind.adosc(b.high, b.low, b.close, b.volume),
        lambda b: talib.ADOSC(b.high, b.low, b.close, b.volume),
    ),
    # Not in classic TA-Lib but in TA-Lib 0.8, whose definitions these follow.
    Spec("hma", _c(ind.hma, 20), _c(talib.HMA, 20)),
    Spec("hma_5", _c(ind.hma, 5), _c(talib.HMA, 5)),  # sqrt period 2, rebuilt every 16 bars
    Spec("hma_3", _c(ind.hma, 3), _c(talib.HMA, 3)),  # degenerate: 2*x - WMA(x, 3)
    Spec(
        "vwma",
        lambda b: ind.vwma(b.close, b.volume, 30),
        lambda b: talib.VWMA(b.close, b.volume, 30),
    ),
    Spec(
        "awesome_oscillator",
        lambda b: ind.awesome_oscillator(b.high, b.low),
        lambda b: talib.AO(b.high, b.low),
    ),
    Spec(
        "supertrend",
        lambda b: ind.supertrend(b.high, b.low, b.close)[0],
        _hlc(lambda *a: talib.SUPERTREND(*a)[0]),
    ),
    Spec(
        "donchian", lambda b: ind.donchian(b.high, b.low), lambda b: talib.DONCHIAN(b.high, b.low)
    ),
    Spec("keltner", _hlc(ind.keltner), _hlc(talib.KC)),
    Spec(
        "keltner_5_14",
        _hlc(ind.keltner, timeperiod=5, atrperiod=14, nbdev=1.5),
        _hlc(talib.KC, timeperiod=5, atrperiod=14, nbdev=1.5),
    ),
    Spec(
        "cmf",
        lambda b: ind.cmf(b.high, b.low, b.close, b.volume),
        lambda b: talib.CMF(b.high, b.low, b.close, b.volume),
    ),
    Spec(
        "force_index",
        lambda b: ind.force_index(b.close, b.volume),
        lambda b: talib.EFI(b.close, b.volume),
    ),
    Spec("heikin_ashi", lambda b: ind.heikin_ashi(*b.ohlc), lambda b: talib.HA(*b.ohlc)),
    Spec(
        "vwap_cumulative",
        lambda b: ind.vwap(b.high, b.low, b.close, b.volume, anchor=None),
        lambda b: talib.VWAP(b.high, b.low, b.close, b.volume),
    ),
    # No TA-Lib equivalent: checked against pandas references elsewhere.
    Spec("vwap_daily", lambda b: ind.vwap(b.high, b.low, b.close, b.volume, b.ts)),
    Spec("vwap_4h", lambda b: ind.vwap(b.high, b.low, b.close, b.volume, b.ts, anchor="4h")),
    Spec("ichimoku", _hlc(ind.ichimoku)),
    Spec("historical_volatility", _c(ind.historical_volatility, 20, 8760.0)),
    Spec("supertrend_direction", lambda b: ind.supertrend(b.high, b.low, b.close)[1]),
    Spec("crossover", lambda b: ind.crossover(ind.ema(b.close, 5), ind.ema(b.close, 20))),
    Spec("crossunder", lambda b: ind.crossunder(b.close, ind.sma(b.close, 10))),
]

PATTERNS: dict[str, str] = {
    "doji": "CDLDOJI",
    "hammer": "CDLHAMMER",
    "hanging_man": "CDLHANGINGMAN",
    "inverted_hammer": "CDLINVERTEDHAMMER",
    "shooting_star": "CDLSHOOTINGSTAR",
    "engulfing": "CDLENGULFING",
    "harami": "CDLHARAMI",
    "piercing": "CDLPIERCING",
    "dark_cloud_cover": "CDLDARKCLOUDCOVER",
    "morning_star": "CDLMORNINGSTAR",
    "evening_star": "CDLEVENINGSTAR",
    "three_white_soldiers": "CDL3WHITESOLDIERS",
    "three_black_crows": "CDL3BLACKCROWS",
    "marubozu": "CDLMARUBOZU",
    "spinning_top": "CDLSPINNINGTOP",
}


def _pattern_spec(ours: str, theirs: str) -> Spec:
    return Spec(
        ours,
        lambda b: getattr(ind, ours)(*b.ohlc),
        lambda b: np.sign(getattr(talib, theirs)(*b.ohlc)) * 100,
    )


PATTERN_SPECS: list[Spec] = [_pattern_spec(o, t) for o, t in PATTERNS.items()]

ORACLE_SPECS = [s for s in NUMERIC if s.talib is not None]


def as_arrays(out: Any) -> list[np.ndarray]:
    """An indicator result (array or named tuple of arrays) as a list of float arrays."""
    if isinstance(out, tuple):
        return [np.asarray(a, dtype=np.float64) for a in out]
    return [np.asarray(out, dtype=np.float64)]


def assert_matches_talib(ours: Any, theirs: Any) -> None:
    """Equal NaN positions, and values within rtol 1e-8 plus atol 1e-10 x the output's scale."""
    mine, oracle = as_arrays(ours), as_arrays(theirs)
    assert len(mine) == len(oracle)
    for a, b in zip(mine, oracle, strict=True):
        assert a.shape == b.shape
        np.testing.assert_array_equal(
            np.isnan(a), np.isnan(b), err_msg="warm-up / NaN positions differ"
        )
        finite = np.abs(b[~np.isnan(b)])
        scale = float(finite.max()) if finite.size else 1.0
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10 * scale, equal_nan=True)
