"""The result object: journal reasons, trades, curves, summary and exports."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aitrader_core.backtest import BacktestConfig, BacktestResult, run_signals

from .bars import flat, make_bars


def scenario() -> BacktestResult:
    """One trade per exit reason: sl, tp, trail, time, signal, end."""
    rows = [
        *flat(100.0, 2),  # 0-1: signal at 0, entry at 1's open (SL 98, TP 105)
        (100.0, 100.0, 96.0, 97.0),  # 2: stop loss at 98
        *flat(97.0, 2),  # 3-4: signal off, on again at 4
        (97.0, 104.0, 97.0, 103.0),  # 5: entry at 97, target 101.85 reached
        *flat(103.0, 2),  # 6-7: off, on at 7
        (103.0, 106.0, 103.0, 105.5),  # 8: entry at 103, trail follows 106 -> 100.7
        (105.5, 108.0, 105.0, 107.0),  # 9: under the 108.15 target; trail -> 102.6
        (107.0, 107.0, 102.0, 102.5),  # 10: trailing stop at 102.6 (above the 100.94 SL)
        *flat(102.5, 6),  # 11-16: off, on at 12, entry at 13, time stop at 16's open
        *flat(102.5, 4),  # 17-20: off, on at 18, entry 19, signal exit decided 19, filled 20
        *flat(102.5, 3),  # 21-23: on at 21, entry 22, closed at the end (23's close)
    ]
    signal = [1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 0, 0, 1, 1, 1]
    assert len(signal) == len(rows)
    cfg = BacktestConfig.model_validate(
        {
            "initial_cash": 10_000.0,
            "costs": {"maker_fee": 0.001, "taker_fee": 0.002},
            "exits": {"stop_loss": 0.02, "take_profit": 0.05, "trailing_stop": 0.05, "max_bars": 3},
            "execution": {"reentry": "edge"},
        }
    )
    return run_signals(make_bars(rows), signal, cfg, symbol="BTC/USDT")


@pytest.fixture(scope="module")
def result() -> BacktestResult:
    return scenario()


def test_every_exit_reason_is_journalled(result: BacktestResult) -> None:
    t = result.trades
    assert t.exit_reason.tolist() == ["sl", "tp", "trail", "time", "signal", "end"]
    exits = result.fills[result.fills.side == "sell"]
    assert exits.reason.tolist() == t.exit_reason.tolist()
    assert (result.fills[result.fills.side == "buy"].reason == "signal").all()
    assert (result.orders.symbol == "BTC/USDT").all()


def test_journal_rows_carry_fees_slippage_and_resulting_position(result: BacktestResult) -> None:
    f = result.fills
    maker = f.order_type == "limit"  # targets filled inside the bar
    rate = np.where(maker, 0.001, 0.002)
    assert maker.any()
    np.testing.assert_allclose(f.fee, f.qty * f.price * rate, rtol=1e-12)
    signed = np.where(f.side == "buy", f.qty, -f.qty)
    np.testing.assert_allclose(f.position, np.cumsum(signed), atol=1e-12)
    assert set(f.columns) >= {"time", "signal_time", "order_type", "reason", "fee", "slippage"}


def test_trades_table(result: BacktestResult) -> None:
    t = result.trades
    assert (t.exit_bar >= t.entry_bar).all()
    assert (t.duration == t.exit_time - t.entry_time).all()
    np.testing.assert_allclose(
        t.pnl, t.qty * (t.exit_price - t.entry_price) - t.entry_fees - t.exit_fees, rtol=1e-12
    )
    np.testing.assert_allclose(t["return"], t.pnl / (t.qty * t.entry_price), rtol=1e-12)
    assert (t.mae <= 0).all()
    assert (t.mfe >= 0).all()
    sl = t.iloc[0]
    assert sl.mae == pytest.approx(98.0 / 100.0 - 1.0)  # the exit price bounds the excursion


def test_equity_returns_and_drawdown(result: BacktestResult) -> None:
    eq = result.equity
    assert str(eq.index.tz) == "UTC"
    assert eq.index.is_monotonic_increasing
    # all positions closed: equity is the initial cash plus the trades' PnL
    assert eq.iloc[-1] == pytest.approx(10_000.0 + result.trades.pnl.sum(), rel=1e-12)
    assert np.prod(1 + result.returns) == pytest.approx(eq.iloc[-1] / 10_000.0, rel=1e-12)
    dd = result.drawdown
    assert (dd <= 0).all()
    peak = np.maximum.accumulate(np.concatenate([[10_000.0], eq.to_numpy()]))[1:]
    np.testing.assert_allclose(dd, eq / peak - 1, rtol=1e-12)
    assert result.positions.iloc[-1, 0] == 0.0


def test_summary(result: BacktestResult) -> None:
    s = result.summary()
    assert s["trades"] == 6
    assert s["timeframe"] == "1h"
    assert s["final_equity"] == pytest.approx(result.equity.iloc[-1])
    assert s["total_fees"] == pytest.approx(result.fills.fee.sum())
    assert s["max_drawdown"] == pytest.approx(result.drawdown.min())
    assert s["win_rate"] == pytest.approx((result.trades.pnl > 0).mean())


def test_export_csv_json_parquet_round_trip(result: BacktestResult, tmp_path: Path) -> None:
    paths = result.export(tmp_path / "run", formats=("csv", "json", "parquet"))
    names = sorted(p.name for p in paths)
    assert names == sorted(
        [f"{t}.{f}" for t in ("trades", "orders", "equity") for f in ("csv", "json", "parquet")]
        + ["summary.json"]
    )
    trades = result.trades
    back = pd.read_parquet(tmp_path / "run" / "trades.parquet")
    pd.testing.assert_frame_equal(back, trades, check_dtype=False)
    csv = pd.read_csv(tmp_path / "run" / "trades.csv")
    np.testing.assert_allclose(csv.pnl, trades.pnl, rtol=1e-12)
    records = json.loads((tmp_path / "run" / "orders.json").read_text())
    assert len(records) == len(result.orders)
    assert records[0]["time"].startswith("2024-01-01T01:00:00")
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["trades"] == 6
    equity = pd.read_csv(tmp_path / "run" / "equity.csv")
    assert list(equity.columns[:5]) == ["time", "equity", "returns", "drawdown", "cash"]


def test_export_rejects_unknown_formats(result: BacktestResult, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="xlsx"):
        result.export(tmp_path, formats=("xlsx",))
