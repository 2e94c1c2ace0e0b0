"""Market identifiers: symbols, timeframes and timestamps in one canonical form.

Symbols use ccxt's unified form (``BTC/USDT``), timeframes ccxt's spellings
(``5m``, ``1h``, ``1d``, ``1w``, ``1M``) and times int64 epoch milliseconds UTC.
Everything that enters the store or an exchange call passes through here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from aitrader_core.errors import ValidationError

_MINUTE = 60_000
#: ccxt's timeframe spellings (as Binance lists them) and their length in ms.
#: ``1M`` is a calendar month and has no fixed length (``None``).
TIMEFRAMES: dict[str, int | None] = {
    "1s": 1_000,
    "1m": _MINUTE,
    "3m": 3 * _MINUTE,
    "5m": 5 * _MINUTE,
    "15m": 15 * _MINUTE,
    "30m": 30 * _MINUTE,
    "1h": 60 * _MINUTE,
    "2h": 120 * _MINUTE,
    "4h": 240 * _MINUTE,
    "6h": 360 * _MINUTE,
    "8h": 480 * _MINUTE,
    "12h": 720 * _MINUTE,
    "1d": 1440 * _MINUTE,
    "3d": 3 * 1440 * _MINUTE,
    "1w": 7 * 1440 * _MINUTE,
    "1M": None,
}
#: Binance weeks open on Monday; the epoch (1970-01-01) was a Thursday.
_WEEK_OFFSET_MS = 4 * 1440 * _MINUTE

_QUOTES = (
    "USDT",
    "USDC",
    "FDUSD",
    "TUSD",
    "BUSD",
    "DAI",
    "USD",
    "EUR",
    "GBP",
    "TRY",
    "BRL",
    "BTC",
    "ETH",
    "BNB",
    "SOL",
    "XRP",
    "DOGE",
)
_SYMBOL_RE = re.compile(r"^[A-Z0-9]{1,20}/[A-Z0-9]{1,20}(:[A-Z0-9]{1,20})?$")


def normalize_symbol(raw: str) -> str:
    """Return ``raw`` in ccxt's unified form.

    Accepts ``BTC/USDT``, ``btcusdt``, ``BTC-USDT``, ``BTC_USDT`` and
    ``btc/usdt``; a concatenated pair is split at a known quote currency.

    Examples
    --------
    >>> [normalize_symbol(s) for s in ("btcusdt", "BTC-USDT", "eth_btc", "SOL/USDT")]
    ['BTC/USDT', 'BTC/USDT', 'ETH/BTC', 'SOL/USDT']
    """
    if not isinstance(raw, str) or not raw.strip():
        raise ValidationError("must be a non-empty symbol such as BTC/USDT", field="symbol")
    text = raw.strip().upper().replace("-", "/").replace("_", "/")
    if "/" not in text:
        for quote in sorted(_QUOTES, key=len, reverse=True):
            if text.endswith(quote) and len(text) > len(quote):
                text = f"{text[: -len(quote)]}/{quote}"
                break
    if not _SYMBOL_RE.match(text):
        raise ValidationError(
            f"{raw!r} is not a symbol (expected e.g. BTC/USDT or btcusdt)", field="symbol"
        )
    return text


def normalize_exchange(raw: str) -> str:
    """Return a ccxt exchange id in lower case (``Binance`` → ``binance``)."""
    text = raw.strip().lower() if isinstance(raw, str) else ""
    if not re.fullmatch(r"[a-z][a-z0-9_]{1,31}", text):
        raise ValidationError(f"{raw!r} is not an exchange id such as binance", field="exchange")
    return text


def normalize_timeframe(raw: str) -> str:
    """Check ``raw`` against ccxt's timeframe spellings and return it.

    Examples
    --------
    >>> normalize_timeframe("5m"), normalize_timeframe(" 1h ")
    ('5m', '1h')
    """
    text = raw.strip() if isinstance(raw, str) else ""
    if text not in TIMEFRAMES:
        raise ValidationError(
            f"{raw!r} is not a timeframe; use one of {', '.join(TIMEFRAMES)}", field="timeframe"
        )
    return text


def timeframe_ms(timeframe: str) -> int | None:
    """Length of a bar in ms, or ``None`` for the calendar month ``1M``."""
    return TIMEFRAMES[normalize_timeframe(timeframe)]


def align_check(ts_ms: np.ndarray, timeframe: str) -> np.ndarray:
    """Return a boolean mask of timestamps that are not a bar-open time.

    Examples
    --------
    >>> align_check(np.array([0, 300_000, 300_001]), "5m").tolist()
    [False, False, True]
    """
    step = timeframe_ms(timeframe)
    ts = np.asarray(ts_ms, dtype=np.int64)
    if step is None:
        floored = month_floor(ts)
        return np.asarray(floored != ts)
    offset = _WEEK_OFFSET_MS if timeframe == "1w" else 0
    return np.asarray((ts - offset) % step != 0)


def month_floor(ts_ms: np.ndarray) -> np.ndarray:
    """Floor epoch-ms timestamps to the first millisecond of their UTC month."""
    months = np.asarray(ts_ms, dtype="datetime64[ms]").astype("datetime64[M]")
    return months.astype("datetime64[ms]").astype(np.int64)


def next_open(ts_ms: int, timeframe: str) -> int:
    """Open time of the bar after the one opening at ``ts_ms``."""
    step = timeframe_ms(timeframe)
    if step is not None:
        return ts_ms + step
    month = np.datetime64(ts_ms, "ms").astype("datetime64[M]") + 1
    return int(month.astype("datetime64[ms]").astype(np.int64))


#: Epoch values below this are seconds, above it (to 1e14) ms, then µs, then ns.
_S_LIMIT, _MS_LIMIT, _US_LIMIT = 10**11, 10**14, 10**17


def epoch_to_ms(values: np.ndarray) -> np.ndarray:
    """Convert numeric epoch values in s, ms, µs or ns to int64 ms, by magnitude.

    Examples
    --------
    >>> epoch_to_ms(np.array([1_700_000_000, 1_700_000_000_000, 1_700_000_000_000_000])).tolist()
    [1700000000000, 1700000000000, 1700000000000]
    """
    arr = np.asarray(values, dtype=np.float64)
    mag = np.abs(arr)
    scale = np.select(
        [mag < _S_LIMIT, mag < _MS_LIMIT, mag < _US_LIMIT], [1000.0, 1.0, 1e-3], default=1e-6
    )
    return np.asarray(np.round(arr * scale), dtype=np.int64)


def to_epoch_ms(values: Sequence[object] | np.ndarray | pd.Series) -> np.ndarray:
    """Convert timestamps (epoch s/ms/µs/ns numbers, ISO-8601 strings or datetimes) to ms.

    Raises :class:`ValidationError` naming the first row that is not a time.

    Examples
    --------
    >>> to_epoch_ms(["2024-03-01T00:05:00Z", 1709251500, 1709251500000]).tolist()
    [1709251500000, 1709251500000, 1709251500000]
    """
    series = pd.Series(values, copy=False) if not isinstance(values, pd.Series) else values
    if len(series) == 0:
        return np.empty(0, dtype=np.int64)
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        dt = series.dt.tz_localize("UTC") if series.dt.tz is None else series.dt.tz_convert("UTC")
        if dt.isna().any():
            raise ValidationError("missing timestamp", field="ts", row=int(np.argmax(dt.isna())))
        return np.asarray(dt.dt.as_unit("ms").astype("int64").to_numpy(), dtype=np.int64)
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series):
        arr = series.to_numpy(dtype=np.float64)
        bad = ~np.isfinite(arr)
        if bad.any():
            raise ValidationError("not a finite epoch time", field="ts", row=int(np.argmax(bad)))
        return epoch_to_ms(arr)
    if pd.api.types.infer_dtype(series, skipna=False) == "string":
        parsed = pd.to_datetime(series, utc=True, errors="coerce", format="ISO8601")
        if not parsed.isna().any():
            return np.asarray(parsed.dt.as_unit("ms").astype("int64").to_numpy(), dtype=np.int64)
    out = np.empty(len(series), dtype=np.int64)
    raw = series.to_numpy(dtype=object)
    numeric = np.array(
        [
            isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)
            for v in raw
        ]
    )
    if numeric.any():
        nums = np.array([float(v) for v in raw[numeric]])
        if not np.isfinite(nums).all():
            bad_at = np.flatnonzero(numeric)[np.argmax(~np.isfinite(nums))]
            raise ValidationError("not a finite epoch time", field="ts", row=int(bad_at))
        out[numeric] = epoch_to_ms(nums)
    rest = ~numeric
    if rest.any():
        texts = pd.Series(raw[rest])
        parsed = pd.to_datetime(texts, utc=True, errors="coerce", format="ISO8601")
        bad = parsed.isna().to_numpy()
        if bad.any():
            row = int(np.flatnonzero(rest)[np.argmax(bad)])
            raise ValidationError(
                f"{raw[row]!r} is not an epoch number or ISO-8601 time", field="ts", row=row
            )
        out[rest] = parsed.dt.as_unit("ms").astype("int64").to_numpy()
    return out


def ms_to_datetime(ts_ms: int) -> datetime:
    """Return a tz-aware UTC datetime for epoch ms."""
    return datetime.fromtimestamp(ts_ms / 1000, tz=UTC)


def ms_to_iso(ts_ms: int) -> str:
    """Return ``YYYY-MM-DDTHH:MM:SSZ`` (milliseconds kept when not zero)."""
    text = np.datetime_as_string(np.datetime64(int(ts_ms), "ms"), unit="ms")
    return (text[:-4] if text.endswith(".000") else text) + "Z"


def iso_column(ts_ms: np.ndarray) -> np.ndarray:
    """Format many epoch-ms times as ``YYYY-MM-DDTHH:MM:SSZ`` at once.

    Examples
    --------
    >>> iso_column(np.array([1709251500000])).tolist()
    ['2024-03-01T00:05:00Z']
    """
    dt = np.asarray(ts_ms, dtype=np.int64).astype("datetime64[ms]")
    has_ms = (np.asarray(ts_ms) % 1000 != 0).any()
    text = np.datetime_as_string(dt, unit="ms" if has_ms else "s")
    return np.char.add(text, "Z")


def time_bounds(start: str | int | None, end: str | int | None) -> tuple[int | None, int | None]:
    """Epoch-ms bounds from user input (epoch s/ms or ISO-8601; ``None``/"" = open).

    Errors name the field (``start`` or ``end``); ``end`` must come after ``start``.

    Examples
    --------
    >>> time_bounds("2024-01-01T00:00:00Z", None)
    (1704067200000, None)
    >>> time_bounds(5_000, 1_000)
    Traceback (most recent call last):
    ...
    aitrader_core.errors.ValidationError: end: must be after start
    """
    bounds: list[int | None] = []
    for name, value in (("start", start), ("end", end)):
        if value is None or value == "":
            bounds.append(None)
            continue
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        try:
            bounds.append(int(to_epoch_ms([value])[0]))
        except ValidationError as exc:
            raise ValidationError(exc.message, field=name) from exc
    lo, hi = bounds
    if lo is not None and hi is not None and hi <= lo:
        raise ValidationError("must be after start", field="end")
    return lo, hi
