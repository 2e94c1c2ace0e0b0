"""The public surface: names, docstrings, pandas in/out, validation, short input."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
import talib

import aitrader_core.indicators as ind

from .conftest import RealSeries

PUBLIC = [
    "ADXStream", "ATRStream", "Aroon", "BBandsStream", "Bands", "EMAStream", "HeikinAshi",
    "Ichimoku", "MACD", "MACDStream", "RSIStream", "Stoch", "StochF", "Supertrend",
    "ad", "adosc", "adx", "adxr", "apo", "aroon", "aroonosc", "atr", "awesome_oscillator",
    "bbands", "bop", "cci", "cmf", "cmo", "crossover", "crossunder", "dark_cloud_cover",
    "dema", "doji", "donchian", "dx", "ema", "engulfing", "evening_star", "force_index",
    "hammer", "hanging_man", "harami", "heikin_ashi", "historical_volatility", "hma",
    "ichimoku", "inverted_hammer", "kama", "keltner", "linearreg_slope", "macd", "marubozu",
    "mfi", "minus_di", "mom", "morning_star", "natr", "obv", "piercing", "plus_di", "ppo",
    "resample_ohlcv", "roc", "rsi", "sar", "shooting_star", "sma", "spinning_top", "stddev",
    "stoch", "stochf", "stochrsi", "supertrend", "t3", "tema", "three_black_crows",
    "three_white_soldiers", "trange", "trima", "trix", "ultosc", "vwap", "vwma", "willr", "wma",
]  # fmt: skip

PRICE_PARAMS = ("open", "high", "low", "close", "volume")
FUNCTIONS = [
    name
    for name in ind.__all__
    if inspect.isfunction(getattr(ind, name))
    and name not in ("resample_ohlcv", "crossover", "crossunder")
]
PATTERNS = {
    "doji", "hammer", "hanging_man", "inverted_hammer", "shooting_star", "engulfing", "harami",
    "piercing", "dark_cloud_cover", "morning_star", "evening_star", "three_white_soldiers",
    "three_black_crows", "marubozu", "spinning_top",
}  # fmt: skip


def _params(fn: Callable[..., Any]) -> dict[str, inspect.Parameter]:
    return dict(inspect.signature(fn).parameters)


def _call(name: str, data: dict[str, Any], **kw: Any) -> Any:
    fn = getattr(ind, name)
    args = [data[p] for p in _params(fn) if p in PRICE_PARAMS]
    if name == "vwap":
        kw.setdefault("timestamps", data.get("ts"))
    return fn(*args, **kw)


def _outputs(result: Any) -> list[Any]:
    return list(result) if isinstance(result, tuple) else [result]


def _sample(s: RealSeries, n: int) -> dict[str, Any]:
    d: dict[str, Any] = {p: getattr(s, p)[:n].copy() for p in PRICE_PARAMS}
    d["ts"] = s.ts[:n].copy()
    return d


def test_public_names_are_pinned() -> None:
    assert sorted(ind.__all__) == sorted(PUBLIC)
    for name in PUBLIC:
        assert hasattr(ind, name)


@pytest.mark.parametrize("name", [n for n in PUBLIC if inspect.isfunction(getattr(ind, n))])
def test_public_functions_have_numpy_docstrings_with_examples(name: str) -> None:
    doc = inspect.getdoc(getattr(ind, name)) or ""
    for section in ("Parameters\n----------", "Returns\n-------", "Examples\n--------", ">>> "):
        assert section in doc, f"{name} docstring lacks {section!r}"


@pytest.mark.parametrize("name", FUNCTIONS)
def test_series_in_series_out_with_same_index(name: str, btc_1h: RealSeries) -> None:
    frame = btc_1h.frame.iloc[:500]
    data = {c: frame[c] for c in PRICE_PARAMS}
    data["ts"] = None  # vwap reads the DatetimeIndex
    result = _call(name, data)
    arrays = _call(name, _sample(btc_1h, 500))
    for series, array in zip(_outputs(result), _outputs(arrays), strict=True):
        assert isinstance(series, pd.Series)
        assert series.index.equals(frame.index)
        np.testing.assert_array_equal(series.to_numpy(), array)
    if isinstance(result, tuple):
        assert type(result).__name__ == type(arrays).__name__
        assert list(result._fields) == [s.name for s in result]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_inputs_are_never_mutated_and_any_layout_is_accepted(name: str, gappy: RealSeries) -> None:
    data = _sample(gappy, 400)
    before = {k: v.copy() for k, v in data.items()}
    expected = _outputs(_call(name, data))
    for k, v in data.items():
        np.testing.assert_array_equal(v, before[k])
    # Read-only and strided (non-contiguous) inputs give the same result.
    frozen = {k: v.copy() for k, v in data.items()}
    for v in frozen.values():
        v.flags.writeable = False
    strided = {k: np.repeat(v, 2)[::2] for k, v in data.items()}
    assert not strided["close"].flags.c_contiguous
    for variant in (frozen, strided):
        for got, want in zip(_outputs(_call(name, variant)), expected, strict=True):
            np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("n", [0, 1, 4])
@pytest.mark.parametrize("name", FUNCTIONS)
def test_short_history_gives_full_length_warm_up_not_an_error(
    name: str, n: int, btc_1h: RealSeries
) -> None:
    outputs = _outputs(_call(name, _sample(btc_1h, n)))
    long = _outputs(_call(name, _sample(btc_1h, 300)))
    for out, ref in zip(outputs, long, strict=True):
        assert len(out) == n
        # Whatever is defined on n bars is what the long run shows on its first n bars.
        np.testing.assert_array_equal(out, ref[:n])
    if name in PATTERNS:
        assert all((o == 0).all() for o in outputs)
    elif n and name in ("sma", "rsi", "macd", "adx", "bbands", "stoch", "ichimoku", "t3", "mfi"):
        assert all(np.isnan(o[: min(n, 4)]).all() for o in outputs[:2])


def _invalid_cases() -> list[tuple[str, str, Any]]:
    cases = []
    for name in [*FUNCTIONS, "historical_volatility"]:
        for pname, p in _params(getattr(ind, name)).items():
            if isinstance(p.default, bool) or p.default is inspect.Parameter.empty:
                continue
            if pname.endswith("matype"):
                cases.append((name, pname, 7))
            elif isinstance(p.default, int):
                cases += [(name, pname, 0), (name, pname, 2.5), (name, pname, True)]
            elif isinstance(p.default, float):
                cases += [(name, pname, -1.0), (name, pname, float("nan"))]
    return cases


@pytest.mark.parametrize(("name", "param", "value"), _invalid_cases())
def test_invalid_parameters_raise_value_error_naming_the_parameter(
    name: str, param: str, value: Any, btc_1h: RealSeries
) -> None:
    with pytest.raises(ValueError, match=param):
        _call(name, _sample(btc_1h, 50), **{param: value})


def test_mismatched_lengths_raise(btc_1h: RealSeries) -> None:
    with pytest.raises(ValueError, match="same length"):
        ind.atr(btc_1h.high[:10], btc_1h.low[:9], btc_1h.close[:10])
    with pytest.raises(ValueError, match="one-dimensional"):
        ind.sma(np.ones((3, 3)))


def test_lists_are_accepted_and_period_one_is_identity() -> None:
    np.testing.assert_array_equal(ind.sma([1.0, 2.0, 4.0], 1), [1.0, 2.0, 4.0])
    np.testing.assert_array_equal(ind.ema([1.0, 2.0, 40.0], 1), [1.0, 2.0, 40.0])
    np.testing.assert_array_equal(ind.kama([1.0, 2.0, 40.0], 1), [1.0, 2.0, 40.0])


@pytest.mark.parametrize("name", ["sma", "ema", "wma", "dema", "tema", "trima", "kama", "t3"])
def test_period_one_averages_copy_the_input_like_talib(name: str, gappy: RealSeries) -> None:
    # Period 1 is a special case in every kernel (no ring, no running sum).
    ours = getattr(ind, name)(gappy.close, 1)
    np.testing.assert_array_equal(ours, getattr(talib, name.upper())(gappy.close, 1))
    np.testing.assert_array_equal(ours, gappy.close)


def test_awesome_oscillator_requires_fast_below_slow(btc_1h: RealSeries) -> None:
    with pytest.raises(ValueError, match="fastperiod"):
        ind.awesome_oscillator(btc_1h.high, btc_1h.low, 34, 5)
