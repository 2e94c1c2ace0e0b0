"""A trained meta-model gates the live coordinator's entries (issue 9, meta-labelling).

Train on real BTC 1h trades of the first half of 2023 (backtest of the default
ensemble), then paper-trade the second half through the service's live desk:
an impossible threshold filters every entry (each skip journaled with its
probability), threshold 0 lets the same entries through.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from aitrader_core.app import App
from aitrader_core.ml import train_meta_model
from aitrader_core.settings import Settings
from tests.conftest import ROOT, SAMPLE

ENSEMBLE = ROOT / "configs" / "ensembles" / "default.yaml"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("meta")
    app = App.from_settings(Settings(home=folder, db_url=None, _env_file=None))
    app.upgrade_db()
    frame = pd.read_csv(SAMPLE / "BTCUSDT_1h_20230101_20240110.csv.gz")
    app.store_candles("binance", "BTC/USDT", "1h", frame)
    run = app.run_backtest(symbol="BTC/USDT", timeframe="1h", start="2023-01-01",
                           end="2023-07-01", ensemble=str(ENSEMBLE))  # fmt: skip
    bars = app.bars("binance", "BTC/USDT", "1h", start="2023-01-01", end="2023-07-01")
    model, _ = train_meta_model(bars, run.result.trades, n_splits=3, embargo="24h")
    model.save(folder / "model")
    app.close()
    return folder / "model"


def _desk(tmp_path: Path, model: Path, threshold: float) -> App:
    tmp_path.mkdir(parents=True, exist_ok=True)
    config = tmp_path / "live.yaml"
    config.write_text(
        f"""
feed: {{mode: replay, speed: 0, start: "2023-08-01"}}
strategies:
  - name: gated
    symbol: BTC/USDT
    timeframe: 1h
    ensemble: {ENSEMBLE}
    backtest: {{sizing: {{kind: fixed_quantity, qty: 0.01}}, exits: {{stop_loss: 0.03}}}}
    meta: {{model: {model}, threshold: {threshold}}}
"""
    )
    app = App.from_settings(
        Settings(home=tmp_path, db_url=None, live_config=config, _env_file=None)
    )
    app.upgrade_db()
    frame = pd.read_csv(SAMPLE / "BTCUSDT_1h_20230101_20240110.csv.gz")
    window = frame[(frame["timestamp"] >= "2023-06-01") & (frame["timestamp"] < "2023-09-01")]
    app.store_candles("binance", "BTC/USDT", "1h", window)
    app.live.recover()
    while app.live.step():
        pass
    return app


def _entries(app: App) -> list:
    return [o for o in app.live.call(lambda c: c.orders(limit=None)) if o.role.value == "entry"]


def test_the_gate_filters_or_passes_entries(tmp_path: Path, model_dir: Path) -> None:
    closed = _desk(tmp_path / "closed", model_dir, 1.0)
    assert _entries(closed) == []
    skips = [r.payload for r in closed.journal.records()
             if r.kind == "decision" and r.payload.get("rule") == "meta_filter"]  # fmt: skip
    assert skips, "the primary strategy signalled no entry at all"
    assert all(0.0 <= float(s["probability"]) < 1.0 for s in skips)
    closed.close()

    opened = _desk(tmp_path / "open", model_dir, 0.0)
    entries = _entries(opened)
    assert len(entries) == len(skips)  # the same signals, now taken
    opened.close()


def test_drift_on_the_meta_model_demotes_the_strategy(tmp_path: Path, model_dir: Path) -> None:
    import random

    desk = _desk(tmp_path / "drift", model_dir, 0.0)
    router = desk.live.routers["gated"]
    status = {s.name: s for s in router.status()}["meta:gated"]
    closed = [o for o in desk.live.call(lambda c: c.orders(limit=None))
              if o.role.value in ("exit", "stop") and o.order.filled_qty > 0]  # fmt: skip
    assert status.samples == len(closed) > 0  # every closed trade fed the router
    rng = random.Random(7)
    with desk.live.locked():
        for _ in range(400):  # the model was right 90 % of the time...
            router.observe("meta:gated", 1.0 if rng.random() < 0.1 else 0.0)
        for _ in range(400):  # ...then it stops working
            router.observe("meta:gated", 1.0 if rng.random() < 0.8 else 0.0)
    controls = {s["name"]: s for s in desk.live.call(lambda c: [
        {"name": v.name, "enabled": v.control.enabled} for v in c.strategies()])}  # fmt: skip
    assert controls["gated"]["enabled"] is False
    kinds = [(r.kind, r.actor) for r in desk.journal.records()]
    assert ("drift", "ml-router") in kinds
    assert ("config", "ml-router") in kinds
    assert desk.verify_journal().ok
    desk.close()
