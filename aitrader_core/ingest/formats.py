"""Read OHLCV files in the layouts the project meets into one column contract.

Every reader returns a DataFrame with exactly the columns :data:`OHLCV_COLUMNS`
(``ts`` int64 epoch milliseconds UTC, prices and volume float64, volume NaN
when missing) in file order: no sorting, no de-duplication and no value checks.
The store validates the values and names bad rows; this module only refuses a
file whose *structure* is wrong, with a :class:`~aitrader_core.errors.FormatError`
naming the file and the line.

Layouts (:data:`FORMATS`):

``uniform``
    CSV with the header ``timestamp,open,high,low,close[,volume]`` and ISO-8601
    UTC times (epoch numbers are accepted too); ``.csv`` or ``.csv.gz``.
``binance_kline``
    data.binance.vision kline CSV: 12 columns, no header (or an ``open_time``
    header), open time in ms, or in µs (16 digits) in newer files.
``freqtrade_json``
    freqtrade's ``[[ms, open, high, low, close, volume], ...]``, ``.json`` or ``.json.gz``.
``feather``
    freqtrade's Feather (Arrow IPC) file with a ``date`` datetime column.
"""

from __future__ import annotations

import gzip
import io
import json
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather

from aitrader_core.domain.market import epoch_to_ms
from aitrader_core.errors import FormatError

FORMATS = ("uniform", "binance_kline", "freqtrade_json", "feather")
#: Columns of every frame this package returns, in this order.
OHLCV_COLUMNS = ("ts", "open", "high", "low", "close", "volume")
PRICE_COLUMNS = ("open", "high", "low", "close")
#: Accepted names of the time column of a uniform CSV or a Feather file.
TS_NAMES = ("timestamp", "date", "datetime", "time", "ts")
#: Columns of a data.binance.vision kline row; only the first six are read.
KLINE_COLUMNS = (
    "open_time", "open", "high", "low", "close", "volume", "close_time",
    "quote_volume", "count", "taker_buy_volume", "taker_buy_quote_volume", "ignore",
)  # fmt: skip

_GZIP_MAGIC = b"\x1f\x8b"
_ARROW_MAGICS = (b"ARROW1", b"FEA1")
_SNIFF_BYTES = 4096
_SUFFIX_FORMATS = {
    ".feather": "feather",
    ".arrow": "feather",
    ".ipc": "feather",
    ".json": "freqtrade_json",
    ".csv": "csv",
    ".txt": "csv",
}
_UNIFORM_HINT = "timestamp,open,high,low,close[,volume]"


def empty_ohlcv_frame() -> pd.DataFrame:
    """Return an empty frame with the OHLCV columns and dtypes.

    Examples
    --------
    >>> empty_ohlcv_frame().dtypes.astype(str).tolist()
    ['int64', 'float64', 'float64', 'float64', 'float64', 'float64']
    """
    none = np.empty(0)
    return ohlcv_frame(np.empty(0, dtype=np.int64), none, none, none, none, none)


def ohlcv_frame(
    ts: np.ndarray,
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    volume: np.ndarray | None,
) -> pd.DataFrame:
    """Build a frame in the column contract from column arrays.

    ``volume=None`` gives an all-NaN volume column.

    Examples
    --------
    >>> ohlcv_frame(np.array([0]), *[np.array([1.0])] * 4, None).volume.isna().all()
    np.True_
    """
    n = len(ts)
    vol = np.full(n, np.nan) if volume is None else np.asarray(volume, dtype=np.float64)
    return pd.DataFrame(
        {
            "ts": np.asarray(ts, dtype=np.int64),
            "open": np.asarray(open_, dtype=np.float64),
            "high": np.asarray(high, dtype=np.float64),
            "low": np.asarray(low, dtype=np.float64),
            "close": np.asarray(close, dtype=np.float64),
            "volume": vol,
        },
        columns=list(OHLCV_COLUMNS),
    )


