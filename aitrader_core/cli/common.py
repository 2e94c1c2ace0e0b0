"""What every ``aitrader`` sub-command shares: the app built from the environment."""

from __future__ import annotations

import logging

from aitrader_core.app import App
from aitrader_core.settings import Settings


def app_from_env() -> App:
    """The app from ``AITRADER_*`` settings, logging configured and the schema migrated."""
    settings = Settings()
    logging.basicConfig(level=settings.log_level, format="%(levelname)s %(name)s: %(message)s")
    for chatty in ("alembic", "distributed", "numba", "asyncio", "httpx"):  # INFO is noise here
        logging.getLogger(chatty).setLevel(
            max(logging.WARNING, logging.getLevelName(settings.log_level))
        )
    app = App.from_settings(settings)
    app.upgrade_db()
    return app
