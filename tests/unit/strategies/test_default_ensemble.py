"""The shipped configs/ensembles/default.yaml validates and trades the real BTC/USDT 1h sample."""

from __future__ import annotations

import numpy as np
import pandas as pd

from aitrader_core.strategies import Ensemble, ensemble_errors, load_ensemble, signal_changes
from tests.conftest import ROOT

DEFAULT = ROOT / "configs" / "ensembles" / "default.yaml"


def test_default_ensemble_validates() -> None:
    assert ensemble_errors(DEFAULT) == []
    cfg = load_ensemble(DEFAULT)
    assert cfg.name == "default"
    assert len({m.kind for m in cfg.members}) >= 5
    assert abs(cfg.weights().sum() - 1.0) < 1e-12


def test_default_ensemble_signals_on_real_btc(btc: pd.DataFrame) -> None:
    cfg = load_ensemble(DEFAULT)
    result = Ensemble(cfg).run(btc)
    signal = result.signal
    assert set(signal.unique()) == {0, 1}  # long-only, and it does go long
    assert 0.05 < (signal == 1).mean() < 0.95
    assert result.members.columns.tolist() == [m.name for m in cfg.members]
    assert result.score.between(-1, 1).all()
    # Wherever the ensemble is long, the vote reached the threshold.
    assert (result.score[signal == 1] >= cfg.threshold - 1e-9).all()
    assert not result.suppressed.empty  # the governor had work to do on 2023


def test_the_governor_limits_hold_on_real_data(btc: pd.DataFrame) -> None:
    cfg = load_ensemble(DEFAULT)
    result = Ensemble(cfg).run(btc)
    changes = signal_changes(result.signal)
    entry = changes["after"].to_numpy() != 0
    bars_since_last_change = np.diff(btc.index.get_indexer(changes.index), prepend=-(10**9))
    earlier_changes_that_day = changes.groupby(changes.index.floor("D")).cumcount().to_numpy()
    # Each entry or reversal came late enough after the previous change, and
    # before the day's cap was reached (exits are never blocked).
    assert (bars_since_last_change[entry] >= cfg.governor.min_bars_between_signals).all()
    assert (earlier_changes_that_day[entry] < cfg.governor.max_signals_per_day).all()
    assert len(changes) > 100
