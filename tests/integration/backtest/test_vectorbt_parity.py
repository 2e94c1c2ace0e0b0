"""Parity with vectorbt's Portfolio.from_signals on real Binance candles.

Same signals (SMA crosses), same arguments; our :func:`from_signals` must give
the same trades (entry/exit bar, direction, status exactly; size, prices,
fees, PnL and return to 1e-9 relative) and the same equity curve.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import vectorbt as vbt

from aitrader_core.backtest import from_signals

DATASETS = ["btc_1h_bars", "eth_1h_bars", "btc_5m_bars"]
RTOL = 1e-9


def sma_cross(close: pd.Series, fast: int, slow: int) -> tuple[np.ndarray, np.ndarray]:
    above = (close.rolling(fast).mean() > close.rolling(slow).mean()).to_numpy()
    prev = np.concatenate([[False], above[:-1]])
    return above & ~prev, ~above & prev


CASES: dict[str, dict] = {
    "long_only": {"fees": 0.001, "slippage": 0.0005},
    "long_short": {"fees": 0.001, "slippage": 0.0005, "direction": "both"},
    "sl_tp": {"fees": 0.001, "sl_stop": 0.02, "tp_stop": 0.04},
    "sl_tp_long_short": {"fees": 0.001, "sl_stop": 0.015, "tp_stop": 0.03, "direction": "both"},
    "trailing": {"fees": 0.001, "sl_stop": 0.03, "sl_trail": True},
    "trailing_tp_long_short": {
        "fees": 0.0005,
        "slippage": 0.001,
        "sl_stop": 0.02,
        "sl_trail": True,
        "tp_stop": 0.05,
        "direction": "both",
    },
    "value_size": {"fees": 0.001, "size": 50.0, "size_type": "value", "sl_stop": 0.02},
    "percent_size": {"fees": 0.001, "size": 0.5, "size_type": "percent", "tp_stop": 0.03},
    "stop_market": {
        "fees": 0.001,
        "slippage": 0.001,
        "sl_stop": 0.02,
        "stop_exit_price": "stopmarket",
    },
}


@pytest.fixture(scope="module", autouse=True)
def _vectorbt_warm() -> None:
    """Pay vectorbt's first-call JIT cost once per module."""
    close = pd.Series(np.linspace(1.0, 2.0, 50))
    pf = vbt.Portfolio.from_signals(close, close > 1.5, close > 1.8, sl_stop=0.1)
    assert len(pf.trades.records) == 1


def vbt_trades(pf: vbt.Portfolio) -> pd.DataFrame:
    r = pf.trades.records
    return pd.DataFrame(
        {
            "entry_bar": r["entry_idx"],
            "exit_bar": r["exit_idx"],
            "short": r["direction"] == 1,
            "closed": r["status"] == 1,
            "qty": r["size"],
            "entry_price": r["entry_price"],
            "exit_price": r["exit_price"],
            "entry_fees": r["entry_fees"],
            "exit_fees": r["exit_fees"],
            "pnl": r["pnl"],
            "return": r["return"],
        }
    )


def our_trades(t: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "entry_bar": t.entry_bar.to_numpy(),
            "exit_bar": t.exit_bar.to_numpy(),
            "short": (t.direction == "short").to_numpy(),
            "closed": (t.status == "closed").to_numpy(),
            "qty": t.qty.to_numpy(),
            "entry_price": t.entry_price.to_numpy(),
            "exit_price": t.exit_price.to_numpy(),
            "entry_fees": t.entry_fees.to_numpy(),
            "exit_fees": t.exit_fees.to_numpy(),
            "pnl": t.pnl.to_numpy(),
            "return": t["return"].to_numpy(),
        }
    )


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("dataset", DATASETS)
def test_trades_equal_vectorbt(dataset: str, case: str, request: pytest.FixtureRequest) -> None:
    bars = request.getfixturevalue(dataset)
    assert bars.index.tz is None  # vectorbt is 10-90x slower on tz-aware indexes
    entries, exits = sma_cross(bars.close, 12, 40)
    kw = dict(CASES[case])
    if dataset == "btc_5m_bars":  # 5-minute moves are smaller: tighter stops so they fire
        kw |= {k: kw[k] / 4 for k in ("sl_stop", "tp_stop") if k in kw}
    ohl = {"open": bars.open, "high": bars.high, "low": bars.low}
    pf = vbt.Portfolio.from_signals(bars.close, entries, exits, **ohl, **kw)
    ours = from_signals(bars.close, entries, exits, **ohl, **kw)
    want, got = vbt_trades(pf), our_trades(ours.trades)
    assert len(want) > 50
    assert len(got) == len(want)
    for col in ("entry_bar", "exit_bar", "short", "closed"):
        np.testing.assert_array_equal(got[col], want[col], err_msg=col)
    for col in ("qty", "entry_price", "exit_price", "entry_fees", "exit_fees", "pnl", "return"):
        np.testing.assert_allclose(got[col], want[col], rtol=RTOL, atol=0, err_msg=col)
    np.testing.assert_allclose(ours.equity.to_numpy(), pf.value().to_numpy(), rtol=RTOL)
    if "sl_stop" in kw:  # the stops did fire
        assert (ours.trades.exit_reason != "signal").sum() > 5


def test_separate_long_and_short_signal_arrays(btc_1h_bars: pd.DataFrame) -> None:
    bars = btc_1h_bars
    long_in, long_out = sma_cross(bars.close, 12, 40)
    short_out, short_in = sma_cross(bars.close, 5, 20)
    kw = {"fees": 0.001, "sl_stop": 0.02, "tp_stop": 0.03}
    ohl = {"open": bars.open, "high": bars.high, "low": bars.low}
    pf = vbt.Portfolio.from_signals(
        bars.close, long_in, long_out, short_entries=short_in, short_exits=short_out, **ohl, **kw
    )
    ours = from_signals(
        bars.close, long_in, long_out, short_entries=short_in, short_exits=short_out, **ohl, **kw
    )
    want, got = vbt_trades(pf), our_trades(ours.trades)
    assert len(got) == len(want) > 50
    assert got.short.any()
    assert (~got.short).any()
    np.testing.assert_array_equal(
        got[["entry_bar", "exit_bar", "short"]], want[["entry_bar", "exit_bar", "short"]]
    )
    np.testing.assert_allclose(got.pnl, want.pnl, rtol=RTOL)
