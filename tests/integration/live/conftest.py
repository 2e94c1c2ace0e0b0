"""A paper-trading rig on a real store: simulator, journal, state, coordinator, replay clock."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine

from aitrader_core.backtest.runner import index_ms
from aitrader_core.brokers.simulator import FaultHook, SimulatedBroker, SimulatorConfig
from aitrader_core.clock import ReplayClock
from aitrader_core.compliance import Journal, Record
from aitrader_core.live.coordinator import LiveTradingCoordinator
from aitrader_core.live.history import History, frame_history
from aitrader_core.live.models import BarOutcome, LiveStrategy, RetryPolicy
from aitrader_core.live.paper import PaperTrader
from aitrader_core.live.state import LiveStateRepository
from aitrader_core.store import make_engine, upgrade
from aitrader_core.strategies.base import Signals

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "data" / "sample"
HOUR = 3_600_000
SYMBOL, TF = "BTC/USDT", "1h"


@pytest.fixture(scope="session")
def btc_bars() -> pd.DataFrame:
    """Real Binance BTC/USDT 1h candles, 2023-01-01 → 2024-01-10, on a UTC DatetimeIndex."""
    frame = pd.read_csv(SAMPLE / "BTCUSDT_1h_20230101_20240110.csv.gz")
    frame.index = pd.DatetimeIndex(pd.to_datetime(frame.pop("timestamp"), utc=True), name="time")
    return frame


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    upgrade(eng)
    yield eng
    eng.dispose()


class ScriptedStrategy:
    """Signals from a script: the target direction from each listed bar time on (else flat)."""

    def __init__(self, script: Mapping[int, int]) -> None:
        self.script = dict(sorted(script.items()))

    def signals(self, bars: pd.DataFrame, features: pd.DataFrame | None = None) -> Signals:
        ts = index_ms(pd.DatetimeIndex(bars.index))
        out = np.zeros(len(ts), dtype=np.int8)
        for start, direction in self.script.items():
            out[ts >= start] = direction
        return Signals(pd.Series(out, index=bars.index, name="direction"))


@dataclass
class Rig:
    """Everything a live test drives, on one database and one replay clock."""

    engine: Engine
    clock: ReplayClock
    broker: SimulatedBroker
    journal: Journal
    state: LiveStateRepository
    coordinator: LiveTradingCoordinator
    paper: PaperTrader
    sleeps: list[float] = field(default_factory=list)

    def records(self, *kinds: str) -> list[Record]:
        return list(self.journal.records(kinds=kinds or None))


def build_rig(
    engine: Engine,
    strategies: Mapping[str, LiveStrategy],
    history: History,
    *,
    clock: ReplayClock | None = None,
    sim_config: SimulatorConfig | None = None,
    start_balances: Mapping[str, Decimal] | None = None,
    fault_hook: FaultHook | None = None,
    retry: RetryPolicy | None = None,
) -> Rig:
    """A fresh coordinator and simulator over ``engine`` (a restart when the store has state)."""
    clock = clock or ReplayClock(0)
    broker = SimulatedBroker(engine, config=sim_config, clock=clock,
                             start_balances=start_balances, fault_hook=fault_hook)  # fmt: skip
    journal = Journal(engine, clock)
    state = LiveStateRepository(engine, clock)
    sleeps: list[float] = []
    coordinator = LiveTradingCoordinator(broker, journal, state, strategies, history, clock,
                                         retry=retry, sleep=sleeps.append)  # fmt: skip
    return Rig(engine, clock, broker, journal, state, coordinator,
               PaperTrader(broker, coordinator, clock), sleeps)  # fmt: skip


def bar_values(frame: pd.DataFrame, i: int) -> tuple[int, float, float, float, float, float]:
    """Bar ``i`` of ``frame`` as (ts_ms, open, high, low, close, volume)."""
    row = frame.iloc[i]
    ts = int(index_ms(pd.DatetimeIndex(frame.index[i : i + 1]))[0])
    return (ts, float(row["open"]), float(row["high"]), float(row["low"]), float(row["close"]),
            float(row["volume"]))  # fmt: skip


def push(rig: Rig, frame: pd.DataFrame, i: int) -> BarOutcome:
    """Push bar ``i`` through the paper trader (simulator first, then the coordinator)."""
    ts, o, h, lo, c, v = bar_values(frame, i)
    return rig.paper.on_bar(SYMBOL, TF, ts, o, h, lo, c, v)


def history_of(frame: pd.DataFrame) -> History:
    return frame_history({(SYMBOL, TF): frame})


def synthetic(
    rows: list[tuple[float, float, float, float]], start: str = "2023-01-10"
) -> pd.DataFrame:
    """An OHLCV frame of hourly bars from (open, high, low, close) rows, volume 100."""
    index = pd.date_range(start, periods=len(rows), freq="1h", tz="UTC", name="time")
    frame = pd.DataFrame(rows, columns=["open", "high", "low", "close"], index=index)
    frame["volume"] = 100.0
    return frame


def flat_bars(n: int, price: float = 20_000.0, start: str = "2023-01-10") -> pd.DataFrame:
    """``n`` quiet hourly bars around ``price`` (±0.5 %)."""
    return synthetic([(price, price * 1.005, price * 0.995, price)] * n, start)


def ts_of(frame: pd.DataFrame, i: int) -> int:
    """Open time of bar ``i`` in epoch ms."""
    return int(index_ms(pd.DatetimeIndex(frame.index[i : i + 1]))[0])
