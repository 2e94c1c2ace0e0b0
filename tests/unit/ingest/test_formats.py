"""OHLCV file readers: every bundled layout, detection, overrides and bad files."""

from __future__ import annotations

import csv
import gzip
import json
import random
import shutil
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aitrader_core.errors import FormatError
from aitrader_core.ingest import FORMATS, OHLCV_COLUMNS, detect_format, read_ohlcv_file

ROOT = Path(__file__).resolve().parents[3]
FMT_DIR = ROOT / "tests" / "data" / "ohlcv" / "formats"
SAMPLE_DIR = ROOT / "data" / "sample"
HEADER = "timestamp,open,high,low,close,volume\n"


def iso_ms(text: str) -> int:
    """Epoch ms of an ISO-8601 time, computed without pandas (an independent check)."""
    return int(datetime.fromisoformat(text).timestamp() * 1000)


def uniform_source(path: Path) -> list[list[str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", newline="") as fh:
        return list(csv.reader(fh))[1:]


def assert_contract(df: pd.DataFrame) -> None:
    assert tuple(df.columns) == OHLCV_COLUMNS
    assert df["ts"].dtype == np.int64
    assert all(df[c].dtype == np.float64 for c in OHLCV_COLUMNS[1:])


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return path


# --- every bundled layout ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "rows", "first_close"),
    [
        ("ADABTC_5m_tinyprice.csv", 5720, 5.2900000000000005e-05),
        ("UNITTESTBTC_1m_gappy.csv", 13681, 0.00162008),
    ],
)
def test_uniform_csv_matches_source(name: str, rows: int, first_close: float) -> None:
    path = FMT_DIR / name
    source = uniform_source(path)
    df = read_ohlcv_file(path)
    assert_contract(df)
    assert len(df) == len(source) == rows
    assert df.ts.iloc[0] == iso_ms(source[0][0])
    assert df.ts.iloc[-1] == iso_ms(source[-1][0])
    assert df.close.iloc[0] == first_close
    assert df.volume.iloc[-1] == float(source[-1][5])


def test_gappy_file_keeps_order_and_gaps() -> None:
    df = read_ohlcv_file(FMT_DIR / "UNITTESTBTC_1m_gappy.csv")
    steps = np.diff(df.ts.to_numpy())
    assert (steps > 0).all()
    assert int((steps > 60_000).sum()) == 538  # the 538 gaps the data README lists


def test_tiny_prices_keep_full_precision() -> None:
    df = read_ohlcv_file(FMT_DIR / "ADABTC_5m_tinyprice.csv")
    assert df.open.iloc[0] == 5.330000000000001e-05
    assert df.low.iloc[0] == 5.288000000000001e-05


def test_binance_kline_rows() -> None:
    path = FMT_DIR / "ADABTC-1m-2021-11-27.csv"
    source = list(csv.reader(path.open()))
    df = read_ohlcv_file(path)
    assert_contract(df)
    assert detect_format(path) == "binance_kline"
    assert len(df) == len(source) == 10
    assert df.ts.iloc[0] == int(source[0][0]) == 1637971200000
    assert df.ts.iloc[-1] == int(source[-1][0]) == 1637971740000
    assert df.iloc[0][["open", "high", "low", "close", "volume"]].tolist() == [
        2.853e-05,
        2.854e-05,
        2.851e-05,
        2.854e-05,
        36304.2,
    ]


def test_binance_kline_microseconds_become_ms(tmp_path: Path) -> None:
    # data.binance.vision writes 16-digit µs open times in newer files.
    src = FMT_DIR / "ADABTC-1m-2021-11-27.csv"
    lines = []
    for row in csv.reader(src.open()):
        row[0], row[6] = row[0] + "000", row[6] + "999"
        lines.append(",".join(row))
    path = write(tmp_path, "ADABTC-1m-2025-01-01.csv", "\n".join(lines) + "\n")
    assert len(lines[0].split(",")[0]) == 16
    assert detect_format(path) == "binance_kline"
    assert read_ohlcv_file(path).equals(read_ohlcv_file(src))


def test_binance_kline_with_open_time_header(tmp_path: Path) -> None:
    src = FMT_DIR / "ADABTC-1m-2021-11-27.csv"
    header = "open_time,open,high,low,close,volume,close_time,quote_volume,count,"
    header += "taker_buy_volume,taker_buy_quote_volume,ignore\n"
    path = write(tmp_path, "futures.csv", header + src.read_text())
    assert detect_format(path) == "binance_kline"
    assert read_ohlcv_file(path).equals(read_ohlcv_file(src))


@pytest.mark.parametrize(
    ("name", "rows", "first_open"),
    [
        ("xylotech_ETH_USDT-5m.json", 497, 2500.09),
        ("XRP_USDT_USDT-1h-futures.json.gz", 100, 1.0801),
    ],
)
def test_freqtrade_json_matches_source(name: str, rows: int, first_open: float) -> None:
    path = FMT_DIR / name
    opener = gzip.open if name.endswith(".gz") else open
    with opener(path, "rt") as fh:
        source = json.load(fh)
    df = read_ohlcv_file(path)
    assert_contract(df)
    assert detect_format(path) == "freqtrade_json"
    assert len(df) == len(source) == rows
    assert df.ts.iloc[0] == source[0][0]
    assert df.ts.iloc[-1] == source[-1][0]
    assert df.open.iloc[0] == first_open
    assert df.volume.iloc[-1] == source[-1][5]


def test_freqtrade_json_nulls_become_nan(tmp_path: Path) -> None:
    text = "[[1709251200000, 1, 2, 0.5, 1.5, null], [1709251500000, 1, 2, 0.5, 1.5, 3]]"
    df = read_ohlcv_file(write(tmp_path, "x.json", text))
    assert df.ts.tolist() == [1709251200000, 1709251500000]
    assert np.isnan(df.volume.iloc[0])
    assert df.volume.iloc[1] == 3.0


def test_freqtrade_feather() -> None:
    path = FMT_DIR / "XRP_ETH-5m.feather"
    df = read_ohlcv_file(path)
    assert_contract(df)
    assert detect_format(path) == "feather"
    assert len(df) == 706
    assert df.ts.iloc[0] == iso_ms("2019-10-11T00:00:00+00:00")
    assert df.ts.iloc[-1] == iso_ms("2019-10-13T11:15:00+00:00")
    assert df.open.iloc[0] == 0.00141342
    assert df.volume.iloc[0] == 3478.0


def test_feather_without_volume_and_naive_dates(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "date": pd.to_datetime(["2024-03-01 00:00", "2024-03-01 00:05"]),
            "open": [1.0, 2.0],
            "high": [2.0, 3.0],
            "low": [0.5, 1.5],
            "close": [1.5, 2.5],
        }
    )
    path = tmp_path / "bars.feather"
    frame.to_feather(path)
    df = read_ohlcv_file(path)
    assert df.ts.tolist() == [1709251200000, 1709251500000]
    assert df.volume.isna().all()


