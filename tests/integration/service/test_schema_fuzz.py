"""Fuzz every operation of the OpenAPI schema: no 5xx, no response outside the schema."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from aitrader_core.app import App
from aitrader_core.settings import Settings
from service.app import create_app

ROOT = Path(__file__).resolve().parents[3]


def _app() -> FastAPI:  # built at import: schemathesis reads the schema at collection
    home = Path(tempfile.mkdtemp(prefix="aitrader-fuzz-"))
    core = App.from_settings(Settings(home=home, _env_file=None))
    core.upgrade_db()
    sample = pd.read_csv(ROOT / "data" / "sample" / "BTCUSDT_1h_20230101_20240110.csv.gz")
    core.store_candles("binance", "BTC/USDT", "1h", sample.iloc[:300])
    return create_app(core.settings, core)


schema = schemathesis.openapi.from_asgi("/openapi.json", _app())


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_conforms_to_its_schema(case: schemathesis.Case) -> None:
    # Every check runs (no 5xx, declared status codes and content types, response
    # bodies match their schemas, invalid input refused) except "schema-valid data
    # is accepted": bar rules such as high >= low or a ts on the timeframe's grid,
    # and whether a series exists, are beyond JSON Schema and rightly answer 4xx.
    response = case.call_and_validate(excluded_checks=[positive_data_acceptance])
    assert response.status_code < 500
