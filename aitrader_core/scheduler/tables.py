"""The run records of scheduled notebooks (created by migration 0006).

One row per run: which notebook, who started it (``schedule`` or ``manual``),
its status (``running`` until it ends, then ``ok`` or ``failed``), when it
started and ended, its parameters and artefacts as JSON text, the executed
notebook's path and, for a failed run, the error's first line. The executed
notebook itself (every output, the failing cell) stays on disk: the row is the
index, the notebook the record.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Float, Index, Integer, String, Table, Text

from aitrader_core.store.schema import metadata

scheduled_runs = Table(
    "scheduled_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("notebook", String(64), nullable=False),
    Column("trigger", String(16), nullable=False),  # schedule | manual
    Column("status", String(16), nullable=False),  # running | ok | failed
    Column("started_ms", BigInteger, nullable=False),  # epoch ms UTC
    Column("finished_ms", BigInteger, nullable=True),
    Column("duration_s", Float(53), nullable=True),
    Column("parameters", Text, nullable=False),  # JSON object, as injected
    Column("output", Text, nullable=False),  # the executed notebook's path
    Column("artefacts", Text, nullable=False),  # JSON list, relative to the run folder
    Column("error", Text, nullable=True),
    Index("ix_scheduled_runs_started", "started_ms"),
    Index("ix_scheduled_runs_notebook", "notebook", "started_ms"),
)
