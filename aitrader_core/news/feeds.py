"""Configuration of the news poller: the feeds to poll and the symbol aliases."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from aitrader_core.errors import ConfigError

#: Base assets and the names the press uses for them. The ticker itself always
#: matches too (upper case, or with a ``$`` in any case).
DEFAULT_ALIASES: dict[str, tuple[str, ...]] = {
    "BTC": ("Bitcoin",),
    "ETH": ("Ether", "Ethereum"),
    "SOL": ("Solana",),
    "XRP": ("Ripple",),
    "BNB": ("Binance Coin", "BNB Chain"),
    "ADA": ("Cardano",),
    "DOGE": ("Dogecoin",),
    "AVAX": ("Avalanche",),
    "DOT": ("Polkadot",),
    "LINK": ("Chainlink",),
    "LTC": ("Litecoin",),
    "TRX": ("Tron",),
    "TON": ("Toncoin",),
    "USDT": ("Tether",),
    "USDC": ("USD Coin",),
}

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class FeedConfig(BaseModel):
    """One RSS or Atom feed.

    Examples
    --------
    >>> FeedConfig(name="coindesk", url="https://www.coindesk.com/arc/outboundfeeds/rss").interval_s
    300.0
    """

    model_config = _FROZEN

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    url: str = Field(description="http(s) URL of the feed")
    interval_s: float = Field(default=300.0, gt=0, description="seconds between polls")
    timeout_s: float = Field(default=20.0, gt=0, description="limit for one request, body included")
    enabled: bool = True
    replay: Path | None = Field(
        default=None,
        description="a local capture of this feed served instead of the network (demo, tests)",
    )

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value


class NewsConfig(BaseModel):
    """The feeds, the aliases used to tag symbols, and the poller's retry policy.

    Examples
    --------
    >>> cfg = NewsConfig(feeds=[{"name": "sec", "url": "https://www.sec.gov/x"}])
    >>> cfg.feeds[0].name, cfg.aliases["BTC"]
    ('sec', ('Bitcoin',))
    """

    model_config = _FROZEN

    feeds: tuple[FeedConfig, ...] = ()
    aliases: Mapping[str, tuple[str, ...]] = Field(default_factory=lambda: dict(DEFAULT_ALIASES))
    max_retries: int = Field(default=2, ge=0, le=10, description="retries after a failed request")
    backoff_s: float = Field(default=1.0, ge=0, description="first retry delay; doubles each time")
    backoff_max_s: float = Field(default=30.0, ge=0)
    max_bytes: int = Field(default=10_000_000, gt=0, description="largest feed body accepted")
    title_window_s: float = Field(
        default=3 * 86_400.0,
        ge=0,
        description="items with the same normalised title published this close are one story",
    )
    user_agent: str = "aitrader/0.1 news poller"

    @field_validator("feeds")
    @classmethod
    def _unique_names(cls, feeds: tuple[FeedConfig, ...]) -> tuple[FeedConfig, ...]:
        names = [f.name for f in feeds]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"feed names must be unique; repeated: {', '.join(dup)}")
        return feeds

    @field_validator("aliases", mode="before")
    @classmethod
    def _upper_symbols(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {str(k).upper(): tuple(v) for k, v in value.items()}
        return value

    @classmethod
    def default(cls) -> NewsConfig:
        """The public feeds whose captures the project ships as test data."""
        return cls(feeds=DEFAULT_FEEDS)


DEFAULT_FEEDS: tuple[FeedConfig, ...] = (
    FeedConfig(name="coindesk", url="https://www.coindesk.com/arc/outboundfeeds/rss"),
    FeedConfig(name="cnbc-world", url="https://www.cnbc.com/id/100727362/device/rss/rss.html"),
    FeedConfig(
        name="nyt-business", url="https://rss.nytimes.com/services/xml/rss/nyt/Business.xml"
    ),
    FeedConfig(
        name="sec-8k",
        url="https://www.sec.gov/cgi-bin/browse-edgar?action=getcurrent&type=8-K&output=atom",
        interval_s=600.0,
    ),
)


def load_news_config(path: str | Path) -> NewsConfig:
    """Read a :class:`NewsConfig` from a YAML file (raises ConfigError naming the problem).

    The file holds ``feeds:`` (a list of FeedConfig fields) and optionally
    ``aliases:`` and the retry settings; an absent ``aliases`` keeps the defaults.
    A relative ``replay`` path is read relative to the file's folder.
    """
    file = Path(path)
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read news config {file}: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"news config {file} must be a mapping with a 'feeds' list")
    try:
        config = NewsConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"invalid news config {file}: {exc}") from exc
    feeds = tuple(
        f.model_copy(update={"replay": (file.parent / f.replay).resolve()})
        if f.replay is not None and not f.replay.is_absolute()
        else f
        for f in config.feeds
    )
    for f in feeds:
        if f.replay is not None and not f.replay.is_file():
            raise ConfigError(
                f"news config {file}: feed {f.name}: replay file {f.replay} not found"
            )
    return config.model_copy(update={"feeds": feeds})
