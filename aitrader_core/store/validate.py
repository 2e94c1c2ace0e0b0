"""Normalise and validate a batch of candles before anything is written.

A batch is accepted whole or rejected whole: :func:`prepare_candles` either
returns clean arrays or raises :class:`BatchRejected` listing every problem
(row and field), so a caller never writes part of a bad batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from aitrader_core.domain.market import align_check, to_epoch_ms
from aitrader_core.errors import ValidationError

PRICE_FIELDS = ("open", "high", "low", "close")
FIELDS = ("ts", *PRICE_FIELDS, "volume")
_TS_ALIASES = ("ts", "timestamp", "time", "date", "open_time")
#: At most this many problems are listed; the count says how many there were.
MAX_PROBLEMS = 20


@dataclass(frozen=True)
class Problem:
    """One invalid value: the 0-based row in the batch, the field and why."""

    row: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.field}: {self.message}"


class BatchRejected(ValidationError):
    """A batch had invalid rows; nothing of it was written."""

    def __init__(self, problems: list[Problem], total: int | None = None, rows: int = 0):
        self.problems = problems
        self.total = total if total is not None else len(problems)
        self.total_rows = rows  # size of the rejected batch: all of it was refused
        shown = "; ".join(str(p) for p in problems[:5])
        more = f" (and {self.total - 5} more)" if self.total > 5 else ""
        self.message = f"batch rejected, nothing written: {self.total} invalid value(s): "
        self.message += shown + more
        self.field, self.row = problems[0].field, problems[0].row
        Exception.__init__(self, self.message)  # the text already names rows and fields


@dataclass(frozen=True)
class CandleBatch:
    """Validated candles in column arrays, sorted by ``ts`` (int64 epoch ms)."""

    ts: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray  # NaN where unknown

    def __len__(self) -> int:
        return len(self.ts)

    def slice(self, start: int, stop: int) -> CandleBatch:
        """Rows ``start:stop`` as a new batch (views, no copy)."""
        return CandleBatch(*(getattr(self, f)[start:stop] for f in FIELDS))

    def to_frame(self) -> pd.DataFrame:
        """A DataFrame with the columns ``ts, open, high, low, close, volume``."""
        return pd.DataFrame({f: getattr(self, f) for f in FIELDS})


def _as_frame(candles: pd.DataFrame | Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    frame = candles if isinstance(candles, pd.DataFrame) else pd.DataFrame(list(candles))
    frame = frame.reset_index(drop=True)
    if "ts" not in frame.columns:
        alias = next((a for a in _TS_ALIASES if a in frame.columns), None)
        if alias is None:
            raise ValidationError("missing column (also accepted: timestamp, time)", field="ts")
        frame = frame.rename(columns={alias: "ts"})
    missing = [f for f in PRICE_FIELDS if f not in frame.columns]
    if missing:
        raise ValidationError("missing column", field=missing[0])
    return frame


def _numeric(frame: pd.DataFrame, field: str, problems: list[Problem]) -> np.ndarray:
    col = frame[field]
    values = pd.to_numeric(col, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    given = col.notna().to_numpy()
    for row in np.flatnonzero(np.isnan(values) & given)[:MAX_PROBLEMS]:
        problems.append(Problem(int(row), field, f"{col.iloc[row]!r} is not a number"))
    return values


def prepare_candles(
    candles: pd.DataFrame | Iterable[Mapping[str, Any]], timeframe: str
) -> CandleBatch:
    """Normalise timestamps to ms, validate every row and sort by time.

    Rules: every price finite and > 0; ``high ≥ max(open, close, low)``;
    ``low ≤ min(open, close)``; ``volume ≥ 0`` or missing; ``ts`` an epoch
    (s, ms, µs) or ISO-8601 time at a bar-open of ``timeframe``; no ``ts``
    twice in one batch.

    Examples
    --------
    >>> b = prepare_candles([{"ts": "2024-03-01T00:05:00Z", "open": 1, "high": 2,
    ...                       "low": 0.5, "close": 1.5, "volume": 3}], "5m")
    >>> b.ts.tolist(), b.close.tolist()
    ([1709251500000], [1.5])
    >>> try:
    ...     prepare_candles([{"ts": 0, "open": 1, "high": 0.9, "low": 0.5, "close": 1}], "1m")
    ... except BatchRejected as exc:
    ...     print(exc.problems)
    [Problem(row=0, field='high', message='0.9 is below max(open, close, low) = 1.0')]
    """
    frame = _as_frame(candles)
    n = len(frame)
    problems: list[Problem] = []
    try:
        ts = to_epoch_ms(frame["ts"])
    except ValidationError as exc:
        raise BatchRejected([Problem(exc.row or 0, "ts", exc.message)], rows=n) from exc
    prices = {f: _numeric(frame, f, problems) for f in PRICE_FIELDS}
    volume = (
        _numeric(frame, "volume", problems) if "volume" in frame.columns else np.full(n, np.nan)
    )
    for field, values in prices.items():
        missing = np.isnan(values) & frame[field].isna().to_numpy()
        for row in np.flatnonzero(missing)[:MAX_PROBLEMS]:
            problems.append(Problem(int(row), field, "missing"))
        bad = ~np.isnan(values) & ~(np.isfinite(values) & (values > 0))
        for row in np.flatnonzero(bad)[:MAX_PROBLEMS]:
            problems.append(
                Problem(int(row), field, f"{float(values[row])!r} must be finite and > 0")
            )
    o, h, lo, c = (prices[f] for f in PRICE_FIELDS)
    with np.errstate(invalid="ignore"):
        # consistency is judged only on rows whose four prices are each valid
        sane = np.all([np.isfinite(v) & (v > 0) for v in prices.values()], axis=0)
        top = np.fmax(np.fmax(o, c), lo)
        for row in np.flatnonzero(sane & (h < top))[:MAX_PROBLEMS]:
            problems.append(
                Problem(
                    int(row),
                    "high",
                    f"{float(h[row])!r} is below max(open, close, low) = {float(top[row])!r}",
                )
            )
        bottom = np.fmin(o, c)
        for row in np.flatnonzero(sane & (lo > bottom))[:MAX_PROBLEMS]:
            problems.append(
                Problem(
                    int(row),
                    "low",
                    f"{float(lo[row])!r} is above min(open, close) = {float(bottom[row])!r}",
                )
            )
        bad_vol = ~np.isnan(volume) & ~(np.isfinite(volume) & (volume >= 0))
    for row in np.flatnonzero(bad_vol)[:MAX_PROBLEMS]:
        problems.append(Problem(int(row), "volume", f"{float(volume[row])!r} must be ≥ 0 or empty"))
    for row in np.flatnonzero(align_check(ts, timeframe))[:MAX_PROBLEMS]:
        problems.append(Problem(int(row), "ts", f"{ts[row]} is not a {timeframe} bar-open time"))
    ascending = bool(np.all(ts[1:] > ts[:-1]))
    order = np.arange(n) if ascending else np.argsort(ts, kind="stable")
    sorted_ts = ts if ascending else ts[order]
    dup = np.flatnonzero(sorted_ts[1:] == sorted_ts[:-1])
    for i in dup[:MAX_PROBLEMS]:
        first, again = sorted(int(x) for x in (order[i], order[i + 1]))
        problems.append(Problem(again, "ts", f"{ts[again]} repeats row {first}"))
    if problems:
        problems.sort(key=lambda p: (p.row, FIELDS.index(p.field)))
        raise BatchRejected(problems[:MAX_PROBLEMS], total=len(problems), rows=n)
    if ascending:  # the common case (files, exchanges): no copies
        return CandleBatch(ts, o, h, lo, c, volume)
    return CandleBatch(sorted_ts, o[order], h[order], lo[order], c[order], volume[order])