def test_bundled_sample_csv_gz_reads_fast() -> None:
    path = SAMPLE_DIR / "BTCUSDT_5m_20240301_20250702.csv.gz"
    assert detect_format(path) == "uniform"
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        df = read_ohlcv_file(path)
        timings.append(time.perf_counter() - start)
    assert_contract(df)
    assert len(df) == 140_614
    assert df.ts.iloc[0] == iso_ms("2024-03-01T00:00:00+00:00")
    assert df.ts.iloc[-1] == iso_ms("2025-07-02T05:45:00+00:00")
    assert df.close.iloc[0] == 61129.92
    assert df.iloc[-1].close == 106617.93
    assert min(timings) < 1.0, f"140k-row read took {min(timings):.2f} s"


@pytest.mark.parametrize("path", sorted(SAMPLE_DIR.glob("*.csv.gz")), ids=lambda p: p.name)
def test_every_sample_file_reads(path: Path) -> None:
    source = uniform_source(path)
    df = read_ohlcv_file(path)
    assert len(df) == len(source)
    assert df.ts.iloc[-1] == iso_ms(source[-1][0])


# --- uniform CSV details ------------------------------------------------------------------


def test_empty_volume_and_missing_volume_column_are_nan(tmp_path: Path) -> None:
    empty = write(tmp_path, "a.csv", HEADER + "2024-03-01T00:00:00Z,1,2,0.5,1.5,\n")
    missing = write(
        tmp_path, "b.csv", "timestamp,open,high,low,close\n2024-03-01T00:00:00Z,1,2,0.5,1.5\n"
    )
    for path in (empty, missing):
        df = read_ohlcv_file(path)
        assert_contract(df)
        assert df.volume.isna().tolist() == [True]
        assert df.close.tolist() == [1.5]


