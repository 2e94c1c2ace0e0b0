"""Technical indicators: pure functions on float64 numpy arrays (or pandas Series).

Conventions (see ``docs/indicators.md``):

* names and parameters follow TA-Lib in lower case; where TA-Lib has the
  indicator the output equals TA-Lib's (bit for bit for most, always within
  1e-8 relative);
* the warm-up is NaN, a history shorter than the warm-up gives all-NaN (never
  an exception), invalid parameters raise ``ValueError`` naming the parameter;
* a Series in gives a Series out with the same index; multi-output functions
  return named tuples;
* no look-ahead: the value at bar ``t`` depends on bars ``<= t`` only;
* candlestick patterns return int32 arrays of +100 / -100 / 0.
"""

from .averages import dema, ema, hma, kama, sma, t3, tema, trima, vwma, wma
from .directional import adx, adxr, dx, minus_di, plus_di
from .helpers import HeikinAshi, crossover, crossunder, heikin_ashi, resample_ohlcv
from .momentum import (
    MACD,
    Stoch,
    StochF,
    apo,
    cmo,
    macd,
    mom,
    ppo,
    roc,
    rsi,
    stoch,
    stochf,
    stochrsi,
    trix,
)
from .oscillators import (
    Aroon,
    aroon,
    aroonosc,
    awesome_oscillator,
    bop,
    cci,
    force_index,
    mfi,
    ultosc,
    willr,
)
from .patterns import (
    doji,
    hammer,
    hanging_man,
    inverted_hammer,
    marubozu,
    shooting_star,
    spinning_top,
)
from .patterns_multi import (
    dark_cloud_cover,
    engulfing,
    evening_star,
    harami,
    morning_star,
    piercing,
    three_black_crows,
    three_white_soldiers,
)
from .streaming import ADXStream, ATRStream, BBandsStream, EMAStream, MACDStream, RSIStream
from .trend import Ichimoku, Supertrend, ichimoku, linearreg_slope, sar, supertrend
from .volatility import (
    Bands,
    atr,
    bbands,
    donchian,
    historical_volatility,
    keltner,
    natr,
    stddev,
    trange,
)
from .volume import ad, adosc, cmf, obv, vwap

__all__ = [
    "MACD",
    "ADXStream",
    "ATRStream",
    "Aroon",
    "BBandsStream",
    "Bands",
    "EMAStream",
    "HeikinAshi",
    "Ichimoku",
    "MACDStream",
    "RSIStream",
    "Stoch",
    "StochF",
    "Supertrend",
    "ad",
    "adosc",
    "adx",
    "adxr",
    "apo",
    "aroon",
    "aroonosc",
    "atr",
    "awesome_oscillator",
    "bbands",
    "bop",
    "cci",
    "cmf",
    "cmo",
    "crossover",
    "crossunder",
    "dark_cloud_cover",
    "dema",
    "doji",
    "donchian",
    "dx",
    "ema",
    "engulfing",
    "evening_star",
    "force_index",
    "hammer",
    "hanging_man",
    "harami",
    "heikin_ashi",
    "historical_volatility",
    "hma",
    "ichimoku",
    "inverted_hammer",
    "kama",
    "keltner",
    "linearreg_slope",
    "macd",
    "marubozu",
    "mfi",
    "minus_di",
    "mom",
    "morning_star",
    "natr",
    "obv",
    "piercing",
    "plus_di",
    "ppo",
    "resample_ohlcv",
    "roc",
    "rsi",
    "sar",
    "shooting_star",
    "sma",
    "spinning_top",
    "stddev",
    "stoch",
    "stochf",
    "stochrsi",
    "supertrend",
    "t3",
    "tema",
    "three_black_crows",
    "three_white_soldiers",
    "trange",
    "trima",
    "trix",
    "ultosc",
    "vwap",
    "vwma",
    "willr",
    "wma",
]
