"""The journal table (created by migration 0003; write-once by database triggers)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, String, Table, Text

from aitrader_core.store.schema import metadata

journal = Table(
    "journal",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("ts_ms", BigInteger, nullable=False),  # epoch ms UTC when recorded
    Column("kind", String(32), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("payload", Text, nullable=False),  # canonical JSON
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False, unique=True),
)
