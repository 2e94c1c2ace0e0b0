"""The news poller's state survives a restart: statuses and ETags come back from the store."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aitrader_core.app import App
from aitrader_core.app.news import PollSummary
from aitrader_core.settings import Settings
from tests.conftest import ROOT


def test_a_restarted_poller_keeps_its_etags_and_status(db_url: str, tmp_path: Path) -> None:
    settings = Settings(
        home=tmp_path, db_url=db_url, news_config=ROOT / "configs/news/demo.yaml", _env_file=None
    )
    first = App.from_settings(settings)
    first.upgrade_db()
    summary = asyncio.run(_poll(first))
    assert {r.outcome for r in summary.results} == {"ok"}
    first.close()

    second = App.from_settings(settings)  # a new process, in effect
    restored = second.news.poller().status()
    assert all(s.polls == 1 and s.last_outcome == "ok" for s in restored.values())
    again = asyncio.run(_poll(second))
    assert {r.outcome for r in again.results} == {"not_modified"}  # the ETags were kept
    assert all(s.polls == 2 for s in second.news.poller().status().values())
    second.close()


async def _poll(app: App) -> PollSummary:
    try:
        return await app.news.poll_once()
    finally:
        await app.news.stop()
