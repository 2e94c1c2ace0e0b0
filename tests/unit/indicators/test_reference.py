"""Indicators TA-Lib lacks (or defines differently), against plain pandas/python references."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import aitrader_core.indicators as ind

from .conftest import RealSeries


def test_ichimoku_lines_are_rolling_midpoints_aligned_at_the_computing_bar(
    real_series: RealSeries,
) -> None:
    s = real_series
    high, low = pd.Series(s.high), pd.Series(s.low)

    def mid(n: int) -> np.ndarray:
        return ((high.rolling(n).max() + low.rolling(n).min()) / 2.0).to_numpy()

    out = ind.ichimoku(s.high, s.low, s.close)
    np.testing.assert_array_equal(out.tenkan, mid(9))
    np.testing.assert_array_equal(out.kijun, mid(26))
    np.testing.assert_array_equal(out.senkou_b, mid(52))
    np.testing.assert_array_equal(out.senkou_a, (mid(9) + mid(26)) / 2.0)
    # Chikou aligned at its own bar is the close itself: nothing from the future.
    np.testing.assert_array_equal(out.chikou, s.close)


def test_historical_volatility_is_annualised_sample_stdev_of_log_returns(
    real_series: RealSeries,
) -> None:
    s = real_series
    want = np.log(pd.Series(s.close)).diff().rolling(20).std(ddof=1) * np.sqrt(8760.0)
    got = ind.historical_volatility(s.close, 20, periods_per_year=8760.0)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want.to_numpy()))
    np.testing.assert_allclose(got, want.to_numpy(), rtol=1e-7, atol=1e-12, equal_nan=True)


def test_vwma_cmf_donchian_against_pandas(real_series: RealSeries) -> None:
    s = real_series
    c, v = pd.Series(s.close), pd.Series(s.volume)
    want = (c * v).rolling(20).sum() / v.rolling(20).sum()
    np.testing.assert_allclose(
        ind.vwma(s.close, s.volume, 20), want.to_numpy(), rtol=1e-9, equal_nan=True
    )
    rng = s.high - s.low
    safe = np.where(rng > 0, rng, 1.0)
    mfv = np.where(rng > 0, ((s.close - s.low) - (s.high - s.close)) / safe, 0.0) * s.volume
    vol_sum = v.rolling(20).sum().to_numpy()
    want = pd.Series(mfv).rolling(20).sum().to_numpy() / np.where(vol_sum > 0, vol_sum, np.nan)
    want[vol_sum == 0] = 0.0  # a window without volume has no money flow
    got = ind.cmf(s.high, s.low, s.close, s.volume, 20)
    np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-9, equal_nan=True)
    up, mid, lo = ind.donchian(s.high, s.low, 20)
    np.testing.assert_array_equal(up, pd.Series(s.high).rolling(20).max().to_numpy())
    np.testing.assert_array_equal(lo, pd.Series(s.low).rolling(20).min().to_numpy())
    np.testing.assert_array_equal(mid, (up + lo) / 2.0)


def test_vwma_is_nan_and_cmf_zero_for_a_window_without_volume() -> None:
    c = np.arange(1.0, 11.0)
    v = np.array([1.0, 1, 1, 0, 0, 0, 0, 1, 1, 1])
    got = ind.vwma(c, v, 3)
    assert np.isnan(got[5])
    assert np.isnan(got[6])
    assert got[7] == 8.0
    cmf = ind.cmf(c + 1.0, c - 1.0, c, v, 3)
    assert cmf[5] == 0.0
    assert cmf[6] == 0.0


def _supertrend_reference(
    h: np.ndarray, lo: np.ndarray, c: np.ndarray, n: int, m: float
) -> tuple[list[float], list[float]]:
    atr = ind.atr(h, lo, c, n)
    line, trend = [np.nan] * len(c), [np.nan] * len(c)
    up = dn = 0.0
    t = 1.0
    for i in range(n, len(c)):
        mid = (h[i] + lo[i]) / 2.0
        bu, bd = mid - m * atr[i], mid + m * atr[i]
        if i == n:
            up, dn = bu, bd
        else:
            pu, pd_ = up, dn
            up = max(bu, pu) if c[i - 1] > pu else bu
            dn = min(bd, pd_) if c[i - 1] < pd_ else bd
            if t < 0 and c[i] > pd_:
                t = 1.0
            elif t > 0 and c[i] < pu:
                t = -1.0
        line[i], trend[i] = (up if t > 0 else dn), t
    return line, trend


@pytest.mark.parametrize(("n", "m"), [(10, 3.0), (7, 1.5)])
def test_supertrend_against_a_plain_loop(n: int, m: float, btc_1h: RealSeries) -> None:
    s = btc_1h
    line, trend = _supertrend_reference(s.high, s.low, s.close, n, m)
    got = ind.supertrend(s.high, s.low, s.close, n, m)
    np.testing.assert_allclose(got.supertrend, line, rtol=1e-12, equal_nan=True)
    np.testing.assert_array_equal(got.direction, trend)
    assert {-1.0, 1.0} == set(np.unique(got.direction[n:]))
