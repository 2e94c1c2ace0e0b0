"""Settings read once from ``AITRADER_*`` variables (and ``.env``), then passed down."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything configurable about one AI Trader installation.

    Examples
    --------
    >>> s = Settings(home="/tmp/aitrader-doc", _env_file=None)
    >>> s.database_url
    'sqlite:////tmp/aitrader-doc/aitrader.db'
    """

    model_config = SettingsConfigDict(
        env_prefix="AITRADER_", env_file=".env", extra="ignore", frozen=True
    )

    home: Path = Field(
        default=Path("var"), description="Folder for the SQLite file, runs, reports."
    )
    db_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default a SQLite file under home. "
        "PostgreSQL: postgresql+psycopg://user@host/db",
    )
    api_token: SecretStr | None = Field(default=None, description="Bearer token for mutations.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    broker: Literal["sim", "binance"] = Field(default="sim", description="order gateway")
    testnet: bool = Field(default=True, description="use the exchange's testnet (sandbox)")
    live_confirm: str | None = Field(
        default=None, description="must be 'I-understand' to trade on a live mainnet"
    )
    sim_start_balance: Decimal = Field(default=Decimal(10000), gt=0, description="paper USDT")
    binance_api_key: SecretStr | None = None
    binance_api_secret: SecretStr | None = None
    news_enabled: bool = Field(default=False, description="poll RSS feeds in the service")
    news_config: Path | None = Field(default=None, description="feeds YAML (default feeds)")
    sentiment_model: str | None = Field(
        default=None, description="'lexicon', a fitted-model folder or a local transformer folder"
    )
    sentiment_device: str = "cpu"
    sentiment_batch_size: int = Field(default=32, ge=1)
    sentiment_threads: int | None = Field(default=1, ge=1)
    live_enabled: bool = Field(
        default=True, description="the service trades the live config (paper by default)"
    )
    live_config: Path = Field(
        default=Path(__file__).resolve().parent.parent / "configs" / "live" / "paper.yaml",
        description="strategies and bar feed the service trades (YAML)",
    )
    sample_dir: Path = Field(
        default=Path(__file__).resolve().parent.parent / "data" / "sample",
        description="Bundled real candles loaded by the demo.",
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("db_url")
    @classmethod
    def _known_driver(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        if not value.startswith(("sqlite:", "postgresql+psycopg:")):
            raise ValueError("must start with sqlite:/// or postgresql+psycopg://")
        return value

    @property
    def database_url(self) -> str:
        """The store's URL: ``db_url`` or a SQLite file under ``home``."""
        if self.db_url:
            return self.db_url
        return f"sqlite:///{self.home.resolve() / 'aitrader.db'}"
