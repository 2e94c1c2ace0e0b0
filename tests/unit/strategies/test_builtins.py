"""Built-in strategies on real BTC/USDT 1h candles: output contract and hand-checked bars.

The hand checks recompute each rule's inputs with plain pandas (not the
project's indicators); recursive averages (EMA, Wilder) differ from TA-Lib's
seeding only in the first few hundred bars, and the bars checked lie thousands
of bars in.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aitrader_core.errors import ValidationError
from aitrader_core.strategies import STRATEGIES, bars_from_close, create_strategy

KINDS = sorted(STRATEGIES)


def direction(bars: pd.DataFrame, kind: str, **params: object) -> pd.Series:
    return create_strategy(kind, params).signals(bars).direction


def flips_at(signal: pd.Series, when: str, before: int, after: int) -> bool:
    t = signal.index.get_loc(pd.Timestamp(when, tz="UTC"))
    return (int(signal.iloc[t - 1]), int(signal.iloc[t])) == (before, after)


@pytest.mark.parametrize("allow_short", [False, True])
@pytest.mark.parametrize("kind", KINDS)
def test_output_contract(btc: pd.DataFrame, kind: str, allow_short: bool) -> None:
    strategy = create_strategy(kind, {"allow_short": allow_short})
    signals = strategy.signals(btc)
    d = signals.direction
    assert d.dtype == np.int8
    assert d.index.equals(btc.index)
    assert set(np.unique(d)) == ({-1, 0, 1} if allow_short else {0, 1})
    assert (d.iloc[: strategy.warmup] == 0).all()
    for hint in (signals.stop, signals.target):
        if hint is not None:  # a hint exists exactly where a position is held
            assert hint.index.equals(btc.index)
            assert hint.notna().equals(d != 0)


@pytest.mark.parametrize("kind", KINDS)
def test_long_only_is_the_short_signal_with_shorts_made_flat(btc: pd.DataFrame, kind: str) -> None:
    both = direction(btc, kind, allow_short=True)
    assert direction(btc, kind).tolist() == both.clip(lower=0).tolist()


@pytest.mark.parametrize("kind", KINDS)
def test_history_no_longer_than_the_warmup_is_all_flat(kind: str) -> None:
    strategy = create_strategy(kind, {"allow_short": True})
    for size in {0, 1, strategy.warmup}:
        bars = bars_from_close(np.linspace(100.0, 50.0, size))
        assert strategy.signals(bars).direction.tolist() == [0] * size


@pytest.mark.parametrize("kind", KINDS)
def test_deterministic_and_leaves_the_bars_alone(btc: pd.DataFrame, kind: str) -> None:
    before = btc.copy()
    first = direction(btc, kind, allow_short=True)
    assert direction(btc, kind, allow_short=True).equals(first)
    pd.testing.assert_frame_equal(btc, before)


def test_warmup_ends_where_the_indicators_start(btc: pd.DataFrame) -> None:
    # EMA(26) is defined from bar 25: the slow EMA is above/below the fast one from there on.
    d = direction(btc, "ema_cross", allow_short=True)
    assert (d.iloc[:25] == 0).all()
    assert d.iloc[25] != 0
    # MACD(12, 26, 9) has 26 + 9 - 2 = 33 NaN bars.
    d = direction(btc, "macd_trend", allow_short=True)
    assert (d.iloc[:33] == 0).all()
    assert d.iloc[33:40].ne(0).any()


def test_ema_cross_goes_long_when_fast_crosses_above_slow(btc: pd.DataFrame) -> None:
    # 2023-03-11 20:00 EMA12 20184.17 < EMA26 20184.67; at 21:00 20210.28 > 20197.20.
    fast = btc.close.ewm(span=12, adjust=False).mean()
    slow = btc.close.ewm(span=26, adjust=False).mean()
    assert fast["2023-03-11 20:00"] < slow["2023-03-11 20:00"]
    assert fast["2023-03-11 21:00"] > slow["2023-03-11 21:00"]
    assert flips_at(direction(btc, "ema_cross"), "2023-03-11 21:00", 0, 1)
    assert flips_at(direction(btc, "ema_cross", allow_short=True), "2023-03-11 21:00", -1, 1)


def test_macd_trend_goes_long_when_the_histogram_turns_positive(btc: pd.DataFrame) -> None:
    # 2023-03-12 16:00 MACD - signal = -7.31; at 17:00 +18.49 (the SVB rescue rally).
    ema = lambda n: btc.close.ewm(span=n, adjust=False).mean()  # noqa: E731
    line = ema(12) - ema(26)
    hist = line - line.ewm(span=9, adjust=False).mean()
    assert hist["2023-03-12 16:00"] == pytest.approx(-7.31, abs=0.01)
    assert hist["2023-03-12 17:00"] == pytest.approx(18.49, abs=0.01)
    assert flips_at(direction(btc, "macd_trend"), "2023-03-12 17:00", 0, 1)


def test_donchian_breakout_enters_above_the_previous_20_bars_high(btc: pd.DataFrame) -> None:
    # 2023-10-23 01:00 closes at 30346.83 above 30248.00, the highest high of the
    # 20 bars before it; the bar before closed at 30120.00, still below it.
    prior_high = btc.high.rolling(20).max().shift(1)
    assert prior_high["2023-10-23 01:00"] == 30248.0
    assert btc.close["2023-10-23 00:00"] < 30248.0 < btc.close["2023-10-23 01:00"]
    signals = create_strategy("donchian_breakout", {}).signals(btc)
    assert flips_at(signals.direction, "2023-10-23 01:00", 0, 1)
    # The stop hint is the lowest low of the 10 bars before.
    assert signals.stop is not None
    prior_low = btc.low.rolling(10).min().shift(1)
    assert signals.stop["2023-10-23 01:00"] == prior_low["2023-10-23 01:00"]


def test_bollinger_trend_enters_on_a_close_above_the_upper_band(btc: pd.DataFrame) -> None:
    # 2023-10-23 00:00 closes at 30120.00 above the upper band 30116.01 (SMA20 + 2 sd).
    mid = btc.close.rolling(20).mean()
    upper = mid + 2 * btc.close.rolling(20).std(ddof=0)
    assert upper["2023-10-23 00:00"] == pytest.approx(30116.01, abs=0.01)
    assert btc.close["2023-10-22 23:00"] < upper["2023-10-22 23:00"]
    signals = create_strategy("bollinger_breakout", {"mode": "trend"}).signals(btc)
    assert flips_at(signals.direction, "2023-10-23 00:00", 0, 1)
    assert signals.stop is not None
    assert signals.stop["2023-10-23 00:00"] == pytest.approx(mid["2023-10-23 00:00"])


def test_bollinger_revert_buys_a_close_below_the_lower_band(btc: pd.DataFrame) -> None:
    # 2023-08-15 15:00 closes at 29332.66 below the lower band 29339.89; target: the middle band.
    mid = btc.close.rolling(20).mean()
    lower = mid - 2 * btc.close.rolling(20).std(ddof=0)
    assert lower["2023-08-15 15:00"] == pytest.approx(29339.89, abs=0.01)
    assert btc.close["2023-08-15 14:00"] > lower["2023-08-15 14:00"]
    signals = create_strategy("bollinger_breakout", {"mode": "revert"}).signals(btc)
    assert flips_at(signals.direction, "2023-08-15 15:00", 0, 1)
    assert signals.target is not None
    assert signals.target["2023-08-15 15:00"] == pytest.approx(mid["2023-08-15 15:00"])


def test_ichimoku_needs_price_above_the_cloud_and_tenkan_above_kijun(btc: pd.DataFrame) -> None:
    # 2023-10-23 00:00 closes at 30120 above the cloud (top 29994.38) but tenkan
    # 29941.14 < kijun 29944.00: no signal. At 01:00 tenkan 30176.03 > kijun
    # 30138.89 and the close 30346.83 is above the cloud (29999.05): long.
    mid = lambda n: (btc.high.rolling(n).max() + btc.low.rolling(n).min()) / 2  # noqa: E731
    tenkan, kijun = mid(9), mid(26)
    top = np.maximum(((tenkan + kijun) / 2).shift(26), mid(52).shift(26))
    assert tenkan["2023-10-23 00:00"] < kijun["2023-10-23 00:00"] < btc.close["2023-10-23 00:00"]
    assert tenkan["2023-10-23 01:00"] > kijun["2023-10-23 01:00"]
    assert (
        btc.close["2023-10-23 01:00"] > top["2023-10-23 01:00"] == pytest.approx(29999.05, abs=0.01)
    )
    signals = create_strategy("ichimoku_cloud", {}).signals(btc)
    assert flips_at(signals.direction, "2023-10-23 01:00", 0, 1)
    assert signals.stop is not None
    assert signals.stop["2023-10-23 01:00"] == kijun["2023-10-23 01:00"]


def test_rsi_reversion_buys_below_30_and_holds_until_above_70(btc: pd.DataFrame) -> None:
    # Wilder RSI(14) falls from 30.17 (2023-08-16 21:00) to 29.20 at 22:00, the
    # eve of the 17 August crash: long, held through the crash while RSI < 70.
    delta = btc.close.diff()
    gain = delta.clip(lower=0).ewm(alpha=1 / 14, adjust=False).mean()
    loss = (-delta.clip(upper=0)).ewm(alpha=1 / 14, adjust=False).mean()
    rsi = 100 * gain / (gain + loss)
    assert rsi["2023-08-16 21:00"] == pytest.approx(30.17, abs=0.01)
    assert rsi["2023-08-16 22:00"] == pytest.approx(29.20, abs=0.01)
    d = direction(btc, "rsi_reversion")
    assert flips_at(d, "2023-08-16 22:00", 0, 1)
    held = d["2023-08-16 22:00":"2023-08-18 06:00"]
    assert (held == 1).all()
    assert (rsi[held.index] < 70).all()
    # With shorts, the position before was short (RSI had been above 70) and now flips.
    assert flips_at(direction(btc, "rsi_reversion", allow_short=True), "2023-08-16 22:00", -1, 1)


def test_vwap_reversion_buys_one_percent_below_the_daily_vwap(btc: pd.DataFrame) -> None:
    # 2023-08-17 15:00 closes at 27934.02, below 0.99 x the day's VWAP 28419.99 =
    # 28135.79; an hour earlier 28394.34 was above 0.99 x 28549.20. The target is the VWAP.
    typical = (btc.high + btc.low + btc.close) / 3
    day = btc.index.floor("D")
    vwap = (typical * btc.volume).groupby(day).cumsum() / btc.volume.groupby(day).cumsum()
    assert vwap["2023-08-17 15:00"] == pytest.approx(28419.99, abs=0.01)
    assert btc.close["2023-08-17 14:00"] > 0.99 * vwap["2023-08-17 14:00"]
    signals = create_strategy("vwap_reversion", {"band": 0.01}).signals(btc)
    assert flips_at(signals.direction, "2023-08-17 15:00", 0, 1)
    assert signals.target is not None
    assert signals.target["2023-08-17 15:00"] == pytest.approx(vwap["2023-08-17 15:00"])


def test_bars_are_checked() -> None:
    bars = bars_from_close([1.0, 2.0, 3.0])
    strategy = create_strategy("ema_cross", {})
    with pytest.raises(ValidationError, match="bars: missing columns volume"):
        strategy.signals(bars.drop(columns="volume"))
    with pytest.raises(ValidationError, match="tz-aware UTC DatetimeIndex"):
        strategy.signals(bars.tz_localize(None))
    with pytest.raises(ValidationError, match="ascending"):
        strategy.signals(bars.iloc[::-1])
