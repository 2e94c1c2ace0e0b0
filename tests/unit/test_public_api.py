"""The public surface of aitrader_core is what __all__ says, and it imports cleanly."""

from __future__ import annotations

import aitrader_core

PINNED = {
    "AITraderError",
    "App",
    "BatchRejected",
    "CandleStore",
    "Clock",
    "ConfigError",
    "ExchangeError",
    "FormatError",
    "IngestReport",
    "NotFoundError",
    "ReplayClock",
    "SeriesKey",
    "Settings",
    "SystemClock",
    "UpsertResult",
    "ValidationError",
    "__version__",
}


def test_all_is_pinned() -> None:
    assert set(aitrader_core.__all__) == PINNED


def test_every_public_name_resolves() -> None:
    for name in aitrader_core.__all__:
        assert getattr(aitrader_core, name) is not None


def test_settings_defaults_to_sqlite_under_home(tmp_path) -> None:
    settings = aitrader_core.Settings(home=tmp_path, _env_file=None)
    assert settings.database_url == f"sqlite:///{tmp_path.resolve() / 'aitrader.db'}"
    pg = aitrader_core.Settings(db_url="postgresql://u@h/db", _env_file=None)
    assert pg.database_url == "postgresql+psycopg://u@h/db"