def test_rows_stay_in_file_order_with_duplicates(tmp_path: Path) -> None:
    body = "".join(
        f"2024-03-01T00:{m:02d}:00Z,1,2,0.5,1.5,1\n" for m in (10, 0, 5, 5)
    )  # unsorted and duplicated on purpose: the store, not the reader, judges that
    df = read_ohlcv_file(write(tmp_path, "u.csv", HEADER + body))
    assert df.ts.tolist() == [1709251800000, 1709251200000, 1709251500000, 1709251500000]


def test_offsets_epoch_numbers_bom_and_crlf(tmp_path: Path) -> None:
    text = (
        "\ufefftimestamp,open,high,low,close,volume\r\n2024-03-01T01:00:00+01:00,1,2,0.5,1.5,7\r\n"
    )
    assert read_ohlcv_file(write(tmp_path, "tz.csv", text)).ts.tolist() == [1709251200000]
    epoch = write(tmp_path, "epoch.csv", HEADER + "1709251200000,1,2,0.5,1.5,7\n")
    assert read_ohlcv_file(epoch).ts.tolist() == [1709251200000]


def test_column_order_follows_the_header(tmp_path: Path) -> None:
    text = "timestamp,close,open,low,high,volume\n2024-03-01T00:00:00Z,1.5,1,0.5,2,7\n"
    df = read_ohlcv_file(write(tmp_path, "order.csv", text))
    assert df.iloc[0][["open", "high", "low", "close"]].tolist() == [1.0, 2.0, 0.5, 1.5]


def test_all_formats_named() -> None:
    assert FORMATS == ("uniform", "binance_kline", "freqtrade_json", "feather")


# --- detection and override ----------------------------------------------------------------


def test_detection_uses_content_not_only_suffix(tmp_path: Path) -> None:
    feather_copy = tmp_path / "bars.bin"
    shutil.copy(FMT_DIR / "XRP_ETH-5m.feather", feather_copy)
    json_copy = tmp_path / "bars.data"
    shutil.copy(FMT_DIR / "xylotech_ETH_USDT-5m.json", json_copy)
    assert detect_format(feather_copy) == "feather"
    assert detect_format(json_copy) == "freqtrade_json"
    assert len(read_ohlcv_file(feather_copy)) == 706


def test_contradicting_suffix_is_refused_and_fmt_overrides(tmp_path: Path) -> None:
    path = write(tmp_path, "bars.json", HEADER + "2024-03-01T00:00:00Z,1,2,0.5,1.5,7\n")
    with pytest.raises(FormatError, match=r"bars\.json: the suffix says freqtrade_json"):
        detect_format(path)
    with pytest.raises(FormatError):
        read_ohlcv_file(path)
    assert read_ohlcv_file(path, fmt="uniform").ts.tolist() == [1709251200000]