def detect_format(path: str | Path) -> str:
    """Tell the layout of an OHLCV file from its suffix and first bytes.

    The content decides; a suffix that contradicts it (a ``.json`` file that
    is not JSON) is an error rather than a guess. ``.gz`` files are looked into.

    Parameters
    ----------
    path
        The file to inspect.

    Returns
    -------
    str
        One of :data:`FORMATS`.

    Raises
    ------
    FormatError
        The file is empty, binary garbage, or no known layout.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "bars.csv"
    >>> _ = p.write_text("1637971200000,1,2,0.5,1.5,10,1637971259999,15,7,5,7.5,0\\n")
    >>> detect_format(p)
    'binance_kline'
    """
    p = Path(path)
    head = _sniff_head(p)
    hint = _suffix_format(p)
    sniffed, reason = _sniff(head)
    if sniffed is None:
        raise FormatError(f"{p}: unknown OHLCV format: {reason}")
    family = "csv" if sniffed in ("uniform", "binance_kline") else sniffed
    if hint is not None and hint != family:
        raise FormatError(
            f"{p}: the suffix says {hint} but the content looks like {sniffed}; "
            f"pass fmt= to read it anyway"
        )
    return sniffed


def read_ohlcv_file(path: str | Path, fmt: str | None = None) -> pd.DataFrame:
    """Read an OHLCV file into the column contract ``ts, open, high, low, close, volume``.

    Parameters
    ----------
    path
        A file in one of :data:`FORMATS`, optionally gzipped.
    fmt
        Force a layout instead of detecting it with :func:`detect_format`.

    Returns
    -------
    pandas.DataFrame
        Rows in file order; ``ts`` int64 epoch ms UTC, the rest float64.

    Raises
    ------
    FormatError
        The file cannot be parsed; the message names the file and the reason
        (for instance the line with the wrong number of fields).
    FileNotFoundError
        ``path`` does not exist.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "bars.csv"
    >>> _ = p.write_text("timestamp,open,high,low,close,volume\\n"
    ...                  "2024-03-01T00:05:00Z,61129.91,61338.72,61129.91,61297.55,\\n")
    >>> df = read_ohlcv_file(p)
    >>> df.ts.tolist(), df.close.tolist(), df.volume.isna().tolist()
    ([1709251500000], [61297.55], [True])
    """
    p = Path(path)
    if fmt is None:
        fmt = detect_format(p)
    elif fmt not in FORMATS:
        raise FormatError(f"{p}: unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    try:
        return _READERS[fmt](p)
    except FormatError:
        raise
    except (
        ValueError,  # includes json.JSONDecodeError, UnicodeDecodeError, pandas ParserError
        TypeError,
        EOFError,
        zlib.error,
        gzip.BadGzipFile,
        pa.ArrowException,
    ) as exc:
        raise FormatError(f"{p}: cannot read as {fmt}: {exc}") from exc


# --- reading bytes and sniffing -------------------------------------------------------


def _sniff_head(p: Path) -> bytes:
    with p.open("rb") as fh:
        raw = fh.read(_SNIFF_BYTES)
    if raw.startswith(_GZIP_MAGIC):
        try:
            with gzip.open(p, "rb") as gz:
                raw = gz.read(_SNIFF_BYTES)
        except (OSError, EOFError, zlib.error) as exc:
            raise FormatError(f"{p}: broken gzip data: {exc}") from exc
    if not raw.strip():
        raise FormatError(f"{p}: the file is empty")
    return raw


def _load_bytes(p: Path) -> bytes:
    data = p.read_bytes()
    if data.startswith(_GZIP_MAGIC):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise FormatError(f"{p}: broken or truncated gzip data: {exc}") from exc
    if not data.strip():
        raise FormatError(f"{p}: the file is empty")
    return data


def _suffix_format(p: Path) -> str | None:
    suffixes = [s.lower() for s in p.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    return _SUFFIX_FORMATS.get(suffixes[-1]) if suffixes else None


def _sniff(head: bytes) -> tuple[str | None, str]:
    """Return (format, "") or (None, why not) from the first bytes."""
    if head.startswith(_ARROW_MAGICS):
        return "feather", ""
    if b"\x00" in head:
        return None, "binary data (NUL bytes), not a text or Arrow file"
    # A 4 KiB cut may split a multi-byte character: decode leniently, judge the ASCII.
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if "\ufffd" in text[:256]:
        return None, "binary data, not UTF-8 text"
    if text.startswith("["):
        return "freqtrade_json", ""
    first = text.splitlines()[0] if text else ""
    fields = [f.strip() for f in first.split(",")]
    if len(fields) == len(KLINE_COLUMNS) and (
        fields[0].isdigit() or fields[0].lower() == "open_time"
    ):
        return "binance_kline", ""
    if _uniform_names(fields) is not None:
        return "uniform", ""
    return None, (
        f"first line {first[:80]!r} is neither a uniform header ({_UNIFORM_HINT}) nor a "
        f"12-column Binance kline row, and the file is not freqtrade JSON or Feather"
    )


def _uniform_names(fields: list[str]) -> list[str] | None:
    """Canonical column names of a uniform header, or None if it is not one."""
    names = [f.lstrip("\ufeff").strip().strip('"').strip().lower() for f in fields]
    ts_names = [n for n in names if n in TS_NAMES]
    allowed = {*PRICE_COLUMNS, "volume"}
    rest = [n for n in names if n not in TS_NAMES]
    if len(ts_names) != 1 or len(set(rest)) != len(rest) or not set(rest) <= allowed:
        return None
    if not set(PRICE_COLUMNS) <= set(rest):
        return None
    return ["ts" if n in TS_NAMES else n for n in names]


# --- structure checks with line numbers -----------------------------------------------


def _check_field_counts(p: Path, data: bytes, expected: int) -> None:
    """Raise FormatError at the first non-blank line without ``expected`` fields."""
    if b'"' in data:
        return  # quoted fields may hold commas; pandas still refuses extra fields
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    if data.count(b",") == (expected - 1) * lines:
        return
    all_lines = data.splitlines()
    last = max((i for i, line in enumerate(all_lines) if line.strip()), default=-1)
    for i, line in enumerate(all_lines):
        if not line.strip():
            continue
        got = line.count(b",") + 1
        if got != expected:
            hint = " (truncated file?)" if i == last and got < expected else ""
            raise FormatError(
                f"{p}: line {i + 1} has {got} fields, expected {expected}{hint}: "
                f"{line[:80].decode('utf-8', 'replace')!r}"
            )


def _line_number(data: bytes, row: int, header_lines: int) -> int:
    """1-based file line of 0-based data ``row`` (pandas skips blank lines)."""
    if b"\n\n" not in data and b"\n\r\n" not in data:
        return row + header_lines + 1
    seen = -header_lines - 1
    for i, line in enumerate(data.splitlines()):
        if line.strip():
            seen += 1
            if seen == row:
                return i + 1
    return row + header_lines + 1


def _bad_number(p: Path, data: bytes, col: str, raw: pd.Series, header_lines: int) -> None:
    """Raise FormatError at the first cell of ``raw`` that is not a number."""
    values = pd.to_numeric(raw, errors="coerce")
    bad = values.isna().to_numpy() & raw.notna().to_numpy()
    if bad.any():
        row = int(np.argmax(bad))
        line = _line_number(data, row, header_lines)
        raise FormatError(f"{p}: line {line}, {col}: {raw.iloc[row]!r} is not a number")


def _read_numbers(
    p: Path, data: bytes, names: list[str], header_lines: int, width: int, text_col: str | None
) -> pd.DataFrame:
    """read_csv of the first ``width`` columns as float64 (``text_col`` as str).

    On a cell that is not a number, raise FormatError naming its line.
    """
    picked = names[:width]
    dtype = {n: ("object" if n == text_col else "float64") for n in picked}

    def read(types: dict[str, str] | str) -> pd.DataFrame:
        return pd.read_csv(
            io.BytesIO(data),
            engine="c",
            header=None,
            names=names,
            usecols=picked,
            skiprows=header_lines,
            dtype=types,
        )

    try:
        return read(dtype)
    except pd.errors.ParserError as exc:
        raise FormatError(f"{p}: {exc}") from exc
    except ValueError as exc:
        raw = read("str")
        for col in picked:
            if col != text_col:
                _bad_number(p, data, col, raw[col], header_lines)
        raise FormatError(f"{p}: {exc}") from exc


def _ts_from_text(p: Path, data: bytes, raw: pd.Series, header_lines: int) -> np.ndarray:
    """ISO-8601 strings (or epoch digits) to int64 ms, naming the first bad line."""
    if raw.isna().any():
        row = int(np.argmax(raw.isna().to_numpy()))
        raise FormatError(f"{p}: line {_line_number(data, row, header_lines)}: missing timestamp")
    if len(raw) == 0:
        return np.empty(0, dtype=np.int64)
    first = str(raw.iloc[0]).strip()
    if first.isdigit():
        _bad_number(p, data, "timestamp", raw, header_lines)
        return epoch_to_ms(pd.to_numeric(raw).to_numpy(dtype=np.float64))
    parsed = pd.to_datetime(raw, utc=True, format="ISO8601", errors="coerce")
    bad = parsed.isna().to_numpy()
    if bad.any():
        row = int(np.argmax(bad))
        line = _line_number(data, row, header_lines)
        raise FormatError(f"{p}: line {line}: {raw.iloc[row]!r} is not an ISO-8601 time")
    return _datetimes_to_ms(parsed)


def _datetimes_to_ms(series: pd.Series) -> np.ndarray:
    return np.asarray(series.dt.as_unit("ms").astype("int64"), dtype=np.int64)


def _frame_from(ts: np.ndarray, df: pd.DataFrame) -> pd.DataFrame:
    volume = df["volume"].to_numpy() if "volume" in df else None
    o, h, lo, c = (df[name].to_numpy() for name in PRICE_COLUMNS)
    return ohlcv_frame(ts, o, h, lo, c, volume)


# --- the four readers -------------------------------------------------------------------


def _read_uniform(p: Path) -> pd.DataFrame:
    data = _load_bytes(p)
    first = data.split(b"\n", 1)[0].decode("utf-8", errors="replace").strip()
    names = _uniform_names(first.split(","))
    if names is None:
        raise FormatError(
            f"{p}: line 1 {first[:80]!r} is not a uniform OHLCV header; expected {_UNIFORM_HINT}"
        )
    _check_field_counts(p, data, len(names))
    df = _read_numbers(p, data, names, 1, len(names), text_col="ts")
    ts = _ts_from_text(p, data, df["ts"], 1)
    return _frame_from(ts, df)


def _read_binance_kline(p: Path) -> pd.DataFrame:
    data = _load_bytes(p)
    first = data.split(b"\n", 1)[0].decode("utf-8", errors="replace").lstrip("\ufeff").strip()
    header_lines = 0 if first.split(",")[0].strip().isdigit() else 1
    if header_lines and first.split(",")[0].strip().lower() != "open_time":
        raise FormatError(
            f"{p}: line 1 {first[:80]!r} is not a Binance kline row "
            f"(12 fields starting with the open time in ms)"
        )
    _check_field_counts(p, data, len(KLINE_COLUMNS))
    df = _read_numbers(p, data, list(KLINE_COLUMNS), header_lines, 6, text_col=None)
    open_time = df["open_time"].to_numpy()
    if np.isnan(open_time).any():
        row = int(np.argmax(np.isnan(open_time)))
        line = _line_number(data, row, header_lines)
        raise FormatError(f"{p}: line {line}: missing open time")
    # data.binance.vision switched spot files to µs (16 digits) in 2025: scale by magnitude.
    ts = epoch_to_ms(open_time)
    return _frame_from(ts, df)


def _read_freqtrade_json(p: Path) -> pd.DataFrame:
    data = _load_bytes(p)
    try:
        rows = json.loads(data)
    except json.JSONDecodeError as exc:
        cut = " (truncated file?)" if exc.pos >= len(exc.doc.rstrip()) - 1 else ""
        raise FormatError(
            f"{p}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}{cut}"
        ) from exc
    if not isinstance(rows, list):
        raise FormatError(
            f"{p}: expected a JSON array of [ms, open, high, low, close, volume] rows, "
            f"got a JSON {type(rows).__name__}"
        )
    try:
        arr = np.asarray(rows, dtype=np.float64)
        shaped = arr.ndim == 2 and arr.shape[1] == len(OHLCV_COLUMNS)
    except (ValueError, TypeError):
        shaped = False
    if not shaped:
        if len(rows) == 0:
            return empty_ohlcv_frame()
        _explain_json_rows(p, rows)
        raise FormatError(f"{p}: expected rows of [ms, open, high, low, close, volume]")
    if np.isnan(arr[:, 0]).any():
        row = int(np.argmax(np.isnan(arr[:, 0])))
        raise FormatError(f"{p}: row {row}: missing timestamp")
    return ohlcv_frame(
        epoch_to_ms(arr[:, 0]), arr[:, 1], arr[:, 2], arr[:, 3], arr[:, 4], arr[:, 5]
    )


def _explain_json_rows(p: Path, rows: list[object]) -> None:
    """Raise FormatError at the first row that is not six numbers."""
    width = len(OHLCV_COLUMNS)
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != width:
            got = f"{len(row)} values" if isinstance(row, list) else f"a {type(row).__name__}"
            raise FormatError(
                f"{p}: row {i} has {got}, expected {width} ({', '.join(OHLCV_COLUMNS)})"
            )
        for name, value in zip(OHLCV_COLUMNS, row, strict=True):
            if value is None:
                continue
            try:
                float(value)
            except (TypeError, ValueError):
                raise FormatError(f"{p}: row {i}, {name}: {value!r} is not a number") from None


def _read_feather(p: Path) -> pd.DataFrame:
    data = _load_bytes(p)
    if not data.startswith(_ARROW_MAGICS):
        raise FormatError(f"{p}: not a Feather/Arrow file (no ARROW1 or FEA1 magic bytes)")
    table = feather.read_table(pa.BufferReader(data))
    lower = {name.lower(): name for name in table.column_names}
    ts_col = next((lower[n] for n in TS_NAMES if n in lower), None)
    missing = [c for c in PRICE_COLUMNS if c not in lower]
    if ts_col is None or missing:
        raise FormatError(
            f"{p}: Feather columns {table.column_names} lack "
            f"{'a date/timestamp column' if ts_col is None else ', '.join(missing)}"
        )
    ts = _feather_ts(p, table.column(ts_col).to_pandas())

    def column(name: str) -> np.ndarray:
        return np.asarray(table.column(lower[name]).to_numpy(zero_copy_only=False), np.float64)

    volume = column("volume") if "volume" in lower else None
    return ohlcv_frame(ts, column("open"), column("high"), column("low"), column("close"), volume)


def _feather_ts(p: Path, series: pd.Series) -> np.ndarray:
    if series.isna().any():
        raise FormatError(f"{p}: row {int(np.argmax(series.isna()))}: missing date")
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        if series.dt.tz is not None:
            series = series.dt.tz_convert("UTC").dt.tz_localize(None)
        return _datetimes_to_ms(series)
    if pd.api.types.is_numeric_dtype(series.dtype):
        return epoch_to_ms(series.to_numpy(dtype=np.float64))
    parsed = pd.to_datetime(series, utc=True, format="ISO8601", errors="coerce")
    if parsed.isna().any():
        row = int(np.argmax(parsed.isna().to_numpy()))
        raise FormatError(f"{p}: row {row}: {series.iloc[row]!r} is not a time")
    return _datetimes_to_ms(parsed)


_READERS: dict[str, Callable[[Path], pd.DataFrame]] = {
    "uniform": _read_uniform,
    "binance_kline": _read_binance_kline,
    "freqtrade_json": _read_freqtrade_json,
    "feather": _read_feather,
}
