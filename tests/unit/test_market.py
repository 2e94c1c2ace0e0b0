"""Symbols, timeframes and timestamps in their one canonical form."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aitrader_core.domain.market import (
    TIMEFRAMES,
    align_check,
    iso_column,
    normalize_symbol,
    normalize_timeframe,
    to_epoch_ms,
)
from aitrader_core.errors import ValidationError


@pytest.mark.parametrize(
    ("raw", "unified"),
    [
        ("btcusdt", "BTC/USDT"),
        ("BTC-USDT", "BTC/USDT"),
        ("BTC_USDT", "BTC/USDT"),
        ("eth/btc", "ETH/BTC"),
        ("SOLFDUSD", "SOL/FDUSD"),
        ("XRP/USDT:USDT", "XRP/USDT:USDT"),
    ],
)
def test_symbols_normalise_to_ccxt_unified_form(raw: str, unified: str) -> None:
    assert normalize_symbol(raw) == unified


@pytest.mark.parametrize("raw", ["", "   ", "BTC USDT", "BTC/", "ABCDEFG", "%%%"])
def test_bad_symbols_name_the_field(raw: str) -> None:
    with pytest.raises(ValidationError) as info:
        normalize_symbol(raw)
    assert info.value.field == "symbol"


def test_timeframes_are_ccxt_binance_spellings() -> None:
    import ccxt

    assert set(TIMEFRAMES) == set(ccxt.binance().timeframes)
    with pytest.raises(ValidationError, match="timeframe"):
        normalize_timeframe("60m")


def test_weeks_align_to_monday_and_months_to_the_first() -> None:
    monday = to_epoch_ms(["2024-03-04T00:00:00Z"])  # a Monday
    thursday = to_epoch_ms(["2024-03-07T00:00:00Z"])
    assert align_check(np.concatenate([monday, thursday]), "1w").tolist() == [False, True]
    first, second = to_epoch_ms(["2024-02-01T00:00:00Z", "2024-02-02T00:00:00Z"])
    assert align_check(np.array([first, second]), "1M").tolist() == [False, True]


@given(st.integers(min_value=946_684_800_000, max_value=4_102_444_800_000))
def test_epoch_units_and_iso_agree(ms: int) -> None:
    ms -= ms % 1000
    iso = iso_column(np.array([ms]))[0]
    assert to_epoch_ms([ms // 1000, ms, ms * 1000, iso]).tolist() == [ms] * 4


def test_bad_timestamp_names_its_row() -> None:
    with pytest.raises(ValidationError) as info:
        to_epoch_ms(["2024-01-01T00:00:00Z", "yesterday"])
    assert (info.value.field, info.value.row) == ("ts", 1)
