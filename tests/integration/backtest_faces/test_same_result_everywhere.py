"""The same ensemble and range give identical results from the CLI, the app and the API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from aitrader_core.app import App
from aitrader_core.settings import Settings
from aitrader_core.strategies import load_ensemble
from service.app import create_app
from tests.conftest import ROOT

ENSEMBLE = ROOT / "configs" / "ensembles" / "default.yaml"
RANGE = {"symbol": "BTC/USDT", "timeframe": "1h", "start": "2023-02-01", "end": "2023-06-01"}
KEYS = [
    "trades",
    "total_return",
    "sharpe",
    "sortino",
    "max_drawdown",
    "win_rate",
    "profit_factor",
    "total_fees",
    "final_equity",
]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, btc_1h: pd.DataFrame) -> App:
    home = tmp_path_factory.mktemp("faces")
    core = App.from_settings(Settings(home=home, _env_file=None))
    core.upgrade_db()
    core.store_candles("binance", "BTC/USDT", "1h", btc_1h.iloc[:4000])
    yield core
    core.close()


def test_cli_app_and_api_agree(app: App, tmp_path: Path) -> None:
    in_app = app.run_backtest(ensemble=str(ENSEMBLE), **RANGE)
    assert in_app.summary["trades"] > 5
    expected = {k: in_app.summary[k] for k in KEYS}

    body = {**RANGE, "ensemble": load_ensemble(ENSEMBLE).model_dump(mode="json")}
    with TestClient(create_app(app.settings, app)) as client:
        resp = client.post("/paper/backtest", json=body)
        assert resp.status_code == 200, resp.text
        api = resp.json()
        csv = client.post("/paper/backtest", json=body, params={"download": "trades.csv"})
    assert {k: api["metrics"][k] for k in KEYS} == expected
    assert len(api["trades"]) == len(in_app.result.trades)
    assert [t["pnl"] for t in api["trades"]] == in_app.result.trades["pnl"].tolist()
    assert csv.headers["content-type"].startswith("text/csv")
    assert len(csv.text.strip().splitlines()) == len(in_app.result.trades) + 1

    out = tmp_path / "run"
    env = {**os.environ, "AITRADER_HOME": str(app.settings.home)}
    result = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-m",
            "aitrader_core.cli",
            "backtest",
            "--ensemble",
            str(ENSEMBLE),
            "--symbol",
            RANGE["symbol"],
            "--timeframe",
            RANGE["timeframe"],
            "--start",
            RANGE["start"],
            "--end",
            RANGE["end"],
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    cli = json.loads((out / "metrics.json").read_text())
    assert {k: cli[k] for k in KEYS} == expected
    for name in ("trades.csv", "orders.csv", "equity.parquet", "trades.json"):
        assert (out / name).exists()
    assert "sharpe" in result.stdout


def test_api_names_the_bad_field(app: App) -> None:
    ensemble = load_ensemble(ENSEMBLE).model_dump(mode="json")
    ensemble["members"][1]["params"]["fast"] = "quick"
    with TestClient(create_app(app.settings, app)) as client:
        resp = client.post("/paper/backtest", json={**RANGE, "ensemble": ensemble})
        both = client.post("/paper/backtest", json={**RANGE})
        costs = client.post(
            "/paper/backtest",
            json={
                **RANGE,
                "strategy": {"name": "x", "kind": "ema_cross"},
                "config": {"costs": {"taker_fee": -1}},
            },
        )
    assert resp.status_code == 422
    locs = [d["loc"] for d in resp.json()["detail"]]
    assert any(loc[:4] == ["body", "ensemble", "members", 1] for loc in locs), locs
    assert both.status_code == 422
    assert costs.status_code == 422
    assert ["body", "config", "costs", "taker_fee"] in [d["loc"] for d in costs.json()["detail"]]


def test_cli_bad_parameter_is_one_line(app: App) -> None:
    env = {**os.environ, "AITRADER_HOME": str(app.settings.home)}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "aitrader_core.cli",
            "backtest",
            "--strategy",
            "ema_cross",
            "--param",
            "fast=1",
            "--symbol",
            "BTC/USDT",
            "--timeframe",
            "1h",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "strategy.params.fast" in result.stderr or "fast" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_sweep_ranks_and_walks_forward(app: App) -> None:
    env = {**os.environ, "AITRADER_HOME": str(app.settings.home)}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "aitrader_core.cli",
            "sweep",
            "--strategy",
            "ema_cross",
            "--grid",
            "fast=5:15:5",
            "--grid",
            "slow=30,60",
            "--symbol",
            "BTC/USDT",
            "--timeframe",
            "1h",
            "--splits",
            "2",
            "--scheduler",
            "serial",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "ranked by sharpe (6 runs, serial)" in result.stdout
    assert "walk-forward" in result.stdout
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "aitrader_core.cli",
            "sweep",
            "--strategy",
            "ema_cross",
            "--grid",
            "fast",
            "--symbol",
            "BTC/USDT",
            "--timeframe",
            "1h",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert bad.returncode == 2
    assert "--grid 'fast'" in bad.stderr
