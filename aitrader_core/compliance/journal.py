"""The write-once compliance journal: every record chained to the previous by SHA-256.

``hash = sha256(prev_hash + canonical(record))``, where the canonical record is
sorted-key, compact JSON of (seq, ts_ms, kind, actor, payload). Records are
appended in their own committed transaction (SQLite: ``synchronous=FULL`` for
it), so a record is durable before the action it describes is taken. The code
has no update or delete path and the database refuses both (triggers).

``verify`` walks the chain and names the first broken link: an edited record
(hash mismatch), a deleted one (sequence gap or broken ``prev_hash``), an
inserted or reordered one (``prev_hash`` mismatch). Truncating the newest
records is only visible against a head hash kept elsewhere: pass it as
``expected_head`` (the JSONL export carries it in every line).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError

from aitrader_core.clock import Clock
from aitrader_core.compliance.tables import journal
from aitrader_core.errors import AITraderError

GENESIS = "0" * 64
KINDS = frozenset(
    {
        "intent",
        "decision",
        "order",
        "fill",
        "cancel",
        "reconciliation",
        "operator",
        "config",
        "risk",
        "drift",
        "system",
    }
)


class JournalError(AITraderError):
    """The journal could not record (nothing was written)."""


@dataclass(frozen=True)
class Record:
    """One journal line."""

    seq: int
    ts_ms: int
    kind: str
    actor: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str

    def to_json(self) -> str:
        """This record as one line of JSON (the export format)."""
        return json.dumps(
            {
                "seq": self.seq,
                "ts_ms": self.ts_ms,
                "kind": self.kind,
                "actor": self.actor,
                "payload": self.payload,
                "prev_hash": self.prev_hash,
                "hash": self.hash,
            },
            sort_keys=True,
            ensure_ascii=False,
            separators=(",", ":"),
        )


@dataclass(frozen=True)
class VerifyReport:
    """Outcome of a chain check: ``first_bad_seq`` and ``problem`` when broken."""

    ok: bool
    records: int
    head_hash: str
    first_bad_seq: int | None = None
    problem: str | None = None


def _default(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable in the journal")


def canonical_payload(payload: Mapping[str, Any]) -> str:
    """Sorted-key compact JSON; Decimals as exact strings.

    Examples
    --------
    >>> canonical_payload({"qty": Decimal("0.10"), "side": "buy"})
    '{"qty":"0.10","side":"buy"}'
    """
    return json.dumps(
        payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_default
    )


def chain_hash(prev_hash: str, seq: int, ts_ms: int, kind: str, actor: str, payload: str) -> str:
    """The hash that links a record to its predecessor (over the exact stored text).

    Examples
    --------
    >>> h = chain_hash(GENESIS, 1, 0, "system", "test", "{}")
    >>> len(h), h == chain_hash(GENESIS, 1, 0, "system", "test", '{"a":1}')
    (64, False)
    """
    body = json.dumps(
        {"seq": seq, "ts_ms": ts_ms, "kind": kind, "actor": actor, "payload": payload},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


class Journal:
    """Append, read, verify and export the hash-chained journal in the store's database."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock

    def append(self, kind: str, payload: Mapping[str, Any], *, actor: str = "system") -> Record:
        """Record durably and return the record; raises JournalError, never half-writes."""
        if kind not in KINDS:
            raise JournalError(f"unknown journal kind {kind!r}; one of {sorted(KINDS)}")
        text = canonical_payload(payload)
        for _attempt in range(5):  # another writer may take the same seq: retry on top of it
            try:
                return self._append_once(kind, actor, text)
            except IntegrityError:
                continue
        raise JournalError("journal busy: could not append after 5 attempts")

    def _append_once(self, kind: str, actor: str, text: str) -> Record:
        sqlite = self.engine.dialect.name == "sqlite"
        with self.engine.connect() as conn:
            if sqlite:  # fsync on commit for this record, whatever the store's default
                conn.exec_driver_sql("PRAGMA synchronous=FULL")
                conn.commit()
            try:
                with conn.begin():
                    if sqlite:  # take the write lock before reading the head: one appender
                        conn.exec_driver_sql("BEGIN IMMEDIATE")
                    else:  # one appender at a time across processes
                        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(774411)")
                    last = conn.execute(
                        select(journal.c.seq, journal.c.hash)
                        .order_by(journal.c.seq.desc())
                        .limit(1)
                    ).first()
                    seq = 1 if last is None else int(last.seq) + 1
                    prev = GENESIS if last is None else str(last.hash)
                    ts = self.clock.now_ms()
                    digest = chain_hash(prev, seq, ts, kind, actor, text)
                    conn.execute(
                        journal.insert().values(
                            seq=seq,
                            ts_ms=ts,
                            kind=kind,
                            actor=actor,
                            payload=text,
                            prev_hash=prev,
                            hash=digest,
                        )
                    )
            finally:
                if sqlite:
                    conn.rollback()
                    conn.exec_driver_sql("PRAGMA synchronous=NORMAL")
                    conn.commit()
        return Record(seq, ts, kind, actor, json.loads(text), prev, digest)

    def records(
        self,
        *,
        from_ms: int | None = None,
        to_ms: int | None = None,
        after_seq: int = 0,
        kinds: Iterable[str] | None = None,
        batch: int = 5000,
    ) -> Iterator[Record]:
        """Records in sequence order, read in batches by key."""
        kinds = list(kinds) if kinds is not None else None
        while True:
            stmt = select(journal).where(journal.c.seq > after_seq).order_by(journal.c.seq)
            if from_ms is not None:
                stmt = stmt.where(journal.c.ts_ms >= from_ms)
            if to_ms is not None:
                stmt = stmt.where(journal.c.ts_ms < to_ms)
            if kinds is not None:
                stmt = stmt.where(journal.c.kind.in_(kinds))
            with self.engine.connect() as conn:
                rows = conn.execute(stmt.limit(batch)).all()
            for r in rows:
                yield Record(
                    int(r.seq),
                    int(r.ts_ms),
                    r.kind,
                    r.actor,
                    json.loads(r.payload),
                    r.prev_hash,
                    r.hash,
                )
            if len(rows) < batch:
                return
            after_seq = int(rows[-1].seq)

    def head(self) -> tuple[int, str]:
        """(last sequence number, its hash); (0, GENESIS) when empty."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(journal.c.seq, journal.c.hash).order_by(journal.c.seq.desc()).limit(1)
            ).first()
        return (0, GENESIS) if row is None else (int(row.seq), str(row.hash))

    def count(self) -> int:
        """Number of records."""
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(journal)).scalar_one())

    def verify(self, *, expected_head: str | None = None) -> VerifyReport:
        """Check the whole chain as stored (see :func:`verify_records`)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(journal).order_by(journal.c.seq)).all()
        return verify_rows(
            (
                (int(r.seq), int(r.ts_ms), r.kind, r.actor, r.payload, r.prev_hash, r.hash)
                for r in rows
            ),
            expected_head=expected_head,
        )

    def export_jsonl(
        self, *, from_ms: int | None = None, to_ms: int | None = None
    ) -> Iterator[str]:
        """Records as JSON lines (with their hashes, so an export verifies on its own)."""
        for record in self.records(from_ms=from_ms, to_ms=to_ms):
            yield record.to_json() + "\n"


