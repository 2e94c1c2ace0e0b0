"""Meta-labelling on the bundled real BTC/USDT 1h candles and the shipped default ensemble.

Asserts the pipeline's contracts (labels, no look-ahead, a full CV report, exact
reload), not that the meta-model beats chance: on this sample it is close to
chance (pooled walk-forward AUC ≈ 0.55, precision 0.50 against a 0.46 base rate).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from aitrader_core import App, Settings
from aitrader_core.backtest import BacktestConfig
from aitrader_core.cli.ml import ml_cli
from aitrader_core.ingest import read_ohlcv_file
from aitrader_core.ml import MetaModel, meta_features, train_meta_model
from aitrader_core.research import backtest_bars
from aitrader_core.strategies import load_ensemble
from tests.conftest import ROOT, SAMPLE

BTC_1H = SAMPLE / "BTCUSDT_1h_20230101_20240110.csv.gz"
ENSEMBLE = ROOT / "configs" / "ensembles" / "default.yaml"


@pytest.fixture(scope="module")
def btc() -> pd.DataFrame:
    bars = read_ohlcv_file(BTC_1H)
    bars.index = pd.to_datetime(bars["ts"], unit="ms", utc=True)
    return bars


@pytest.fixture(scope="module")
def trades(btc: pd.DataFrame) -> pd.DataFrame:
    result, _ = backtest_bars(btc, load_ensemble(ENSEMBLE), BacktestConfig(), symbol="BTC/USDT")
    return result.trades


def test_default_ensemble_trades_are_labelled_and_cross_validated(
    btc: pd.DataFrame, trades: pd.DataFrame, tmp_path: Path
) -> None:
    model, data = train_meta_model(btc, trades, pt=1.0, sl=1.0, max_holding=24, n_splits=5)
    assert len(trades) > 100
    assert len(data.y) > 0.8 * len(trades)
    labels = data.labels
    assert set(labels["barrier"]) == {"pt", "sl", "time"}
    assert (labels["t1"] >= labels.index).all()
    held = btc.index.get_indexer(labels["t1"]) - btc.index.get_indexer(labels.index) + 1
    assert held.max() <= 24
    assert (labels["label"] == (labels["ret"] > 0)).all()
    events = data.events
    gap = btc.index.get_indexer(events.index) - btc.index.get_indexer(events["signal_time"])
    assert (gap == 1).all()  # features are read on the bar before the next-open fill
    assert np.allclose(
        events["price"], trades.set_index("entry_time").loc[events.index, "entry_price"]
    )

    report = model.report
    assert len(report["folds"]) == 5
    for fold in report["folds"]:
        assert fold["train"] > 0
        assert fold["samples"] > 20
        assert 0 <= fold["auc"] <= 1
        assert 0 < fold["base_rate"] < 1
    assert report["pooled"]["samples"] == sum(f["samples"] for f in report["folds"])
    assert 0.3 < model.metadata["base_rate"] < 0.7

    loaded = MetaModel.load(model.save(tmp_path).parent)
    assert np.array_equal(loaded.predict_proba(data.features), model.predict_proba(data.features))


def test_real_features_at_a_signal_bar_do_not_see_later_bars(btc: pd.DataFrame) -> None:
    full = meta_features(btc)
    for cut in (400, 2500, 7000):
        head = meta_features(btc.iloc[: cut + 1])
        pd.testing.assert_series_equal(head.iloc[-1], full.iloc[cut], rtol=1e-12)


def test_train_meta_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AITRADER_HOME", str(tmp_path))
    app = App.from_settings(Settings())
    app.upgrade_db()
    app.ingest_file(BTC_1H, exchange="binance", symbol="BTC/USDT", timeframe="1h")
    app.close()
    out = tmp_path / "meta"
    args = ["train-meta", "--symbol", "BTC/USDT", "--timeframe", "1h", "--ensemble", str(ENSEMBLE),
            "--start", "2023-01-01", "--end", "2023-10-01", "--out", str(out), "--pt", "1.5",
            "--sl", "1", "--max-holding", "12", "--splits", "3", "--embargo", "12h"]  # fmt: skip
    result = CliRunner().invoke(ml_cli, args)
    assert result.exit_code == 0, result.output
    assert "labelled (pt " in result.output
    assert "pooled  precision" in result.output
    body = json.loads((out / "meta_model.json").read_text())
    assert body["params"] == {
        "pt": 1.5, "sl": 1.0, "max_holding": 12, "exchange": "binance", "symbol": "BTC/USDT",
        "timeframe": "1h", "ensemble": "default",
    }  # fmt: skip
    assert body["cv"]["embargo"] == "0 days 12:00:00"
    assert len(body["cv"]["folds"]) == 3
    assert body["trained_to"] < "2023-10-01"
