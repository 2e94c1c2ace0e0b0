"""The hash-chained journal on real SQLite and PostgreSQL: durable, write-once, verifiable."""

from __future__ import annotations

import random
import threading
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from aitrader_core.clock import ReplayClock
from aitrader_core.compliance import Journal, JournalError, verify_jsonl, verify_rows
from aitrader_core.store import make_engine, upgrade


@pytest.fixture
def journal(db_url: str) -> Journal:
    engine = make_engine(db_url)
    upgrade(engine)
    yield Journal(engine, ReplayClock(1_700_000_000_000))
    engine.dispose()


def _fill(journal: Journal, n: int = 12) -> None:
    for i in range(n):
        journal.clock.advance(1000)  # type: ignore[attr-defined]
        journal.append(
            "order" if i % 2 else "intent",
            {"client_id": f"c{i}", "qty": Decimal("0.001") * (i + 1), "side": "buy"},
            actor="coordinator",
        )


def test_records_chain_and_verify(journal: Journal) -> None:
    _fill(journal)
    report = journal.verify()
    assert report.ok
    assert report.records == journal.count() == 12
    assert report.head_hash == journal.head()[1]
    first = next(journal.records())
    assert first.payload == {"client_id": "c0", "qty": "0.001", "side": "buy"}
    assert first.prev_hash == "0" * 64


def test_database_refuses_update_and_delete(journal: Journal) -> None:
    _fill(journal, 3)
    for statement in (
        "UPDATE journal SET actor = 'mallory' WHERE seq = 2",
        "DELETE FROM journal WHERE seq = 3",
    ):
        with pytest.raises(DBAPIError, match="write-once"), journal.engine.begin() as conn:
            conn.execute(text(statement))
    assert journal.verify().ok
    assert journal.count() == 3


def _drop_guards(journal: Journal) -> None:
    """What an attacker with database rights would do first."""
    with journal.engine.begin() as conn:
        if journal.engine.dialect.name == "postgresql":
            conn.execute(text("DROP TRIGGER journal_no_update_delete ON journal"))
        else:
            conn.execute(text("DROP TRIGGER journal_no_update"))
            conn.execute(text("DROP TRIGGER journal_no_delete"))


@pytest.mark.parametrize(
    ("tamper", "bad_seq"),
    [
        ("UPDATE journal SET payload = replace(payload, 'c4', 'c9') WHERE seq = 5", 5),
        ("DELETE FROM journal WHERE seq = 7", 8),
        ("UPDATE journal SET seq = seq + 100 WHERE seq = 4", 5),
    ],
    ids=["edit", "delete", "reorder"],
)
def test_tampering_in_the_database_is_found(journal: Journal, tamper: str, bad_seq: int) -> None:
    _fill(journal)
    _drop_guards(journal)
    with journal.engine.begin() as conn:
        conn.execute(text(tamper))
    report = journal.verify()
    assert not report.ok
    assert report.first_bad_seq == bad_seq


def test_forged_insert_is_found(journal: Journal) -> None:
    _fill(journal, 6)
    rows = list(journal.records())
    forged = rows[2]
    with journal.engine.begin() as conn:  # a forged record appended without the chain's secret
        conn.execute(
            text(
                "INSERT INTO journal (seq, ts_ms, kind, actor, payload, prev_hash, hash) "
                "VALUES (:s, :t, 'fill', 'mallory', '{}', :p, :h)"
            ),
            {"s": 7, "t": forged.ts_ms, "p": rows[-1].hash, "h": "f" * 64},
        )
    report = journal.verify()
    assert not report.ok
    assert report.first_bad_seq == 7


def test_export_verifies_and_truncation_shows_against_the_head(journal: Journal) -> None:
    _fill(journal)
    lines = list(journal.export_jsonl())
    head = journal.head()[1]
    assert verify_jsonl(lines, expected_head=head).ok
    truncated = verify_jsonl(lines[:-2], expected_head=head)
    assert not truncated.ok
    assert truncated.first_bad_seq == 11


def test_concurrent_appenders_keep_one_chain(journal: Journal) -> None:
    def work(tag: str) -> None:
        for i in range(15):
            journal.append("system", {"writer": tag, "i": i})

    threads = [threading.Thread(target=work, args=(t,)) for t in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report = journal.verify()
    assert report.ok
    assert report.records == 30


def test_unknown_kind_and_unserialisable_payload_write_nothing(journal: Journal) -> None:
    with pytest.raises(JournalError):
        journal.append("gossip", {})
    with pytest.raises(TypeError):
        journal.append("system", {"x": object()})
    assert journal.count() == 0


# -- property: any single tampering of a stored chain is found --------------------------------
def _chain(n: int) -> list[tuple]:
    from aitrader_core.compliance.journal import GENESIS, canonical_payload, chain_hash

    rows, prev = [], GENESIS
    for seq in range(1, n + 1):
        payload = canonical_payload({"n": seq, "qty": str(Decimal(seq) / 7)})
        digest = chain_hash(prev, seq, 1000 * seq, "order", "x", payload)
        rows.append((seq, 1000 * seq, "order", "x", payload, prev, digest))
        prev = digest
    return rows


@settings(max_examples=300, deadline=None)
@given(
    st.integers(3, 40),
    st.sampled_from(["edit", "delete", "insert", "swap", "kind"]),
    st.integers(0, 10**6),
)
def test_any_tampering_is_detected(n: int, how: str, seed: int) -> None:
    rows = _chain(n)
    rng = random.Random(seed)
    i = rng.randrange(n - 1)  # never only the tail: that needs the head anchor (tested above)
    if how == "edit":
        seq, ts, kind, actor, payload, prev, h = rows[i]
        rows[i] = (seq, ts, kind, actor, payload.replace('"n":', '"n": '), prev, h)
    elif how == "kind":
        rows[i] = (*rows[i][:2], "fill", *rows[i][3:])
    elif how == "delete":
        del rows[i]
    elif how == "insert":
        rows.insert(i, rows[rng.randrange(n)])
    else:
        rows[i], rows[i + 1] = rows[i + 1], rows[i]
    report = verify_rows(rows, expected_head=_chain(n)[-1][-1])
    assert not report.ok
    assert report.first_bad_seq is not None
