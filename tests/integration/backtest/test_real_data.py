"""Our own conventions on real candles: accounting identities, no look-ahead, strategies in."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aitrader_core.backtest import BacktestConfig, run_portfolio, run_signals

CONFIG = BacktestConfig.model_validate(
    {
        "initial_cash": 10_000.0,
        "costs": {
            "maker_fee": 0.0002,
            "taker_fee": 0.001,
            "slippage_bps": 2,
            "volume_impact_bps": 50,
            "max_slippage_bps": 50,
            "lot_step": 0.00001,
            "tick_size": 0.01,
            "min_notional": 5.0,
        },
        "sizing": {"kind": "risk", "risk": 0.01},
        "exits": {"stop_loss": 0.02, "take_profit": 0.06, "trailing_atr": 3.0, "max_bars": 96},
        "execution": {"allow_short": True},
    }
)


def ema_signal(close: pd.Series, fast: int = 12, slow: int = 48) -> pd.Series:
    diff = close.ewm(span=fast).mean() - close.ewm(span=slow).mean()
    return np.sign(diff).fillna(0).astype(int)


def test_accounting_identities_on_btc_1h(btc_1h_bars: pd.DataFrame) -> None:
    bars = btc_1h_bars.tz_localize("UTC")
    res = run_signals(bars, ema_signal(bars.close), CONFIG, symbol="BTC/USDT")
    t = res.trades
    assert len(t) > 100
    assert set(t.exit_reason) >= {"sl", "tp", "trail", "signal"}
    # equity ends at the initial cash plus every trade's PnL (all closed at the end)
    assert res.equity.iloc[-1] == pytest.approx(10_000.0 + t.pnl.sum(), rel=1e-9)
    # fills obey the exchange's precision
    f = res.fills
    np.testing.assert_allclose(f.price, np.round(f.price / 0.01) * 0.01, rtol=0, atol=1e-9)
    np.testing.assert_allclose(f.qty, np.round(f.qty / 1e-5) * 1e-5, rtol=0, atol=1e-12)
    assert (f.qty * f.price >= 5.0).all()
    # taker fills pay the volume-dependent slippage, at least the fixed 2 bp
    market = f[f.order_type == "market"]
    assert ((market.price - market.ref_price).abs() >= market.ref_price * 2e-4 - 0.01).all()
    s = res.summary()
    assert s["trades"] == len(t)
    assert s["timeframe"] == "1h"
    assert -1.0 < s["max_drawdown"] < 0.0


def test_no_look_ahead_on_real_data(eth_1h_bars: pd.DataFrame) -> None:
    bars = eth_1h_bars.tz_localize("UTC")
    signal = ema_signal(bars.close)
    full = run_signals(bars, signal, CONFIG)
    cut_at = 5_000
    part = run_signals(bars.iloc[:cut_at], signal.iloc[:cut_at], CONFIG)
    done = part.trades[part.trades.exit_reason != "end"]
    pd.testing.assert_frame_equal(full.trades.iloc[: len(done)], done)
    np.testing.assert_array_equal(full.equity.iloc[: cut_at - 1], part.equity.iloc[: cut_at - 1])


def test_a_strategy_feeds_the_engine_directly(btc_5m_bars: pd.DataFrame) -> None:
    from aitrader_core.strategies import DonchianBreakout, DonchianBreakoutParams

    bars = btc_5m_bars.tz_localize("UTC").iloc[:10_000]
    sig = DonchianBreakout(DonchianBreakoutParams(period=48, exit_period=24)).signals(bars)
    cfg = BacktestConfig.model_validate(
        {"costs": {"taker_fee": 0.0}, "execution": {"allow_short": True, "stop_fill": "exact"}}
    )
    res = run_signals(bars, sig.direction, cfg, stop=sig.stop, target=sig.target)
    t = res.trades
    assert len(t) > 20
    stops = t[t.exit_reason == "sl"]
    assert len(stops) > 5
    # a stop fills at the strategy's latest stop level, or at the open if it gapped through it
    level = sig.stop.ffill().shift(1).to_numpy()
    opens = bars.open.to_numpy()
    for row in stops.itertuples():
        e = row.exit_bar
        want = min(opens[e], level[e]) if row.direction == "long" else max(opens[e], level[e])
        assert row.exit_price == pytest.approx(want, rel=1e-12)


def test_two_real_symbols_share_cash(btc_1h_bars: pd.DataFrame, eth_1h_bars: pd.DataFrame) -> None:
    bars = {"BTC/USDT": btc_1h_bars.tz_localize("UTC"), "ETH/USDT": eth_1h_bars.tz_localize("UTC")}
    signals = {s: ema_signal(b.close) for s, b in bars.items()}
    cfg = BacktestConfig.model_validate(
        {"sizing": {"kind": "percent_equity", "fraction": 0.6}, "exits": {"stop_loss": 0.03}}
    )
    res = run_portfolio(bars, signals, cfg)
    assert set(res.trades.symbol) == set(bars)
    assert (res.cash >= -1e-9).all()
    both = (res.positions > 0).all(axis=1)
    assert both.any()  # at times both are held, the second with what the first left
    assert res.equity.iloc[-1] == pytest.approx(10_000.0 + res.trades.pnl.sum(), rel=1e-9)
