"""Metrics equal quantstats' definitions on real returns, annualised from the timeframe."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import quantstats.stats as qs

from aitrader_core.backtest import metrics as m
from tests.conftest import SAMPLE


def _returns(name: str, timeframe: str) -> pd.Series:
    bars = pd.read_csv(SAMPLE / name)
    close = pd.Series(bars["close"].to_numpy(), index=pd.to_datetime(bars["timestamp"], utc=True))
    r = close.pct_change().dropna()
    # a strategy-like series: in the market only when the 20-bar trend is up
    trend = (close > close.rolling(20).mean()).shift(1).reindex(r.index).fillna(False)
    return r.where(trend.astype(bool), 0.0).rename(timeframe)


CASES = [
    ("BTCUSDT_1h_20230101_20240110.csv.gz", "1h"),
    ("ETHUSDT_1h_20230101_20240110.csv.gz", "1h"),
    ("SOLUSDT_5m_20250601_20250701.csv.gz", "5m"),
]


@pytest.fixture(params=CASES, ids=[c[0][:7] + c[1] for c in CASES])
def real(request: pytest.FixtureRequest) -> tuple[pd.Series, str, float]:
    name, tf = request.param
    return _returns(name, tf), tf, m.periods_per_year(tf)


def test_return_metrics_equal_quantstats(real: tuple[pd.Series, str, float]) -> None:
    r, _tf, ppy = real
    periods = round(ppy)
    assert m.sharpe(r, ppy) == pytest.approx(qs.sharpe(r, periods=periods), rel=1e-12)
    assert m.sortino(r, ppy) == pytest.approx(qs.sortino(r, periods=periods), rel=1e-12)
    assert m.annual_volatility(r, ppy) == pytest.approx(
        qs.volatility(r, periods=periods), rel=1e-12
    )
    assert m.cagr(r, ppy) == pytest.approx(qs.cagr(r, periods=periods), rel=1e-9)
    assert m.max_drawdown(r) == pytest.approx(qs.max_drawdown(r), rel=1e-12)
    assert m.calmar(r, ppy) == pytest.approx(qs.calmar(r, periods=periods), rel=1e-9)
    assert m.total_return(r) == pytest.approx(qs.comp(r), rel=1e-12)
    np.testing.assert_allclose(m.drawdown(r), qs.to_drawdown_series(r).to_numpy(), atol=1e-12)


def test_exposure_matches_quantstats_rounding(real: tuple[pd.Series, str, float]) -> None:
    r, tf, _ppy = real
    ours = m.compute_metrics(r, tf).exposure
    assert math.ceil(ours * 100) / 100 == qs.exposure(r)
    assert 0 < ours < 1


def test_trade_metrics_equal_quantstats_on_trade_series() -> None:
    rng = np.random.default_rng(7)
    pnl = pd.Series(
        rng.normal(0.002, 0.02, 200), index=pd.date_range("2024", periods=200, tz="UTC")
    )
    pnl.iloc[::17] = 0.0  # break-even trades count in neither wins nor losses
    assert m.win_rate(pnl) == pytest.approx(qs.win_rate(pnl))
    assert m.profit_factor(pnl) == pytest.approx(qs.profit_factor(pnl))
    assert m.expectancy(pnl) == pytest.approx(pnl.mean())


def test_annualisation_comes_from_the_timeframe() -> None:
    r = _returns("BTCUSDT_1h_20230101_20240110.csv.gz", "1h")
    hourly = m.compute_metrics(r, "1h")
    as_daily = m.compute_metrics(r, "1d")
    assert hourly.periods_per_year == 8760
    assert hourly.sharpe == pytest.approx(as_daily.sharpe * math.sqrt(24))
    assert hourly.annual_volatility == pytest.approx(as_daily.annual_volatility * math.sqrt(24))


def test_hand_checked_drawdown_and_duration() -> None:
    r = np.array([0.10, -0.10, -0.10, 0.05, 0.30, -0.01])
    # equity 1.1, .99, .891, .93555, 1.216215, 1.20405...; peak 1.1 until bar 4
    assert m.max_drawdown(r) == pytest.approx(0.891 / 1.1 - 1)
    assert m.max_drawdown_duration(r) == 3
    assert m.profit_factor([1.0, 2.0]) == math.inf
    assert m.win_rate([]) == 0.0


def test_cagr_of_a_short_explosive_run_is_infinite_not_an_error() -> None:
    assert m.cagr(np.array([1.0, 1.0, 1.0, 1.0]), m.periods_per_year("1h")) == math.inf