def test_fmt_override_that_does_not_fit_names_the_problem() -> None:
    path = FMT_DIR / "ADABTC-1m-2021-11-27.csv"
    with pytest.raises(FormatError, match=r"ADABTC-1m-2021-11-27\.csv: line 1 .* uniform OHLCV"):
        read_ohlcv_file(path, fmt="uniform")
    with pytest.raises(FormatError, match="not a Feather/Arrow file"):
        read_ohlcv_file(path, fmt="feather")


def test_unknown_fmt_name(tmp_path: Path) -> None:
    path = write(tmp_path, "a.csv", HEADER)
    with pytest.raises(FormatError, match="unknown format 'parquet'; expected one of uniform"):
        read_ohlcv_file(path, fmt="parquet")


def test_missing_file_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_ohlcv_file(tmp_path / "nope.csv")


# --- bad files -------------------------------------------------------------------------------


def test_truncated_csv_names_the_line(tmp_path: Path) -> None:
    text = HEADER + "2024-03-01T00:00:00Z,1,2,0.5,1.5,7\n2024-03-01T00:05:00Z,611"
    path = write(tmp_path, "cut.csv", text)
    with pytest.raises(FormatError, match=r"cut\.csv: line 3 has 2 fields, expected 6 \(truncated"):
        read_ohlcv_file(path)


