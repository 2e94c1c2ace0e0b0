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
    Integer,
    MetaData,
    String,
    Table,
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
