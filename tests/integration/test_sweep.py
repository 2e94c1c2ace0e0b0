"""Sweeps: 50 parameter sets on a Dask LocalCluster give the serial table; walk-forward."""

from __future__ import annotations

import pandas as pd
import pytest
from dask.distributed import Client, LocalCluster

from aitrader_core.backtest import BacktestConfig
from aitrader_core.sweep import deflated_sharpe, folds, param_sets, run_sweep, walk_forward


def _bars(frame: pd.DataFrame, n: int) -> pd.DataFrame:
    bars = frame.iloc[:n].copy()
    bars.index = pd.to_datetime(bars.pop("timestamp"), utc=True)
    return bars


GRID = {"fast": list(range(5, 15)), "slow": [20, 30, 40, 50, 60]}


def test_fifty_sets_on_a_local_cluster_equal_the_serial_run(btc_1h: pd.DataFrame) -> None:
    data = {"BTC/USDT": _bars(btc_1h, 2000)}
    sets = param_sets(GRID)
    assert len(sets) == 50
    config = BacktestConfig()
    serial = run_sweep(data, "ema_cross", sets, timeframe="1h", config=config)
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        done = []
        parallel = run_sweep(
            data,
            "ema_cross",
            sets,
            timeframe="1h",
            config=config,
            client=client,
            progress=done.append,
        )
    assert parallel.backend.startswith("dask (2 workers")
    assert len(done) == 50
    pd.testing.assert_frame_equal(serial.table, parallel.table)
    top = serial.table.iloc[0]
    assert top["sharpe"] == serial.table["sharpe"].max()
    assert serial.table["error"].isna().all()


def test_invalid_sets_are_reported_not_raised(btc_1h: pd.DataFrame) -> None:
    data = {"BTC/USDT": _bars(btc_1h, 500)}
    result = run_sweep(
        data, "ema_cross", [{"fast": 30, "slow": 20}, {"fast": 5, "slow": 20}], timeframe="1h"
    )
    errors = result.table["error"].tolist()
    assert pd.isna(errors[0])
    assert "smaller than slow" in errors[1]


def test_walk_forward_reports_in_and_out_of_sample(btc_1h: pd.DataFrame) -> None:
    bars = _bars(btc_1h, 3000)
    table = walk_forward(
        bars,
        "ema_cross",
        param_sets({"fast": [5, 10, 20], "slow": [30, 60]}),
        timeframe="1h",
        symbol="BTC/USDT",
        splits=3,
    )
    assert len(table) == 3
    assert {"is_sharpe", "oos_sharpe", "deflated_sharpe", "fast", "slow"} <= set(table.columns)
    assert table["test_start"].is_monotonic_increasing
    assert table["deflated_sharpe"].between(0, 1).all()
    assert (table["train_start"] > table["train_start"].iloc[0]).iloc[1:].all()  # rolling


def test_folds_anchored_and_rolling() -> None:
    rolling = folds(1000, splits=3, train_frac=0.7)
    anchored = folds(1000, splits=3, train_frac=0.7, anchored=True)
    assert [f[1] for f in rolling] == [f[1] for f in anchored]
    assert all(f[0].start == 0 for f in anchored)
    assert all(tr.stop == te.start for tr, te in rolling)


def test_deflated_sharpe_falls_with_more_trials() -> None:
    import numpy as np

    r = np.random.default_rng(3).normal(0.0005, 0.01, 3000)
    few = deflated_sharpe(r, [0.2, 0.8], 8760)
    many = deflated_sharpe(r, list(np.linspace(-2, 2, 200)), 8760)
    assert many < few
    with pytest.raises(Exception, match="too few"):
        folds(10, splits=4)
