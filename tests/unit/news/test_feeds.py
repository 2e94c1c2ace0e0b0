"""News configuration: validation, defaults, YAML loading."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

import aitrader_core.news as news
from aitrader_core.errors import ConfigError
from aitrader_core.news import DEFAULT_FEEDS, FeedConfig, NewsConfig, load_news_config


def test_feed_config_rejects_bad_values() -> None:
    with pytest.raises(ValidationError, match="http"):
        FeedConfig(name="x", url="ftp://x.org/feed")
    with pytest.raises(ValidationError, match="greater than 0"):
        FeedConfig(name="x", url="https://x.org", interval_s=0)
    with pytest.raises(ValidationError, match="Extra inputs"):
        FeedConfig(name="x", url="https://x.org", intervall_s=5)  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="unique"):
        NewsConfig(feeds=[FeedConfig(name="a", url="https://x.org")] * 2)


def test_default_aliases_and_feeds() -> None:
    cfg = NewsConfig.default()
    assert cfg.feeds == DEFAULT_FEEDS
    assert all(f.enabled for f in cfg.feeds)
    assert cfg.aliases["ETH"] == ("Ether", "Ethereum")
    assert cfg.aliases["XRP"] == ("Ripple",)
    assert NewsConfig(aliases={"btc": ["Bitcoin"]}).aliases == {"BTC": ("Bitcoin",)}


def test_load_yaml(tmp_path: Path) -> None:
    path = tmp_path / "news.yaml"
    path.write_text(
        "feeds:\n  - {name: coindesk, url: 'https://www.coindesk.com/arc/outboundfeeds/rss',"
        " interval_s: 60}\nmax_retries: 1\n"
    )
    cfg = load_news_config(path)
    assert cfg.feeds[0].interval_s == 60
    assert cfg.max_retries == 1
    assert "BTC" in cfg.aliases
    path.write_text("feeds:\n  - {name: bad, url: nope}\n")
    with pytest.raises(ConfigError, match="invalid news config"):
        load_news_config(path)
    with pytest.raises(ConfigError, match="cannot read"):
        load_news_config(tmp_path / "missing.yaml")


def test_public_surface_is_pinned() -> None:
    assert set(news.__all__) == {
        "DEFAULT_ALIASES", "DEFAULT_FEEDS", "AddResult", "FeedConfig", "FeedStatus",
        "NewsConfig", "NewsItem", "NewsPage", "NewsPoller", "NewsRepository", "PollResult",
        "StoredNews", "SymbolTagger", "canonical_link", "load_news_config", "normalize_entry",
        "normalized_title", "strip_html", "title_hash", "ReplayTransport", "make_client",
    }  # fmt: skip
    assert all(getattr(news, n) is not None for n in news.__all__)