def verify_rows(
    rows: Iterable[tuple[int, int, str, str, str, str, str]], *, expected_head: str | None = None
) -> VerifyReport:
    """Verify (seq, ts_ms, kind, actor, payload_json, prev_hash, hash) rows in stored order."""
    prev, expected_seq, count = GENESIS, 1, 0
    for seq, ts_ms, kind, actor, payload, prev_hash, digest in rows:
        count += 1
        if seq != expected_seq:
            why = "missing record(s) before it" if seq > expected_seq else "out of order"
            return VerifyReport(
                False, count, prev, seq, f"sequence {seq} where {expected_seq} was expected: {why}"
            )
        if prev_hash != prev:
            return VerifyReport(
                False,
                count,
                prev,
                seq,
                "prev_hash does not match the previous "
                "record: a record was inserted, removed or reordered",
            )
        if chain_hash(prev_hash, seq, ts_ms, kind, actor, payload) != digest:
            return VerifyReport(
                False, count, prev, seq, "content does not match its hash: the record was edited"
            )
        prev, expected_seq = digest, seq + 1
    if expected_head is not None and prev != expected_head:
        return VerifyReport(
            False,
            count,
            prev,
            expected_seq,
            "the chain ends before the expected head: newest records were removed",
        )
    return VerifyReport(True, count, prev)


def verify_jsonl(lines: Iterable[str], *, expected_head: str | None = None) -> VerifyReport:
    """Verify a JSON-lines export (from the first record of the journal)."""

    def rows() -> Iterator[tuple[int, int, str, str, str, str, str]]:
        for line in lines:
            if line.strip():
                d = json.loads(line)
                yield (
                    d["seq"],
                    d["ts_ms"],
                    d["kind"],
                    d["actor"],
                    canonical_payload(d["payload"]),
                    d["prev_hash"],
                    d["hash"],
                )

    return verify_rows(rows(), expected_head=expected_head)
