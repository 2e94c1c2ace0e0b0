"""A service over a real, migrated database holding real candles."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from aitrader_core.app import App
from aitrader_core.settings import Settings
from service.app import create_app


@pytest.fixture
def core(db_url: str, tmp_path: Path) -> Iterator[App]:
    app = App.from_settings(Settings(home=tmp_path, db_url=db_url, _env_file=None))
    app.upgrade_db()
    yield app
    app.close()


@pytest.fixture
def client(core: App, btc_1h: pd.DataFrame) -> Iterator[TestClient]:
    core.store_candles("binance", "BTC/USDT", "1h", btc_1h.iloc[:500])
    with TestClient(create_app(core.settings, core)) as test_client:
        yield test_client
