"""Crash injection: the real service, SIGKILLed again and again, loses and duplicates nothing.

The harness runs ``aitrader serve`` (simulator, paper coordinator, real
BTC/ETH 1h candles replayed unpaced from a SQLite store) and kills it with
SIGKILL — at random moments, and at named points inside order handling
(``AITRADER_CRASHPOINTS``): after an intent is journaled and before the order
is stored or sent, after it is stored and before it is sent, after the venue
took it and before its acknowledgement is recorded, after a fill is journaled
and before it is stored. Each restart recovers (reconcile, re-protect, resume).
At the end the broker's state is compared with the journal and the store.

SQLite only: the property under test is the service's own write ordering, and
a process kill cannot lose a committed SQLite transaction (PostgreSQL is
covered by the other live tests through the same code).
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pandas as pd
import pytest
from sqlalchemy import select

from aitrader_core.app import App
from aitrader_core.domain.orders import OrderStatus
from aitrader_core.live.book import Role
from aitrader_core.live.reconcile import FILL_KINDS, ORDER_KINDS
from aitrader_core.settings import Settings
from aitrader_core.store.schema import sim_orders
from tests.conftest import ROOT, SAMPLE

TOKEN = "crash-test-token-0123"  # noqa: S105 - a test credential
KILLS = 20
POINTS = ("after_intent", "before_submit", "after_submit", "after_fill_journal")

LIVE_CONFIG = """
feed: {mode: replay, speed: 0, start: "2023-08-20"}
reconcile_every_s: 3
strategies:
  - name: fast-btc
    symbol: BTC/USDT
    timeframe: 1h
    ensemble: fast.yaml
    lookback: 200
    backtest:
      sizing: {kind: fixed_quantity, qty: 0.01}
      exits: {stop_loss: 0.01}
  - name: fast-eth
    symbol: ETH/USDT
    timeframe: 1h
    ensemble: fast.yaml
    lookback: 200
    backtest:
      sizing: {kind: fixed_quantity, qty: 0.2}
      exits: {stop_loss: 0.01}
"""
# A deliberately busy strategy: many entries, exits and stops to crash into.
FAST_ENSEMBLE = """
name: fast
members:
  - {name: cross, kind: ema_cross, params: {fast: 3, slow: 8}}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("crash")
    (folder / "fast.yaml").write_text(FAST_ENSEMBLE)
    (folder / "live.yaml").write_text(LIVE_CONFIG)
    app = App.from_settings(Settings(home=folder, db_url=None, _env_file=None))
    app.upgrade_db()
    for pair, name in (("BTC/USDT", "BTCUSDT"), ("ETH/USDT", "ETHUSDT")):
        frame = pd.read_csv(SAMPLE / f"{name}_1h_20230101_20240110.csv.gz")
        window = frame[(frame["timestamp"] >= "2023-08-01") & (frame["timestamp"] < "2023-09-05")]
        app.store_candles("binance", pair, "1h", window)
    app.close()
    return folder


def _env(home: Path, crash: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AITRADER_")}
    env.update(
        AITRADER_HOME=str(home),
        AITRADER_LIVE_ENABLED="true",
        AITRADER_LIVE_CONFIG=str(home / "live.yaml"),
        AITRADER_API_TOKEN=TOKEN,
        AITRADER_LOG_LEVEL="WARNING",
    )
    if crash:
        env["AITRADER_CRASHPOINTS"] = crash
    return env


def _start(home: Path, port: int, crash: str | None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 - our own entry point
        [sys.executable, "-m", "aitrader_core.cli", "serve", "--port", str(port)],
        env=_env(home, crash),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def _wait_up(proc: subprocess.Popen[bytes], port: int, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False  # died while starting (a crash point during recovery)
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health/live", timeout=1).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError("service did not come up")


def _broker(port: int) -> dict:
    return httpx.get(f"http://127.0.0.1:{port}/live/broker", timeout=10).json()


def test_sigkill_anywhere_loses_and_duplicates_nothing(home: Path) -> None:
    rng = random.Random(20261129)
    port = _free_port()
    kills, fired = 0, Counter[str]()
    run = 0
    while kills < KILLS:
        run += 1
        point = POINTS[(run // 2) % len(POINTS)] if run % 2 else None
        crash = f"{point}:{rng.randint(1, 3)}" if point else None
        proc = _start(home, port, crash)
        try:
            up = _wait_up(proc, port)
            if crash and point:  # wait for the crash point to kill it
                try:
                    proc.wait(timeout=40)
                    fired[point] += 1
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)  # the point was not reached this run
                    proc.wait()
            else:
                time.sleep(rng.uniform(0.3, 1.5))
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        assert proc.returncode == -signal.SIGKILL, proc.stderr.read().decode()[-2000:]
        kills += 1
        del up

    # A last, clean run replays to the end; then the verdict.
    proc = _start(home, port, None)
    try:
        assert _wait_up(proc, port)
        deadline = time.monotonic() + 180
        while not _broker(port)["feed_done"]:
            assert time.monotonic() < deadline, _broker(port)
            time.sleep(0.5)
        sync = httpx.post(
            f"http://127.0.0.1:{port}/live/sync",
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=60,
        ).json()
        assert sync["clean"], sync
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)

    assert kills >= 20
    assert set(fired) == set(POINTS), fired  # every named crash point was exercised
    _verify(home)


def _verify(home: Path) -> None:
    app = App.from_settings(
        Settings(home=home, live_config=home / "live.yaml", api_token=TOKEN, _env_file=None)
    )
    try:
        assert app.verify_journal().ok
        coordinator = app.live.build()
        ours = {o.client_id: o for o in coordinator.state.orders(limit=None)}
        with app.engine.connect() as conn:
            venue = {r.client_id: r for r in conn.execute(select(sim_orders))}
        # 0 lost: every venue order is known to the store, and every order the store
        # says reached the venue is there.
        assert set(venue) <= set(ours), set(venue) - set(ours)
        reached = {
            cid
            for cid, o in ours.items()
            if o.order.venue_id is not None or o.status not in (OrderStatus.REJECTED,)
        }
        missing = {cid for cid in reached if cid not in venue and not ours[cid].status.is_final}
        assert not missing, missing
        # 0 duplicated: one venue order per decision (strategy, bar, role).
        per_decision = Counter(
            (ours[cid].strategy, ours[cid].bar_ts, ours[cid].role)
            for cid in venue
            if ours[cid].role is not Role.MANUAL
        )
        assert max(per_decision.values()) == 1, per_decision.most_common(3)
        # Every order at the venue was journaled as an intent before it was sent.
        intents = {r.payload["client_id"] for r in app.journal.records() if r.kind == "intent"}
        assert set(venue) <= intents
        # Every open position has its stop resting at the venue.
        for (strategy, symbol), position in coordinator.state.positions().items():
            if position.qty != 0:
                stops = [
                    o
                    for o in coordinator.state.orders(strategy=strategy, symbol=symbol)
                    if o.role is Role.STOP and o.status in (OrderStatus.OPEN,)
                ]
                assert stops, f"{strategy} {symbol} {position.qty} unprotected"
                assert venue[stops[0].client_id].status == "open"
        # Nothing left to reconcile.
        report = app.live.reconcile(reason="verdict")
        kinds = {d.kind for d in report.discrepancies}
        assert not kinds & (ORDER_KINDS | FILL_KINDS), report.discrepancies
        assert len(venue) > 30  # the run really traded
    finally:
        app.close()
