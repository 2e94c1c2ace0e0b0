"""The broker conformance suite against SimulatedBroker on a real store.

The same :data:`~aitrader_core.testing.broker_checks.CHECKS` the Binance gateway
passes, on SQLite and (when configured) PostgreSQL through the ``db_url``
fixture; ``connect()`` builds a new broker on the same database, so every
restart check reads the account back from the store.
"""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from aitrader_core.brokers import BrokerGateway
from aitrader_core.store import make_engine, upgrade
from aitrader_core.store.schema import metadata
from aitrader_core.testing.broker_checks import CHECKS, Check, Harness, run_conformance

from .sim_venue import SimVenue


@pytest.mark.parametrize("check", CHECKS, ids=str)
def test_conformance(check: Check, db_url: str) -> None:
    venue = SimVenue(db_url)
    gateway = venue.connect()
    assert isinstance(gateway, BrokerGateway)
    assert (gateway.name, gateway.testnet) == ("sim", True)
    check(venue.harness())
    venue.engine.dispose()


def test_run_conformance_passes_every_check(tmp_path_factory: pytest.TempPathFactory) -> None:
    def make_harness() -> Harness:
        url = f"sqlite:///{tmp_path_factory.mktemp('conf') / 'store.db'}"
        return SimVenue(url).harness()

    passed = run_conformance(make_harness)
    assert passed == [c.name for c in CHECKS]


def test_migration_creates_exactly_the_sim_tables_of_the_schema(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    mine = [d for d in diffs if "sim_" in repr(d)]
    assert mine == []
