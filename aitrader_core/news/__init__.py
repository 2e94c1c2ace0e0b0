"""News: an async RSS/Atom poller, normalisation and dedupe, and the news table.

Examples
--------
>>> from aitrader_core.news import NewsConfig, canonical_link
>>> canonical_link("https://Example.com/a?utm_source=x#y")
'https://example.com/a'
"""

from aitrader_core.news.feeds import (
    DEFAULT_ALIASES,
    DEFAULT_FEEDS,
    FeedConfig,
    NewsConfig,
    load_news_config,
)
from aitrader_core.news.normalize import (
    NewsItem,
    SymbolTagger,
    canonical_link,
    normalize_entry,
    normalized_title,
    strip_html,
    title_hash,
)
from aitrader_core.news.poller import FeedStatus, NewsPoller, PollResult
from aitrader_core.news.replay import ReplayTransport, make_client
from aitrader_core.news.repository import AddResult, NewsPage, NewsRepository, StoredNews

__all__ = [
    "DEFAULT_ALIASES",
    "DEFAULT_FEEDS",
    "AddResult",
    "FeedConfig",
    "FeedStatus",
    "NewsConfig",
    "NewsItem",
    "NewsPage",
    "NewsPoller",
    "NewsRepository",
    "PollResult",
    "ReplayTransport",
    "StoredNews",
    "SymbolTagger",
    "canonical_link",
    "load_news_config",
    "make_client",
    "normalize_entry",
    "normalized_title",
    "strip_html",
    "title_hash",
]
