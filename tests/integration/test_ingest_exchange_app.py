"""`App.ingest_exchange`: the real ccxt Binance class, fed recorded klines, into a real store."""

from __future__ import annotations

from pathlib import Path

from aitrader_core.app import App
from aitrader_core.settings import Settings
from aitrader_core.testing.ccxt_replay import CcxtReplayer
from tests.integration.test_ccxt_backfill import (
    ALL_CLOSED,
    FIRST,
    KLINES,
    LAST,
    MINUTE,
    PATH,
    binance,
)


def test_back_fill_lands_once_in_the_store(db_url: str, tmp_path: Path) -> None:
    app = App.from_settings(Settings(home=tmp_path, db_url=db_url, _env_file=None))
    app.upgrade_db()
    for round_ in range(2):
        replay = CcxtReplayer()
        replay.on("GET", PATH, KLINES[:6], params={"startTime": FIRST})
        replay.on("GET", PATH, KLINES[6:], params={"startTime": KLINES[6][0]})
        replay.on("GET", PATH, [], params={"startTime": LAST + MINUTE})
        report = app.ingest_exchange(
            exchange="binance", symbol="btcusdt", timeframe="1m", since=FIRST,
            client=binance(replay, ALL_CLOSED),
        )  # fmt: skip
        assert report.rows == 10
        assert (report.inserted, report.unchanged) == ((10, 0) if round_ == 0 else (0, 10))
    bars = app.bars("binance", "BTC/USDT", "1m")
    assert bars["ts"].tolist() == [k[0] for k in KLINES]
    assert bars["close"].tolist() == [float(k[4]) for k in KLINES]
    assert bars["volume"].tolist() == [float(k[5]) for k in KLINES]
    app.close()
