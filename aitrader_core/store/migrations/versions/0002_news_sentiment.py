"""News items, their symbols, and the sentiment cache.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "news",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("link_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("link", sa.Text, nullable=False),
        sa.Column("guid", sa.String(512), nullable=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("title_hash", sa.String(64), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("published_ms", sa.BigInteger, nullable=False),
        sa.Column("received_ms", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_news_published", "news", ["published_ms", "id"])
    op.create_index("ix_news_source_published", "news", ["source", "published_ms", "id"])
    op.create_index("ix_news_title_hash", "news", ["title_hash", "published_ms"])
    op.create_table(
        "news_symbols",
        sa.Column(
            "news_id",
            sa.Integer,
            sa.ForeignKey("news.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("symbol", sa.String(16), primary_key=True),
    )
    op.create_index("ix_news_symbols_symbol", "news_symbols", ["symbol", "news_id"])
    op.create_table(
        "sentiment_cache",
        sa.Column("model_id", sa.String(128), primary_key=True),
        sa.Column("text_sha256", sa.String(64), primary_key=True),
        sa.Column("label", sa.String(8), nullable=False),
        sa.Column("p_negative", sa.Float(53), nullable=False),
        sa.Column("p_neutral", sa.Float(53), nullable=False),
        sa.Column("p_positive", sa.Float(53), nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sentiment_cache")
    op.drop_index("ix_news_symbols_symbol", table_name="news_symbols")
    op.drop_table("news_symbols")
    op.drop_index("ix_news_title_hash", table_name="news")
    op.drop_index("ix_news_source_published", table_name="news")
    op.drop_index("ix_news_published", table_name="news")
    op.drop_table("news")
