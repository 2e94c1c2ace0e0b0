"""Checking analysis inputs and turning OHLCV frames into closed-bar arrays."""

from __future__ import annotations

import numpy as np
import pandas as pd

from aitrader_core.domain.market import (
    align_check,
    next_open,
    normalize_timeframe,
    timeframe_ms,
    to_epoch_ms,
)
from aitrader_core.errors import ValidationError
from aitrader_core.indicators import resample_ohlcv

from .components import BarArrays

_PRICES = ("open", "high", "low", "close")
#: Stands in for the calendar month's length when ordering timeframes.
_MONTH_MS = 31 * 86_400_000


def check_timeframe(raw: str, name: str) -> str:
    """``raw`` as ccxt spells it, or a ValidationError naming the argument ``name``."""
    try:
        return normalize_timeframe(raw)
    except ValidationError as exc:
        raise ValidationError(exc.message, field=name) from None


def timeframe_length(timeframe: str) -> int:
    """Bar length in ms (the longest month for ``1M``), to order timeframes."""
    step = timeframe_ms(timeframe)
    return _MONTH_MS if step is None else step


def close_times(open_ms: np.ndarray, timeframe: str) -> np.ndarray:
    """Close time (= next bar's open) of bars opening at ``open_ms``."""
    step = timeframe_ms(timeframe)
    if step is not None:
        return np.asarray(open_ms, dtype=np.int64) + step
    return np.array([next_open(int(t), timeframe) for t in open_ms], dtype=np.int64)


def empty_bars() -> BarArrays:
    """No bars (a slow frame that is empty or has no closed bar yet)."""
    none = np.empty(0, dtype=np.float64)
    return BarArrays(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), none, none, none)


def frame_bars(
    frame: object, timeframe: str, name: str, until_ms: int | None, *, required: bool
) -> BarArrays:
    """The bars of ``frame`` that closed at or before ``until_ms``, oldest first.

    ``frame`` is a DataFrame indexed by bar open times (tz-aware UTC, or naive
    taken as UTC) or carrying a ``ts`` / ``timestamp`` column, with columns
    open, high, low, close. Every problem is a ValidationError whose field
    starts with ``name`` (``fast.close``, ``slow.index``...).
    """
    if not isinstance(frame, pd.DataFrame):
        raise ValidationError("must be a pandas DataFrame of OHLCV bars", field=name)
    if frame.empty:
        if required:
            raise ValidationError("has no bars", field=name)
        return empty_bars()
    for col in _PRICES:
        if col not in frame.columns:
            raise ValidationError(f"missing column {col!r}", field=f"{name}.{col}")
    open_ms = _open_times(frame, name)
    cols: dict[str, np.ndarray] = {}
    for col in _PRICES:
        try:
            values = frame[col].to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError):
            raise ValidationError("is not numeric", field=f"{name}.{col}") from None
        bad = ~np.isfinite(values)
        if bad.any():
            row = int(np.argmax(bad))
            raise ValidationError("is not a finite price", field=f"{name}.{col}", row=row)
        cols[col] = values
    misaligned = align_check(open_ms, timeframe)
    if misaligned.any():
        row = int(np.argmax(misaligned))
        raise ValidationError(
            f"bar opening at {open_ms[row]} ms is not a {timeframe} boundary",
            field=f"{name}_timeframe",
            row=row,
        )
    order = np.argsort(open_ms, kind="stable")
    open_ms = open_ms[order]
    dup = np.flatnonzero(np.diff(open_ms) == 0)
    if len(dup):
        raise ValidationError("duplicate bar open time", field=f"{name}.index", row=int(dup[0]))
    closes = close_times(open_ms, timeframe)
    keep = order if until_ms is None else order[closes <= until_ms]
    n = len(keep)
    return BarArrays(
        open_ms[:n], closes[:n], cols["high"][keep], cols["low"][keep], cols["close"][keep]
    )


def _open_times(frame: pd.DataFrame, name: str) -> np.ndarray:
    if isinstance(frame.index, pd.DatetimeIndex):
        source: pd.Series = frame.index.to_series()
    elif "ts" in frame.columns or "timestamp" in frame.columns:
        source = frame["ts" if "ts" in frame.columns else "timestamp"]
    else:
        raise ValidationError(
            "needs a DatetimeIndex of bar open times or a 'ts' column", field=f"{name}.index"
        )
    try:
        return to_epoch_ms(source)
    except ValidationError as exc:
        raise ValidationError(exc.message, field=f"{name}.index", row=exc.row) from None


def resampled(bars: BarArrays, timeframe: str, until_ms: int) -> BarArrays:
    """Slow bars built from the fast ones; a bucket still open at ``until_ms`` is dropped."""
    index = pd.to_datetime(bars.open_ms, unit="ms", utc=True)
    # No component reads the open, so the fast closes stand in for it.
    frame = pd.DataFrame(
        {"open": bars.close, "high": bars.high, "low": bars.low, "close": bars.close},
        index=index,
    ).assign(volume=0.0)
    return frame_bars(resample_ohlcv(frame, timeframe), timeframe, "slow", until_ms, required=False)
