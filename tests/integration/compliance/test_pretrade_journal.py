"""Pre-trade decisions land in the real hash-chained journal, denials with their reasons."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from aitrader_core.clock import ReplayClock
from aitrader_core.compliance import Journal
from aitrader_core.compliance.pretrade import (
    MarketContext,
    PretradeCheck,
    PretradeConfig,
    journal_decision,
)
from aitrader_core.domain.orders import Side
from aitrader_core.risk.guard import Proposal
from aitrader_core.store import make_engine, upgrade

D = Decimal
MONDAY_NOON = 1_704_110_400_000


@pytest.fixture
def journal(db_url: str) -> Iterator[Journal]:
    engine = make_engine(db_url)
    upgrade(engine)
    yield Journal(engine, ReplayClock(MONDAY_NOON))
    engine.dispose()


def test_every_decision_is_journaled_with_exact_amounts(journal: Journal) -> None:
    check = PretradeCheck(
        PretradeConfig(restricted_symbols=["DOGE/USDT"], max_order_notional=D(1000))
    )
    ctx = MarketContext(D("61000.5"), D(12), MONDAY_NOON)
    proposals = [
        Proposal("ema", "BTC/USDT", Side.BUY, D("0.010"), D("61000.5"), D("60000.10")),
        Proposal("ema", "DOGE/USDT", Side.BUY, D(100), D("0.08")),
        Proposal("ema", "BTC/USDT", Side.SELL, D("0.5"), D("61000.5"), D("62000")),
    ]
    for p in proposals:
        journal_decision(journal, p, check.check(p, ctx))

    records = list(journal.records(kinds=["decision"]))
    assert [(r.payload["allowed"], r.payload["rule"]) for r in records] == [
        (True, "ok"),
        (False, "restricted_symbol"),
        (False, "max_order_notional"),
    ]
    first = records[0]
    assert first.actor == "pretrade"
    assert first.payload["proposal"] == {
        "strategy": "ema",
        "symbol": "BTC/USDT",
        "side": "buy",
        "qty": "0.010",
        "price": "61000.5",
        "stop_price": "60000.10",
    }
    assert records[1].payload["proposal"]["stop_price"] is None
    assert records[2].payload["reason"] == "order notional 30500.25 exceeds the limit 1000"
    assert journal.verify().ok


def test_source_names_the_actor(journal: Journal) -> None:
    p = Proposal("s", "ETH/USDT", Side.BUY, D(1), D(2000))
    decision = PretradeCheck(PretradeConfig(price_band=D("0.01"))).check(
        p, MarketContext(None, None, MONDAY_NOON)
    )
    record = journal_decision(journal, p, decision, source="risk+pretrade")
    assert (record.kind, record.actor, record.payload["source"]) == (
        "decision",
        "risk+pretrade",
        "risk+pretrade",
    )
    assert record.payload["reason"] == "no last trade price to check the price band"
    assert journal.count() == 1
