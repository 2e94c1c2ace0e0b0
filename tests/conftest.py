"""Shared fixtures: real databases (SQLite file; PostgreSQL when configured)."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".cache" / "numba"))
# Notebooks run by nbmake read Settings from the environment: give the whole
# session a throw-away home so tests never touch a user's ./var or database.
os.environ["AITRADER_HOME"] = tempfile.mkdtemp(prefix="aitrader-tests-")
# The service trades the paper config by default; tests that want it say so.
os.environ["AITRADER_LIVE_ENABLED"] = "false"
os.environ.pop("AITRADER_DB_URL", None)
SAMPLE = ROOT / "data" / "sample"
DATA = ROOT / "tests" / "data"
PG_URL = os.environ.get("AITRADER_TEST_PG_URL")

# PostgreSQL variants exist only when a server is configured (.ci/run sets it);
# they are then real tests, not skips.
DB_KINDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]


@pytest.fixture(params=DB_KINDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL: a SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    assert PG_URL is not None
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def btc_1h() -> pd.DataFrame:
    """Real Binance BTC/USDT 1h candles of 2023 (bundled sample)."""
    return pd.read_csv(SAMPLE / "BTCUSDT_1h_20230101_20240110.csv.gz")
