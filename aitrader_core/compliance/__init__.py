"""Compliance: the write-once, hash-chained journal (and pre-trade checks)."""

from aitrader_core.compliance.journal import (
    GENESIS,
    KINDS,
    Journal,
    JournalError,
    Record,
    VerifyReport,
    canonical_payload,
    verify_jsonl,
    verify_rows,
)

__all__ = [
    "GENESIS",
    "KINDS",
    "Journal",
    "JournalError",
    "Record",
    "VerifyReport",
    "canonical_payload",
    "verify_jsonl",
    "verify_rows",
]
