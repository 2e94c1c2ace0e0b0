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
    Column("ts", BigInteger, primary_key=True),  # bar open, epoch ms UTC
    Column("open", Float(53), nullable=False),
    Column("high", Float(53), nullable=False),
    Column("low", Float(53), nullable=False),
    Column("close", Float(53), nullable=False),
    Column("volume", Float(53), nullable=True),  # base-asset volume; NULL if unknown
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
    Column("source", String(64), nullable=False),  # feed name
    Column("published_ms", BigInteger, nullable=False),  # epoch ms UTC
    Column("received_ms", BigInteger, nullable=False),  # first seen by us, epoch ms UTC
    Index("ix_news_published", "published_ms", "id"),
    Index("ix_news_source_published", "source", "published_ms", "id"),
    Index("ix_news_title_hash", "title_hash", "published_ms"),
)

news_symbols = Table(
    "news_symbols",
    metadata,
    Column("news_id", Integer, ForeignKey("news.id", ondelete="CASCADE"), primary_key=True),
    Column("symbol", String(16), primary_key=True),  # base asset, e.g. BTC
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
    Column("created_ms", BigInteger, nullable=False),  # epoch ms UTC
)

# -- simulated broker (migration 0004) --------------------------------------------
# Paper-trading state, so a restarted simulator keeps its account. Amounts are
# exact decimal strings (Text), never floats: they are money in the ledger.
# An order's venue id is ``sim-<id>``; ``lock_price`` is what it reserves per
# unit of remaining quantity (quote for buys, 1 base unit for sells);
# ``last_bar_ts`` is the newest bar matched against it, so a bar is applied
# once even when pushed twice; ``triggered`` is 1 once a stop-limit rests as a limit.
sim_orders = Table(
    "sim_orders",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(64), nullable=False, unique=True),
    Column("symbol", String(64), nullable=False),
    Column("side", String(4), nullable=False),
    Column("type", String(16), nullable=False),
    Column("tif", String(4), nullable=False),
    Column("qty", Text, nullable=False),
    Column("price", Text, nullable=True),
    Column("stop_price", Text, nullable=True),
    Column("status", String(20), nullable=False),
    Column("filled_qty", Text, nullable=False),
    Column("filled_notional", Text, nullable=False),
    Column("fill_count", Integer, nullable=False),
    Column("lock_asset", String(16), nullable=False),
    Column("lock_price", Text, nullable=False),
    Column("triggered", Integer, nullable=False),
    Column("last_bar_ts", BigInteger, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("reason", Text, nullable=False),
    Index("ix_sim_orders_status_symbol", "status", "symbol", "id"),
)

sim_fills = Table(
    "sim_fills",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("trade_id", String(64), nullable=False, unique=True),
    Column("order_id", Integer, ForeignKey("sim_orders.id"), nullable=False),
    Column("client_id", String(64), nullable=False),
    Column("symbol", String(64), nullable=False),
    Column("side", String(4), nullable=False),
    Column("qty", Text, nullable=False),
    Column("price", Text, nullable=False),
    Column("fee", Text, nullable=False),
    Column("fee_asset", String(16), nullable=False),
    Column("ts_ms", BigInteger, nullable=False),
    Index("ix_sim_fills_ts", "ts_ms", "id"),
    Index("ix_sim_fills_symbol_ts", "symbol", "ts_ms", "id"),
)

sim_balances = Table(
    "sim_balances",
    metadata,
    Column("asset", String(16), primary_key=True),
    Column("free", Text, nullable=False),
    Column("locked", Text, nullable=False),
)
