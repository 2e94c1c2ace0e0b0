"""Several symbols on one account: shared cash, exits before entries, misaligned bars."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aitrader_core.backtest import BacktestConfig, run_portfolio

from .bars import flat, make_bars

NO_FEES = {"maker_fee": 0.0, "taker_fee": 0.0}


def test_exit_of_one_symbol_pays_for_the_entry_of_another_in_the_same_bar() -> None:
    a = make_bars([*flat(10.0, 2), (12.0, 12.0, 12.0, 12.0), *flat(12.0, 2)])
    b = make_bars(flat(20.0, 5))
    # A long from bar 0 (filled at bar 1), out at bar 2's close -> sold at bar 3's open;
    # B's entry decided at bar 2 is filled at bar 3's open with A's proceeds.
    res = run_portfolio(
        {"A": a, "B": b},
        {"A": [1, 1, 0, 0, 0], "B": [0, 0, 1, 1, 1]},
        BacktestConfig(initial_cash=1_000.0, costs=NO_FEES),
    )
    f = res.fills
    assert f[["symbol", "bar", "side"]].values.tolist() == [
        ["A", 1, "buy"],
        ["A", 3, "sell"],
        ["B", 3, "buy"],
        ["B", 4, "sell"],
    ]
    b_entry = f.iloc[2]
    assert b_entry.qty == pytest.approx(100.0 * 12.0 / 20.0)  # all of A's proceeds


def test_sizing_reads_the_whole_portfolio_equity() -> None:
    a, b = make_bars(flat(10.0, 4)), make_bars(flat(50.0, 4))
    res = run_portfolio(
        {"A": a, "B": b},
        {"A": [1] * 4, "B": [1] * 4},
        BacktestConfig(
            initial_cash=1_000.0, costs=NO_FEES, sizing={"kind": "percent_equity", "fraction": 0.4}
        ),
    )
    assert res.positions.iloc[1].tolist() == [40.0, 8.0]  # 400 each of 1,000


def test_symbols_with_missing_bars_do_not_trade_then() -> None:
    idx = pd.date_range("2024-01-01", periods=6, freq="1h", tz="UTC")
    a = make_bars(flat(10.0, 6))
    b = make_bars(flat(20.0, 6)).drop(idx[[1, 2]])  # B has no bars at 01:00 and 02:00
    res = run_portfolio(
        {"A": a, "B": b},
        {"A": [0] * 6, "B": pd.Series([1, 1, 1, 1], index=b.index)},
        BacktestConfig(initial_cash=1_000.0, costs=NO_FEES),
    )
    entry = res.fills.iloc[0]
    assert (entry.symbol, entry.bar) == ("B", 3)  # the next bar B has after its signal at 0
    assert len(res.trades) == 1  # the gap is not a signal change: one trade, no re-entry
    assert res.positions.loc[idx[1], "B"] == 0.0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(4, 40),
    seed=st.integers(0, 2**32 - 1),
    fraction=st.sampled_from([0.3, 0.7, 1.0, 2.0]),
    timing=st.sampled_from(["next_open", "close"]),
)
def test_two_symbols_never_spend_more_than_the_shared_cash(
    n: int, seed: int, fraction: float, timing: str
) -> None:
    rng = np.random.default_rng(seed)
    bars, signals = {}, {}
    for sym in ("A", "B"):
        close = 100.0 * np.exp(np.cumsum(rng.normal(0, 0.05, n)))
        opens = close * np.exp(rng.normal(0, 0.01, n))
        rows = [
            (o, max(o, c) * 1.01, min(o, c) * 0.99, c) for o, c in zip(opens, close, strict=True)
        ]
        bars[sym] = make_bars(rows)
        signals[sym] = rng.choice([0, 1], size=n)
    cfg = BacktestConfig.model_validate(
        {
            "initial_cash": 5_000.0,
            "costs": {"taker_fee": 0.002, "maker_fee": 0.002, "slippage_bps": 10},
            "sizing": {"kind": "percent_equity", "fraction": fraction},
            "exits": {"stop_loss": 0.05},
            "execution": {"timing": timing},
        }
    )
    res = run_portfolio(bars, signals, cfg)
    cash = 5_000.0
    for row in res.fills.itertuples():
        if row.side == "buy":
            assert row.qty * row.price + row.fee <= cash * (1 + 1e-12) + 1e-9
        cash = row.cash
    assert (res.cash >= -1e-9).all()
    # equity is cash plus both positions at the close
    value = (
        res.positions
        * pd.DataFrame({s: b.close.to_numpy() for s, b in bars.items()}, index=res.index)
    ).sum(axis=1)
    np.testing.assert_allclose(res.equity, res.cash + value, rtol=1e-12)
