"""The candle store on real SQLite and PostgreSQL databases with real candles."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aitrader_core.domain.market import to_epoch_ms
from aitrader_core.errors import NotFoundError, ValidationError
from aitrader_core.store import (
    BatchRejected,
    CandleStore,
    SeriesKey,
    make_engine,
    schema_is_current,
    upgrade,
)

KEY = SeriesKey.of("binance", "BTCUSDT", "1h")


@pytest.fixture
def store(db_url: str) -> CandleStore:
    engine = make_engine(db_url)
    upgrade(engine)
    yield CandleStore(engine)
    engine.dispose()


def _all(store: CandleStore, key: SeriesKey = KEY) -> pd.DataFrame:
    return store.read(key)


def test_schema_is_current_after_upgrade_and_upgrade_is_idempotent(db_url: str) -> None:
    engine = make_engine(db_url)
    assert not schema_is_current(engine)
    upgrade(engine)
    upgrade(engine)
    assert schema_is_current(engine)
    engine.dispose()


def test_same_file_twice_leaves_identical_rows(store: CandleStore, btc_1h: pd.DataFrame) -> None:
    first = store.upsert(KEY, btc_1h)
    assert (first.inserted, first.updated, first.unchanged) == (len(btc_1h), 0, 0)
    snapshot = _all(store)
    second = store.upsert(KEY, btc_1h)
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, len(btc_1h))
    again = _all(store)
    assert len(again) == len(btc_1h) == store.count(KEY)
    pd.testing.assert_frame_equal(snapshot, again)
    # values survive the round trip exactly (float64 in, float64 out)
    np.testing.assert_array_equal(again["close"].to_numpy(), btc_1h["close"].to_numpy())


def test_changed_candle_updates_in_place(store: CandleStore, btc_1h: pd.DataFrame) -> None:
    store.upsert(KEY, btc_1h)
    changed = btc_1h.iloc[[100, 200]].copy()
    changed["close"] = changed["low"]  # still a valid bar
    changed["volume"] = [1.5, None]
    result = store.upsert(KEY, changed)
    assert (result.inserted, result.updated, result.unchanged) == (0, 2, 0)
    rows = _all(store)
    assert len(rows) == len(btc_1h)
    assert rows["close"].iloc[100] == btc_1h["low"].iloc[100]
    assert rows["volume"].iloc[100] == 1.5
    assert np.isnan(rows["volume"].iloc[200])
    assert rows["close"].iloc[101] == btc_1h["close"].iloc[101]


def test_invalid_batch_changes_nothing_and_names_row_and_field(
    store: CandleStore, btc_1h: pd.DataFrame
) -> None:
    store.upsert(KEY, btc_1h.iloc[:50])
    before = _all(store)
    bad = btc_1h.iloc[40:80].reset_index(drop=True).copy()
    bad.loc[3, "close"] = bad.loc[3, "low"]  # a valid change that would have been written
    bad.loc[7, "high"] = bad.loc[7, "low"] - 1
    bad.loc[9, "volume"] = -5
    with pytest.raises(BatchRejected) as info:
        store.upsert(KEY, bad)
    problems = {(p.row, p.field) for p in info.value.problems}
    assert problems == {(7, "high"), (9, "volume")}
    assert "row 7, high" in str(info.value)
    pd.testing.assert_frame_equal(before, _all(store))


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"open": float("nan")}, "open"),
        ({"close": float("inf")}, "close"),
        ({"low": "abc"}, "low"),
        ({"ts": "not a time"}, "ts"),
        ({"ts": 1_672_531_200_001}, "ts"),  # not on an hour boundary
        ({"open": 0.0}, "open"),
    ],
)
def test_each_rule_rejects(store: CandleStore, patch: dict, field: str) -> None:
    row = {
        "ts": 1_672_531_200_000,
        "open": 10.0,
        "high": 12.0,
        "low": 9.0,
        "close": 11.0,
        "volume": 1.0,
    }
    with pytest.raises(ValidationError) as info:
        store.upsert(KEY, [row, {**row, **patch, "ts": patch.get("ts", row["ts"] + 3_600_000)}])
    assert info.value.field == field
    assert store.count(KEY) == 0


def test_duplicate_ts_in_one_batch_is_rejected(store: CandleStore) -> None:
    row = {"ts": 1_672_531_200_000, "open": 10.0, "high": 12.0, "low": 9.0, "close": 11.0}
    with pytest.raises(BatchRejected, match="repeats row 0"):
        store.upsert(KEY, [row, {**row, "close": 10.5}])


def test_timestamps_in_seconds_ms_and_iso_are_the_same_bar(store: CandleStore) -> None:
    base = {"open": 10.0, "high": 12.0, "low": 9.0, "close": 11.0, "volume": 2.0}
    store.upsert(KEY, [{**base, "ts": "2023-01-01T00:00:00Z"}])
    again = store.upsert(KEY, [{**base, "ts": 1_672_531_200}])
    again2 = store.upsert(KEY, [{**base, "ts": 1_672_531_200_000}])
    assert again.unchanged == again2.unchanged == 1
    assert store.count(KEY) == 1


def test_latest_page_is_the_newest_bars_and_cursor_walks_back(
    store: CandleStore, btc_1h: pd.DataFrame
) -> None:
    store.upsert(KEY, btc_1h)
    page = store.page(KEY, limit=100, order="desc")
    expected_ts = pd.Series(to_epoch_ms(btc_1h["timestamp"]))
    assert page.rows["ts"].iloc[0] == expected_ts.max()
    seen = list(page.rows["ts"])
    while page.next_cursor:
        page = store.page(KEY, limit=1000, order="desc", cursor=page.next_cursor)
        seen += list(page.rows["ts"])
    assert seen == sorted(expected_ts.tolist(), reverse=True)


def test_ascending_pages_with_bounds(store: CandleStore, btc_1h: pd.DataFrame) -> None:
    store.upsert(KEY, btc_1h)
    start, end = 1_680_307_200_000, 1_680_307_200_000 + 30 * 3_600_000  # 30 bars
    page = store.page(KEY, start=start, end=end, limit=20)
    assert page.rows["ts"].iloc[0] == start
    assert len(page.rows) == 20
    rest = store.page(KEY, start=start, end=end, limit=20, cursor=page.next_cursor)
    assert len(rest.rows) == 10
    assert rest.next_cursor is None
    assert rest.rows["ts"].iloc[-1] == end - 3_600_000


def test_bad_cursor_and_limit_are_validation_errors(
    store: CandleStore, btc_1h: pd.DataFrame
) -> None:
    store.upsert(KEY, btc_1h.iloc[:10])
    with pytest.raises(ValidationError) as info:
        store.page(KEY, cursor="asc:123", order="desc")
    assert info.value.field == "cursor"
    with pytest.raises(ValidationError) as info:
        store.page(KEY, limit=10_001)
    assert info.value.field == "limit"
    with pytest.raises(NotFoundError):
        store.page(SeriesKey.of("binance", "ETH/USDT", "1h"))


def test_coverage_finds_gaps(store: CandleStore, btc_1h: pd.DataFrame) -> None:
    store.upsert(KEY, btc_1h)
    real = store.coverage(KEY)
    # the real 2023 series misses one hour: 2023-03-24 13:00 UTC (a Binance halt)
    assert (real.expected - real.count, real.gap_count) == (1, 1)
    assert real.gaps == [(1_679_662_800_000, 1_679_662_800_000)]
    holes_key = SeriesKey.of("test", "BTC/USDT", "1h")
    holes = btc_1h.drop(index=[*range(10, 13), 500]).reset_index(drop=True)
    store.upsert(holes_key, holes)
    cov = store.coverage(holes_key)
    assert cov.count == len(holes)
    assert cov.expected - cov.count == 4 + 1
    assert cov.gap_count == 3
    first_missing = int(to_epoch_ms(btc_1h["timestamp"].iloc[[10]])[0])
    assert cov.gaps[0] == (first_missing, first_missing + 2 * 3_600_000)


def test_csv_export_round_trips(store: CandleStore, btc_1h: pd.DataFrame) -> None:
    store.upsert(KEY, btc_1h)
    chunks = list(store.export_csv(KEY, chunk=1000))
    assert len(chunks) > 2  # streamed in pieces, not one string
    back = pd.read_csv(io.StringIO("".join(chunks)))
    pd.testing.assert_frame_equal(back, btc_1h)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(0, 200),
            st.floats(1, 1e6, allow_nan=False),
            st.floats(0, 0.2),
            st.one_of(st.none(), st.floats(0, 1e9)),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_upsert_is_idempotent_property(store: CandleStore, rows: list) -> None:
    key = SeriesKey.of("test", "AAA/BBB", "1m")
    by_ts = {}
    for i, price, spread, vol in rows:
        ts = 1_700_000_040_000 + i * 60_000  # a minute boundary in 2023
        by_ts[ts] = {
            "ts": ts,
            "open": price,
            "close": price,
            "high": price * (1 + spread),
            "low": price / (1 + spread),
            "volume": vol,
        }
    batch = list(by_ts.values())
    store.upsert(key, batch)
    snapshot = _all(store, key)
    again = store.upsert(key, batch)
    assert again.inserted == again.updated == 0
    pd.testing.assert_frame_equal(snapshot, _all(store, key))
    assert set(snapshot["ts"]) >= set(by_ts)
