"""crossover / crossunder, resample_ohlcv, heikin_ashi and the session VWAP."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import aitrader_core.indicators as ind
from aitrader_core.indicators._timeframe import bucket_open_ms, parse_timeframe

from .conftest import RealSeries

AGG = {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}


def test_crossover_and_crossunder_on_arrays_series_and_levels() -> None:
    a = np.array([1.0, 2.0, 3.0, 2.0, 1.0, np.nan, 3.0])
    b = np.full(7, 2.0)
    np.testing.assert_array_equal(
        ind.crossover(a, b), [False, False, True, False, False, False, False]
    )
    np.testing.assert_array_equal(
        ind.crossunder(a, 2.0), [False, False, False, False, True, False, False]
    )
    # Touching the level is not a cross; the next bar beyond it is.
    np.testing.assert_array_equal(ind.crossover([1.0, 2.0, 2.5], 2.0), [False, False, True])
    s = pd.Series(a, index=pd.date_range("2024-01-01", periods=7, freq="1h", tz="UTC"))
    out = ind.crossover(s, pd.Series(b, index=s.index))
    assert isinstance(out, pd.Series)
    assert out.index.equals(s.index)
    assert out.dtype == bool
    assert out.iloc[2]
    with pytest.raises(ValueError, match="same length"):
        ind.crossover(a, b[:3])


@pytest.mark.parametrize(
    ("timeframe", "rule"),
    [("15m", "15min"), ("1h", "1h"), ("4h", "4h"), ("1d", "1D"), ("1w", "W-MON"), ("1M", "MS")],
)
def test_resample_matches_pandas_with_open_time_labels(timeframe: str, rule: str) -> None:
    frame = pd.read_csv("data/sample/BTCUSDT_5m_20240301_20250702.csv.gz", nrows=30_000)
    frame = frame.set_index(pd.to_datetime(frame.pop("timestamp"), utc=True))
    got = ind.resample_ohlcv(frame, timeframe)
    want = frame.resample(rule, label="left", closed="left").agg(AGG).dropna()
    pd.testing.assert_frame_equal(got, want, check_freq=False, check_names=False)
    # Open-time labels: every input bar falls in [label, next label).
    assert got.index[0] <= frame.index[0] < got.index[1]
    assert str(got.index.tz) == "UTC"


def test_resample_drops_empty_buckets_on_gappy_data(gappy: RealSeries) -> None:
    got = ind.resample_ohlcv(gappy.frame, "5m")
    want = gappy.frame.resample("5min", label="left", closed="left").agg(AGG)
    want = want[gappy.frame.resample("5min").size() > 0]
    pd.testing.assert_frame_equal(got, want, check_freq=False, check_names=False)
    assert len(got) < len(want.index.union(pd.date_range(got.index[0], got.index[-1], freq="5min")))
    assert got["volume"].sum() == pytest.approx(gappy.frame["volume"].sum())


def test_resample_keeps_naive_index_naive_converts_other_zones_and_sorts() -> None:
    idx = pd.date_range("2024-01-01 00:00", periods=8, freq="30min")
    frame = pd.DataFrame(
        {
            "open": np.arange(8.0),
            "high": np.arange(8.0) + 1,
            "low": np.arange(8.0) - 1,
            "close": np.arange(8.0) + 0.5,
            "volume": np.ones(8),
            "extra": 1,
        },
        index=idx,
    )
    naive = ind.resample_ohlcv(frame.iloc[::-1], "1h")
    assert naive.index.tz is None
    assert list(naive.columns) == ["open", "high", "low", "close", "volume"]
    np.testing.assert_array_equal(naive["open"], [0.0, 2.0, 4.0, 6.0])
    np.testing.assert_array_equal(naive["volume"], [2.0, 2.0, 2.0, 2.0])
    zoned = frame.tz_localize("UTC").tz_convert("Asia/Tokyo")
    aware = ind.resample_ohlcv(zoned, "4h")
    assert str(aware.index.tz) == "UTC"
    assert aware.index[0] == pd.Timestamp("2024-01-01 00:00", tz="UTC")
    with pytest.raises(ValueError, match="missing columns"):
        ind.resample_ohlcv(frame.drop(columns="volume"), "1h")
    with pytest.raises(ValueError, match="DatetimeIndex"):
        ind.resample_ohlcv(frame.reset_index(drop=True), "1h")
    with pytest.raises(ValueError, match="timeframe"):
        ind.resample_ohlcv(frame, "1x")


def test_timeframe_buckets() -> None:
    assert parse_timeframe("15m") == (15, "m")
    assert parse_timeframe("D") == (1, "d")
    monday = pd.Timestamp("2024-01-08", tz="UTC")  # a Monday
    ts = np.array([monday.value // 1_000_000 + 3 * 86_400_000], dtype=np.int64)
    assert bucket_open_ms(ts, "1w")[0] == monday.value // 1_000_000
    feb = pd.Timestamp("2024-02-29 13:00", tz="UTC").value // 1_000_000
    assert (
        bucket_open_ms(np.array([feb]), "1M")[0]
        == pd.Timestamp("2024-02-01", tz="UTC").value // 1_000_000
    )
    for bad in ("", "0m", "15", "m15", 15):
        with pytest.raises(ValueError, match="timeframe"):
            parse_timeframe(bad)  # type: ignore[arg-type]


def _pandas_vwap(frame: pd.DataFrame, rule: str) -> np.ndarray:
    tp = (frame["high"] + frame["low"] + frame["close"]) / 3.0
    key = frame.index.floor(rule) if rule != "MS" else frame.index.tz_convert(None).to_period("M")
    pv = (tp * frame["volume"]).groupby(key).cumsum()
    vol = frame["volume"].groupby(key).cumsum()
    return (pv / vol.where(vol > 0)).to_numpy()


@pytest.mark.parametrize(("anchor", "rule"), [("D", "1D"), ("4h", "4h"), ("1M", "MS")])
def test_vwap_resets_each_session(anchor: str, rule: str, real_series: RealSeries) -> None:
    s = real_series
    got = ind.vwap(s.high, s.low, s.close, s.volume, s.ts, anchor=anchor)
    np.testing.assert_allclose(got, _pandas_vwap(s.frame, rule), rtol=1e-9, equal_nan=True)
    # From a Series with a DatetimeIndex the timestamps come from the index.
    f = s.frame
    series_out = ind.vwap(f["high"], f["low"], f["close"], f["volume"], anchor=anchor)
    assert series_out.index.equals(f.index)
    np.testing.assert_array_equal(series_out.to_numpy(), got)


def test_vwap_first_bar_of_each_day_is_its_typical_price(btc_1h: RealSeries) -> None:
    s = btc_1h
    got = ind.vwap(s.high, s.low, s.close, s.volume, s.ts)
    first = np.flatnonzero(s.frame.index.hour == 0)
    tp = (s.high + s.low + s.close) / 3.0
    has_volume = s.volume[first] > 0
    np.testing.assert_allclose(got[first][has_volume], tp[first][has_volume], rtol=1e-12)
    with pytest.raises(ValueError, match="timestamps"):
        ind.vwap(s.high, s.low, s.close, s.volume)
    with pytest.raises(ValueError, match="same length"):
        ind.vwap(s.high, s.low, s.close, s.volume, s.ts[:-1])


def test_heikin_ashi_definition(btc_1h: RealSeries) -> None:
    s = btc_1h
    ha = ind.heikin_ashi(s.open, s.high, s.low, s.close)
    np.testing.assert_allclose(ha.close, (s.open + s.high + s.low + s.close) / 4.0, rtol=1e-15)
    assert ha.open[0] == (s.open[0] + s.close[0]) / 2.0
    np.testing.assert_allclose(ha.open[1:], (ha.open[:-1] + ha.close[:-1]) / 2.0, rtol=1e-15)
    assert (ha.high >= np.maximum(ha.open, ha.close)).all()
    assert (ha.low <= np.minimum(ha.open, ha.close)).all()
