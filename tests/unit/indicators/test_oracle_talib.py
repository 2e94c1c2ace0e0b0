"""Every indicator TA-Lib also has equals TA-Lib's output on real data.

rtol 1e-8 plus an atol of 1e-10 times the output's own magnitude, and identical
NaN positions (the same warm-up). Series: BTC 1h, BTC 5m, ADA/BTC 5m at ~5e-5
and a gappy 1m series with many flat bars.
"""

from __future__ import annotations

import numpy as np
import pytest
import talib

import aitrader_core.indicators as ind

from .conftest import RealSeries
from .specs import ORACLE_SPECS, PATTERN_SPECS, Spec, assert_matches_talib


@pytest.mark.parametrize("spec", ORACLE_SPECS, ids=lambda s: s.name)
def test_matches_talib(spec: Spec, real_series: RealSeries) -> None:
    assert spec.talib is not None
    assert_matches_talib(spec.ours(real_series.bars), spec.talib(real_series.bars))


@pytest.mark.parametrize("spec", PATTERN_SPECS, ids=lambda s: s.name)
def test_pattern_agreement_with_talib(spec: Spec, real_series: RealSeries) -> None:
    # Exact agreement is not a requirement for patterns; we ask for >= 99 %
    # precision and recall against the sign of TA-Lib's CDL output.
    assert spec.talib is not None
    ours = np.asarray(spec.ours(real_series.bars))
    theirs = np.asarray(spec.talib(real_series.bars)).astype(np.int32)
    assert ours.dtype == np.int32
    assert set(np.unique(ours)) <= {-100, 0, 100}
    hits = ours != 0
    their_hits = theirs != 0
    both = (hits & their_hits & (ours == theirs)).sum()
    if their_hits.any():
        assert both / their_hits.sum() >= 0.99, "recall vs TA-Lib"
    if hits.any():
        assert both / hits.sum() >= 0.99, "precision vs TA-Lib"
    assert (ours == theirs).mean() >= 0.999


def test_composition_skips_leading_nans_like_talib(btc_1h: RealSeries) -> None:
    # The warm-up of one indicator fed to another is skipped, as TA-Lib's wrapper does.
    c = btc_1h.close
    assert_matches_talib(ind.sma(ind.rsi(c, 14), 10), talib.SMA(talib.RSI(c, 14), 10))
    assert_matches_talib(ind.ema(ind.macd(c).macd, 5), talib.EMA(talib.MACD(c)[0], 5))
    assert_matches_talib(
        ind.bbands(ind.atr(btc_1h.high, btc_1h.low, c), 20),
        talib.BBANDS(talib.ATR(btc_1h.high, btc_1h.low, c), 20),
    )


def test_engulfing_reports_talibs_weak_variant_as_full_signal(btc_1h: RealSeries) -> None:
    # TA-Lib returns +/-80 when the bodies coincide at one end; we return +/-100.
    o, h, lo, c = btc_1h.open, btc_1h.high, btc_1h.low, btc_1h.close
    theirs = talib.CDLENGULFING(o, h, lo, c)
    weak = np.abs(theirs) == 80
    assert weak.any()
    np.testing.assert_array_equal(ind.engulfing(o, h, lo, c)[weak], np.sign(theirs[weak]) * 100)
