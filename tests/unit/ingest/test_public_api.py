"""The public surface of aitrader_core.ingest, pinned."""

from __future__ import annotations

import subprocess
import sys

import pytest

import aitrader_core.ingest as ingest


def test_all_is_pinned() -> None:
    assert ingest.__all__ == [
        "FORMATS",
        "OHLCV_COLUMNS",
        "BarClosed",
        "ExchangeFeed",
        "Feed",
        "ReplayFeed",
        "SeriesStatus",
        "backfill_ohlcv",
        "detect_format",
        "empty_ohlcv_frame",
        "make_exchange",
        "read_ohlcv_file",
    ]
    for name in ingest.__all__:
        assert getattr(ingest, name) is not None


def test_lazy_names_resolve_to_the_exchange_module() -> None:
    from aitrader_core.ingest import exchange

    assert ingest.backfill_ohlcv is exchange.backfill_ohlcv
    assert ingest.make_exchange is exchange.make_exchange


def test_reading_files_does_not_import_ccxt() -> None:
    code = "import sys, aitrader_core.ingest; print('ccxt' in sys.modules)"
    out = subprocess.run(  # noqa: S603 (fixed argv: this interpreter and a literal)
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_unknown_attribute() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        ingest.nope  # noqa: B018