def test_truncated_gzip(tmp_path: Path) -> None:
    data = (SAMPLE_DIR / "BTCUSDT_1h_20230101_20240110.csv.gz").read_bytes()
    path = write(tmp_path, "cut.csv.gz", data[: len(data) // 2])
    with pytest.raises(FormatError, match=r"cut\.csv\.gz: broken or truncated gzip"):
        read_ohlcv_file(path)


def test_truncated_json(tmp_path: Path) -> None:
    data = (FMT_DIR / "xylotech_ETH_USDT-5m.json").read_bytes()
    path = write(tmp_path, "cut.json", data[:1000])
    with pytest.raises(FormatError, match=r"cut\.json: invalid JSON at line 1 .*truncated"):
        read_ohlcv_file(path)


def test_truncated_feather(tmp_path: Path) -> None:
    data = (FMT_DIR / "XRP_ETH-5m.feather").read_bytes()
    path = write(tmp_path, "cut.feather", data[: len(data) // 2])
    with pytest.raises(FormatError, match=r"cut\.feather: cannot read as feather"):
        read_ohlcv_file(path)


def test_extra_field_in_a_row(tmp_path: Path) -> None:
    rows = ["2024-03-01T00:00:00Z,1,2,0.5,1.5,7", "2024-03-01T00:05:00Z,1,2,0.5,1.5,7,99"]
    path = write(tmp_path, "wide.csv", HEADER + "\n".join(rows) + "\n")
    with pytest.raises(FormatError, match=r"wide\.csv: line 3 has 7 fields, expected 6"):
        read_ohlcv_file(path)


def test_kline_row_with_missing_field(tmp_path: Path) -> None:
    lines = (FMT_DIR / "ADABTC-1m-2021-11-27.csv").read_text().splitlines()
    lines[4] = lines[4].rsplit(",", 1)[0]
    path = write(tmp_path, "k.csv", "\n".join(lines) + "\n")
    with pytest.raises(FormatError, match=r"k\.csv: line 5 has 11 fields, expected 12"):
        read_ohlcv_file(path)


def test_wrong_header_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "cols.csv", "time,price,qty\n2024-03-01T00:00:00Z,1,2\n")
    with pytest.raises(
        FormatError, match=r"cols\.csv: unknown OHLCV format: first line 'time,price"
    ):
        detect_format(path)
    with pytest.raises(FormatError, match=r"expected timestamp,open,high,low,close\[,volume\]"):
        read_ohlcv_file(path, fmt="uniform")


def test_extra_header_column_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "timestamp,open,high,low,close,volume,trades\n")
    with pytest.raises(FormatError, match="unknown OHLCV format"):
        read_ohlcv_file(path)


@pytest.mark.parametrize("content", ["", "   \n\n"], ids=["zero-bytes", "blank"])
def test_empty_file(tmp_path: Path, content: str) -> None:
    path = write(tmp_path, "empty.csv", content)
    with pytest.raises(FormatError, match=r"empty\.csv: the file is empty"):
        read_ohlcv_file(path)
    with pytest.raises(FormatError, match="the file is empty"):
        read_ohlcv_file(path, fmt="uniform")


def test_header_only_gives_an_empty_frame(tmp_path: Path) -> None:
    df = read_ohlcv_file(write(tmp_path, "h.csv", HEADER))
    assert_contract(df)
    assert len(df) == 0


@pytest.mark.parametrize("suffix", [".csv", ".feather", ".json", ""])
def test_binary_garbage(tmp_path: Path, suffix: str) -> None:
    garbage = random.Random(7).randbytes(4096)
    path = write(tmp_path, f"garbage{suffix}", garbage)
    with pytest.raises(FormatError, match=r"garbage.*: unknown OHLCV format: binary data"):
        read_ohlcv_file(path)


def test_garbage_forced_through_each_reader_is_a_format_error(tmp_path: Path) -> None:
    path = write(tmp_path, "garbage.bin", random.Random(11).randbytes(4096))
    for fmt in FORMATS:
        with pytest.raises(FormatError, match=r"garbage\.bin"):
            read_ohlcv_file(path, fmt=fmt)


def test_non_numeric_price_names_line_and_column(tmp_path: Path) -> None:
    rows = ["2024-03-01T00:00:00Z,1,2,0.5,1.5,7", "", "2024-03-01T00:05:00Z,1,abc,0.5,1.5,7"]
    path = write(tmp_path, "nan.csv", HEADER + "\n".join(rows) + "\n")
    with pytest.raises(FormatError, match=r"nan\.csv: line 4, high: 'abc' is not a number"):
        read_ohlcv_file(path)


def test_bad_and_missing_timestamps(tmp_path: Path) -> None:
    bad = write(
        tmp_path,
        "bad.csv",
        HEADER + "2024-03-01T00:00:00Z,1,2,0.5,1.5,7\nyesterday,1,2,0.5,1.5,7\n",
    )
    with pytest.raises(FormatError, match=r"bad\.csv: line 3: 'yesterday' is not an ISO-8601 time"):
        read_ohlcv_file(bad)
    missing = write(tmp_path, "missing.csv", HEADER + ",1,2,0.5,1.5,7\n")
    with pytest.raises(FormatError, match=r"missing\.csv: line 2: missing timestamp"):
        read_ohlcv_file(missing)


def test_json_shape_errors(tmp_path: Path) -> None:
    short = write(
        tmp_path, "short.json", "[[1709251200000, 1, 2, 0.5, 1.5, 3], [1709251500000, 1, 2]]"
    )
    with pytest.raises(FormatError, match=r"short\.json: row 1 has 3 values, expected 6"):
        read_ohlcv_file(short)
    text = write(tmp_path, "text.json", '[[1709251200000, 1, "two", 0.5, 1.5, 3]]')
    with pytest.raises(FormatError, match=r"text\.json: row 0, high: 'two' is not a number"):
        read_ohlcv_file(text)
    obj = write(tmp_path, "obj.json", '{"data": []}')
    with pytest.raises(FormatError, match=r"obj\.json: expected a JSON array .* got a JSON dict"):
        read_ohlcv_file(obj, fmt="freqtrade_json")


def test_feather_without_a_date_column(tmp_path: Path) -> None:
    path = tmp_path / "nodate.feather"
    pd.DataFrame({"open": [1.0], "high": [1.0], "low": [1.0], "close": [1.0]}).to_feather(path)
    with pytest.raises(FormatError, match=r"nodate\.feather: Feather columns .* lack a date"):
        read_ohlcv_file(path)
