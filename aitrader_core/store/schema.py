"""Tables of the store (SQLAlchemy Core). Alembic migrations create them.

Candles are keyed by (exchange, symbol, timeframe, ts). The three text parts
live once in ``series`` and candles carry its integer id, so the candle key
is two integers: a smaller index and faster upserts than repeating the text
on every one of millions of rows.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

series = Table(
    "series",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("exchange", String(32), nullable=False),
    Column("symbol", String(64), nullable=False),
    Column("timeframe", String(4), nullable=False),
    UniqueConstraint("exchange", "symbol", "timeframe", name="uq_series_key"),
)

ohlcv = Table(
    "ohlcv",
    metadata,
    Column("series_id", Integer, ForeignKey("series.id"), primary_key=True),
    Column("ts", BigInteger, primary_key=True, comment="bar open, epoch ms UTC"),
    Column("open", Float(53), nullable=False),
    Column("high", Float(53), nullable=False),
    Column("low", Float(53), nullable=False),
    Column("close", Float(53), nullable=False),
    Column("volume", Float(53), nullable=True, comment="base-asset volume; NULL if unknown"),
    sqlite_with_rowid=False,
)

# -- news and sentiment (migration 0002) ------------------------------------------
# A news item's identity is the SHA-256 of its canonical link (links can be
# longer than an index allows); the title hash finds one story in several feeds.
news = Table(
    "news",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("link_hash", String(64), nullable=False, unique=True),
    Column("link", Text, nullable=False),
    Column("guid", String(512), nullable=True),
    Column("title", Text, nullable=False),
    Column("title_hash", String(64), nullable=False),
    Column("summary", Text, nullable=False),
    Column("source", String(64), nullable=False, comment="feed name"),
    Column("published_ms", BigInteger, nullable=False, comment="epoch ms UTC"),
    Column("received_ms", BigInteger, nullable=False, comment="first seen by us, epoch ms UTC"),
    Index("ix_news_published", "published_ms", "id"),
    Index("ix_news_source_published", "source", "published_ms", "id"),
    Index("ix_news_title_hash", "title_hash", "published_ms"),
)

news_symbols = Table(
    "news_symbols",
    metadata,
    Column("news_id", Integer, ForeignKey("news.id", ondelete="CASCADE"), primary_key=True),
    Column("symbol", String(16), primary_key=True, comment="base asset, e.g. BTC"),
    Index("ix_news_symbols_symbol", "symbol", "news_id"),
)

sentiment_cache = Table(
    "sentiment_cache",
    metadata,
    Column("model_id", String(128), primary_key=True),
    Column("text_sha256", String(64), primary_key=True),
    Column("label", String(8), nullable=False),
    Column("p_negative", Float(53), nullable=False),
    Column("p_neutral", Float(53), nullable=False),
    Column("p_positive", Float(53), nullable=False),
    Column("created_ms", BigInteger, nullable=False, comment="epoch ms UTC"),
)
