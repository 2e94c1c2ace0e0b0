"""Alembic migrations build exactly the tables the code declares, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import aitrader_core.compliance.tables  # noqa: F401 - registers the journal table
from aitrader_core.live import tables as live_tables  # noqa: F401 - registers the live tables
from aitrader_core.scheduler import tables as run_tables  # noqa: F401 - registers run records
from aitrader_core.store import make_engine, upgrade
from aitrader_core.store.schema import metadata


def test_every_table_matches_its_migration(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert diffs == []
