"""The OHLCV store: idempotent upserts, keyset-paginated reads, coverage, CSV export."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, func, or_, select, text
from sqlalchemy.dialects import postgresql, sqlite

from aitrader_core.domain.market import (
    iso_column,
    next_open,
    normalize_exchange,
    normalize_symbol,
    normalize_timeframe,
    timeframe_ms,
)
from aitrader_core.errors import NotFoundError, ValidationError
from aitrader_core.store.schema import ohlcv, series
from aitrader_core.store.validate import FIELDS, CandleBatch, prepare_candles

Order = Literal["asc", "desc"]
#: Rows written per statement batch; bounds memory on huge ingests.
CHUNK = 100_000
MAX_LIMIT = 10_000
_VALUE_FIELDS = FIELDS[1:]
_ROW_FIELDS = ("series_id", *FIELDS)


@dataclass(frozen=True)
class SeriesKey:
    """(exchange, symbol, timeframe), normalised on construction.

    Examples
    --------
    >>> SeriesKey.of("Binance", "btcusdt", "5m")
    SeriesKey(exchange='binance', symbol='BTC/USDT', timeframe='5m')
    """

    exchange: str
    symbol: str
    timeframe: str

    @classmethod
    def of(cls, exchange: str, symbol: str, timeframe: str) -> SeriesKey:
        """Normalise and build a key (raises ValidationError naming the field)."""
        return cls(
            normalize_exchange(exchange), normalize_symbol(symbol), normalize_timeframe(timeframe)
        )


@dataclass
class UpsertResult:
    """What an upsert did: rows inserted, changed in place, and already identical."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def __iadd__(self, other: UpsertResult) -> UpsertResult:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged
        return self


@dataclass(frozen=True)
class Page:
    """One page of candles (ascending or descending) and the cursor of the next."""

    rows: pd.DataFrame
    next_cursor: str | None


@dataclass(frozen=True)
class Coverage:
    """Extent of a series: first/last bar, count, expected count and missing ranges."""

    key: SeriesKey
    count: int
    first_ts: int | None
    last_ts: int | None
    expected: int
    gap_count: int
    gaps: list[tuple[int, int]] = field(default_factory=list)  # (first missing, last missing)


class CandleStore:
    """Candles in a SQL database (SQLite or PostgreSQL) through SQLAlchemy Core."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._dialect = engine.dialect.name
        self._series_ids: dict[SeriesKey, int] = {}
        self._compiled: dict[bool, Any] = {}

    # -- writing -----------------------------------------------------------------
    def upsert(
        self,
        key: SeriesKey,
        candles: pd.DataFrame | Iterable[Mapping[str, Any]] | CandleBatch,
        *,
        progress: Callable[[int], None] | None = None,
    ) -> UpsertResult:
        """Validate the whole batch, then insert new bars and update changed ones.

        Idempotent: the same batch twice leaves the same rows and reports them
        ``unchanged`` the second time. An invalid batch raises
        :class:`~aitrader_core.store.validate.BatchRejected` before anything is
        written; the write itself is one transaction. ``progress`` is called
        with the number of rows done after each chunk.
        """
        batch = (
            candles if isinstance(candles, CandleBatch) else prepare_candles(candles, key.timeframe)
        )
        result = UpsertResult()
        if len(batch) == 0:
            return result
        with self.engine.begin() as conn:
            sid = self._ensure_series(conn, key)
            for start in range(0, len(batch), CHUNK):
                chunk = batch.slice(start, start + CHUNK)
                result += self._upsert_chunk(conn, sid, chunk)
                if progress is not None:
                    progress(len(chunk))
        return result

    def _upsert_chunk(self, conn: Connection, sid: int, b: CandleBatch) -> UpsertResult:
        old = self._existing(conn, sid, int(b.ts[0]), int(b.ts[-1]))
        if len(old):
            old_ts = old[:, 0].astype(np.int64)
            pos = np.searchsorted(old_ts, b.ts).clip(max=len(old_ts) - 1)
            present = old_ts[pos] == b.ts
            same = present.copy()
            for j, f in enumerate(_VALUE_FIELDS, start=1):
                new, prev = getattr(b, f), old[pos, j]
                same &= (new == prev) | (np.isnan(new) & np.isnan(prev))
            write = ~same
        else:
            present = np.zeros(len(b), dtype=bool)
            same = present
            write = np.ones(len(b), dtype=bool)
        new, changed = np.flatnonzero(~present), np.flatnonzero(write & present)
        # Rows absent when read inside this transaction are inserted plainly (no
        # conflict handling to pay for). Should another writer add the same key
        # meanwhile, the primary key refuses it and the whole transaction rolls
        # back: an error, never a duplicate or a half-written batch.
        if len(new):
            self._write_rows(conn, sid, b, new, upsert=False)
        if len(changed):
            self._write_rows(conn, sid, b, changed, upsert=True)
        return UpsertResult(len(new), len(changed), int(same.sum()))

    def _existing(self, conn: Connection, sid: int, lo: int, hi: int) -> np.ndarray:
        """Stored rows of a ts range as an (n, 6) float array, NaN for NULL volume."""
        cols = ", ".join(("ts", "open", "high", "low", "close", "volume IS NULL", "volume"))
        param = "?" if self._dialect == "sqlite" else "%s"
        sql = (
            f"SELECT {cols} FROM ohlcv WHERE series_id = {param} "  # noqa: S608 - constants only
            f"AND ts BETWEEN {param} AND {param} ORDER BY ts"
        )
        rows = conn.exec_driver_sql(sql, (sid, lo, hi)).fetchall()
        if not rows:
            return np.empty((0, 6))
        raw = np.array([(*r[:6], 0.0 if r[5] else r[6]) for r in rows], dtype=np.float64)
        raw[raw[:, 5] == 1, 6] = np.nan
        return raw[:, [0, 1, 2, 3, 4, 6]]

    def _write_rows(
        self, conn: Connection, sid: int, b: CandleBatch, idx: np.ndarray, *, upsert: bool
    ) -> None:
        if self._dialect == "postgresql":
            self._copy_rows(conn, sid, b, idx, upsert=upsert)
            return
        vol = b.volume[idx]
        volume = vol.tolist()
        for i in np.flatnonzero(np.isnan(vol)).tolist():
            volume[i] = None
        columns = {
            "volume": volume,
            **{f: getattr(b, f)[idx].tolist() for f in ("ts", "open", "high", "low", "close")},
        }
        if upsert:
            compiled = self._sqlite_sql(conn, upsert=True)
            sql, order = str(compiled), compiled.positiontup or list(_ROW_FIELDS)
            columns["series_id"] = itertools.repeat(sid)
        else:
            # New rows: the series id (an integer we issued) is written into the
            # statement, so each row binds six values instead of seven.
            sql = (
                f"INSERT INTO ohlcv ({', '.join(_ROW_FIELDS)}) "  # noqa: S608 - int and constants
                f"VALUES ({int(sid)}, ?, ?, ?, ?, ?, ?)"
            )
            order = list(FIELDS)
        # The driver's executemany consumes a lazy zip of plain Python columns:
        # per-row tuples built in C, no dicts, no SQLAlchemy parameter processing.
        cursor = conn.connection.cursor()  # same connection and transaction
        try:
            rows: Any = zip(*(columns[p] for p in order))  # noqa: B905 - sqlite3 takes iterables
            cursor.executemany(sql, rows)
        finally:
            cursor.close()

    def _copy_rows(
        self, conn: Connection, sid: int, b: CandleBatch, idx: np.ndarray, *, upsert: bool
    ) -> None:
        """PostgreSQL: binary COPY; changed rows go through a temporary table and ON CONFLICT."""
        payload = _pg_binary_copy(sid, b, idx)
        cols = ", ".join(_ROW_FIELDS)
        raw: Any = conn.connection.driver_connection
        target = "ohlcv"
        if upsert:
            target = "_ohlcv_in"
            conn.exec_driver_sql(
                "CREATE TEMP TABLE IF NOT EXISTS _ohlcv_in "
                "(LIKE ohlcv INCLUDING DEFAULTS) ON COMMIT DROP"
            )
            conn.exec_driver_sql("TRUNCATE _ohlcv_in")
        with (
            raw.cursor() as cur,
            cur.copy(f"COPY {target} ({cols}) FROM STDIN (FORMAT binary)") as cp,
        ):
            cp.write(payload)
        if upsert:
            updates = ", ".join(f"{f} = EXCLUDED.{f}" for f in _VALUE_FIELDS)
            changed = " OR ".join(f"ohlcv.{f} IS DISTINCT FROM EXCLUDED.{f}" for f in _VALUE_FIELDS)
            conn.exec_driver_sql(
                f"INSERT INTO ohlcv ({cols}) SELECT {cols} FROM _ohlcv_in "  # noqa: S608
                f"ON CONFLICT (series_id, ts) DO UPDATE SET {updates} WHERE {changed}"
            )

    def _sqlite_sql(self, conn: Connection, *, upsert: bool) -> Any:
        if upsert not in self._compiled:
            insert = sqlite.insert(ohlcv)
            stmt = (
                insert.on_conflict_do_update(
                    index_elements=[ohlcv.c.series_id, ohlcv.c.ts],
                    set_={f: insert.excluded[f] for f in _VALUE_FIELDS},
                    where=or_(
                        *(ohlcv.c[f].is_distinct_from(insert.excluded[f]) for f in _VALUE_FIELDS)
                    ),
                )
                if upsert
                else insert
            )
            self._compiled[upsert] = stmt.compile(dialect=conn.dialect)
        return self._compiled[upsert]

    def _series_id(self, conn: Connection, key: SeriesKey) -> int | None:
        if key not in self._series_ids:
            sid = conn.execute(select(series.c.id).where(_series_where(key))).scalar()
            if sid is None:
                return None
            self._series_ids[key] = int(sid)
        return self._series_ids[key]

    def _ensure_series(self, conn: Connection, key: SeriesKey) -> int:
        sid = self._series_id(conn, key)
        if sid is not None:
            return sid
        insert = (sqlite.insert if self._dialect == "sqlite" else postgresql.insert)(series)
        conn.execute(
            insert.values(
                exchange=key.exchange, symbol=key.symbol, timeframe=key.timeframe
            ).on_conflict_do_nothing()
        )
        # not cached yet: the id is only certain once this transaction commits
        return int(conn.execute(select(series.c.id).where(_series_where(key))).scalar_one())

    def _require_series(self, conn: Connection, key: SeriesKey) -> int:
        sid = self._series_id(conn, key)
        if sid is None:
            raise NotFoundError(
                f"no candles stored for {key.exchange} {key.symbol} {key.timeframe}"
            )
        return sid

    # -- reading -----------------------------------------------------------------
    def list_series(self) -> list[dict[str, Any]]:
        """Every stored series with its bar count and first/last bar time."""
        stmt = (
            select(
                series.c.exchange,
                series.c.symbol,
                series.c.timeframe,
                func.count(ohlcv.c.ts).label("count"),
                func.min(ohlcv.c.ts).label("first_ts"),
                func.max(ohlcv.c.ts).label("last_ts"),
            )
            .select_from(series.outerjoin(ohlcv, ohlcv.c.series_id == series.c.id))
            .group_by(series.c.id, series.c.exchange, series.c.symbol, series.c.timeframe)
            .order_by(series.c.exchange, series.c.symbol, series.c.timeframe)
        )
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(stmt)]

    def count(self, key: SeriesKey) -> int:
        """Number of stored bars of ``key`` (0 when the series is unknown)."""
        with self.engine.connect() as conn:
            sid = self._series_id(conn, key)
            if sid is None:
                return 0
            return int(
                conn.execute(
                    select(func.count()).select_from(ohlcv).where(ohlcv.c.series_id == sid)
                ).scalar_one()
            )

    def page(
        self,
        key: SeriesKey,
        *,
        start: int | None = None,
        end: int | None = None,
        limit: int = 1000,
        order: Order = "asc",
        cursor: str | None = None,
    ) -> Page:
        """Bars with ``start ≤ ts < end``, ``limit`` at a time, oldest or newest first.

        ``order="desc"`` returns the latest bars first; ``cursor`` (from the
        previous page's ``next_cursor``) continues after the last row given,
        by key, so pages never overlap or skip when rows are added meanwhile.
        """
        if not 1 <= limit <= MAX_LIMIT:
            raise ValidationError(f"must be between 1 and {MAX_LIMIT}", field="limit")
        if order not in ("asc", "desc"):
            raise ValidationError("must be asc or desc", field="order")
        after = _parse_cursor(cursor, order) if cursor else None
        with self.engine.connect() as conn:
            sid = self._require_series(conn, key)
            stmt = select(ohlcv.c.ts, *(ohlcv.c[f] for f in _VALUE_FIELDS)).where(
                ohlcv.c.series_id == sid
            )
            if start is not None:
                stmt = stmt.where(ohlcv.c.ts >= start)
            if end is not None:
                stmt = stmt.where(ohlcv.c.ts < end)
            if after is not None:
                stmt = stmt.where(ohlcv.c.ts > after if order == "asc" else ohlcv.c.ts < after)
            stmt = stmt.order_by(ohlcv.c.ts.asc() if order == "asc" else ohlcv.c.ts.desc())
            rows = conn.execute(stmt.limit(limit + 1)).all()
        more = len(rows) > limit
        frame = _frame(rows[:limit])
        next_cursor = f"{order}:{int(frame['ts'].iloc[-1])}" if more else None
        return Page(frame, next_cursor)

    def read(
        self, key: SeriesKey, start: int | None = None, end: int | None = None
    ) -> pd.DataFrame:
        """All bars in ``[start, end)`` ascending, as a DataFrame (research use)."""
        with self.engine.connect() as conn:
            sid = self._require_series(conn, key)
            stmt = select(ohlcv.c.ts, *(ohlcv.c[f] for f in _VALUE_FIELDS)).where(
                ohlcv.c.series_id == sid
            )
            if start is not None:
                stmt = stmt.where(ohlcv.c.ts >= start)
            if end is not None:
                stmt = stmt.where(ohlcv.c.ts < end)
            return _frame(conn.execute(stmt.order_by(ohlcv.c.ts)).all())

    def coverage(self, key: SeriesKey, *, max_gaps: int = 1000) -> Coverage:
        """First and last bar, count, expected count and the missing ranges."""
        with self.engine.connect() as conn:
            sid = self._require_series(conn, key)
            count, first, last = conn.execute(
                select(func.count(), func.min(ohlcv.c.ts), func.max(ohlcv.c.ts)).where(
                    ohlcv.c.series_id == sid
                )
            ).one()
            step = timeframe_ms(key.timeframe)
            if count == 0:
                return Coverage(key, 0, None, None, 0, 0, [])
            if step is None:  # calendar months: few rows, walk them
                ts = conn.execute(
                    select(ohlcv.c.ts).where(ohlcv.c.series_id == sid).order_by(ohlcv.c.ts)
                ).scalars()
                gaps, prev, expected = [], None, 1
                cur = first
                while cur < last:
                    cur = next_open(cur, key.timeframe)
                    expected += 1
                for t in ts:
                    if prev is not None and next_open(prev, "1M") != t:
                        gaps.append((next_open(prev, "1M"), t - 1))
                    prev = t
                return Coverage(key, count, first, last, expected, len(gaps), gaps[:max_gaps])
            lagged = (
                select(
                    ohlcv.c.ts.label("ts"),
                    func.lag(ohlcv.c.ts).over(order_by=ohlcv.c.ts).label("prev"),
                )
                .where(ohlcv.c.series_id == sid)
                .subquery()
            )
            gap_where = (lagged.c.ts - lagged.c.prev) > step
            gap_count = conn.execute(
                select(func.count()).select_from(lagged).where(gap_where)
            ).scalar_one()
            gap_rows = conn.execute(
                select(lagged.c.prev, lagged.c.ts)
                .where(gap_where)
                .order_by(lagged.c.ts)
                .limit(max_gaps)
            ).all()
        gaps = [(int(p) + step, int(t) - step) for p, t in gap_rows]
        expected = (int(last) - int(first)) // step + 1
        return Coverage(key, int(count), int(first), int(last), expected, int(gap_count), gaps)

    def export_csv(
        self,
        key: SeriesKey,
        *,
        start: int | None = None,
        end: int | None = None,
        chunk: int = 20_000,
    ) -> Iterator[str]:
        """Yield the uniform CSV (header, then rows ascending) in bounded chunks.

        Memory stays constant however long the series: rows are read page by
        page by key and each page is formatted and yielded before the next.
        """
        with self.engine.connect() as conn:
            sid = self._require_series(conn, key)
        yield ",".join(("timestamp", *_VALUE_FIELDS)) + "\n"
        lower = start
        while True:
            stmt = select(ohlcv.c.ts, *(ohlcv.c[f] for f in _VALUE_FIELDS)).where(
                ohlcv.c.series_id == sid
            )
            if lower is not None:
                stmt = stmt.where(ohlcv.c.ts >= lower)
            if end is not None:
                stmt = stmt.where(ohlcv.c.ts < end)
            with self.engine.connect() as conn:
                rows = conn.execute(stmt.order_by(ohlcv.c.ts).limit(chunk)).all()
            if not rows:
                return
            frame = _frame(rows)
            lower = int(frame["ts"].iloc[-1]) + 1
            frame["ts"] = iso_column(frame["ts"].to_numpy())
            yield frame.to_csv(index=False, header=False, lineterminator="\n")
            if len(rows) < chunk:
                return

    def ping(self) -> None:
        """Raise if the database cannot be reached."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))


_PG_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
_PG_ROW = [("n", ">i2"), ("l0", ">i4"), ("sid", ">i4"), ("l1", ">i4"), ("ts", ">i8")] + [
    (name, fmt) for f in FIELDS[1:] for name, fmt in ((f"l_{f}", ">i4"), (f, ">f8"))
]


def _pg_binary_copy(sid: int, b: CandleBatch, idx: np.ndarray) -> bytes:
    """Rows in PostgreSQL's binary COPY format, built by numpy without a Python loop.

    Each row: field count, then per field its byte length and big-endian value;
    a NULL volume is length -1 with no value, so rows with and without volume
    are packed as two fixed-width record arrays (COPY does not care about order).
    """
    vol = b.volume[idx]
    parts = [_PG_HEADER]
    for has_volume in (True, False):
        sel = idx[~np.isnan(vol)] if has_volume else idx[np.isnan(vol)]
        if len(sel) == 0:
            continue
        fields = _PG_ROW if has_volume else _PG_ROW[:-1]
        rec = np.empty(len(sel), dtype=np.dtype(fields))
        rec["n"], rec["l0"], rec["sid"], rec["l1"], rec["ts"] = 7, 4, sid, 8, b.ts[sel]
        for f in FIELDS[1:]:
            if f == "volume" and not has_volume:
                rec["l_volume"] = -1
                continue
            rec[f"l_{f}"], rec[f] = 8, getattr(b, f)[sel]
        parts.append(rec.tobytes())
    parts.append((-1).to_bytes(2, "big", signed=True))
    return b"".join(parts)


def _series_where(key: SeriesKey) -> Any:
    return (
        (series.c.exchange == key.exchange)
        & (series.c.symbol == key.symbol)
        & (series.c.timeframe == key.timeframe)
    )


def _frame(rows: Sequence[Any]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(FIELDS))
    frame["ts"] = frame["ts"].astype("int64")
    for f in _VALUE_FIELDS:
        frame[f] = frame[f].astype("float64")
    return frame


def _parse_cursor(cursor: str, order: Order) -> int:
    kind, _, value = cursor.partition(":")
    if kind != order or not value.lstrip("-").isdigit():
        raise ValidationError(
            f"{cursor!r} is not a cursor of an {order} listing; pass next_cursor as given",
            field="cursor",
        )
    return int(value)
