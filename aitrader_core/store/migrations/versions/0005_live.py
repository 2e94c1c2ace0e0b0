"""Live coordinator state: orders, fills, positions, controls, limits, day counters, cursors.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "live_orders",
        sa.Column("client_id", sa.String(64), primary_key=True),
        sa.Column("strategy", sa.String(64), nullable=False),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("side", sa.String(4), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("tif", sa.String(4), nullable=False),
        sa.Column("role", sa.String(8), nullable=False),
        sa.Column("parent_id", sa.String(64), nullable=True),
        sa.Column("qty", sa.Text, nullable=False),
        sa.Column("price", sa.Text, nullable=True),
        sa.Column("stop_price", sa.Text, nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("filled_qty", sa.Text, nullable=False),
        sa.Column("avg_price", sa.Text, nullable=True),
        sa.Column("venue_id", sa.String(64), nullable=True),
        sa.Column("bar_ts", sa.BigInteger, nullable=True),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("updated_ms", sa.BigInteger, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )
    op.create_index("ix_live_orders_status", "live_orders", ["status", "strategy"])
    op.create_index("ix_live_orders_strategy", "live_orders", ["strategy", "symbol", "created_ms"])
    op.create_index("ix_live_orders_parent", "live_orders", ["parent_id"])
    op.create_table(
        "live_fills",
        sa.Column("trade_id", sa.String(64), primary_key=True),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("strategy", sa.String(64), nullable=False),
        sa.Column("role", sa.String(8), nullable=False),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("side", sa.String(4), nullable=False),
        sa.Column("qty", sa.Text, nullable=False),
        sa.Column("price", sa.Text, nullable=False),
        sa.Column("fee", sa.Text, nullable=False),
        sa.Column("fee_asset", sa.String(16), nullable=False),
        sa.Column("ts_ms", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_live_fills_ts", "live_fills", ["ts_ms", "trade_id"])
    op.create_index("ix_live_fills_strategy_ts", "live_fills", ["strategy", "ts_ms"])
    op.create_index("ix_live_fills_client", "live_fills", ["client_id"])
    op.create_table(
        "live_positions",
        sa.Column("strategy", sa.String(64), primary_key=True),
        sa.Column("symbol", sa.String(64), primary_key=True),
        sa.Column("qty", sa.Text, nullable=False),
        sa.Column("avg_entry", sa.Text, nullable=False),
        sa.Column("realized_pnl", sa.Text, nullable=False),
        sa.Column("updated_ms", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "live_strategy_controls",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("max_risk_fraction", sa.Text, nullable=False),
        sa.Column("max_daily_trades", sa.Integer, nullable=False),
        sa.Column("updated_ms", sa.BigInteger, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
    )
    op.create_table(
        "live_risk_limits",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("limits", sa.Text, nullable=False),
        sa.Column("updated_ms", sa.BigInteger, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
    )
    op.create_table(
        "live_day_counters",
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("strategy", sa.String(64), primary_key=True),
        sa.Column("trades", sa.Integer, nullable=False),
        sa.Column("start_of_day_equity", sa.Text, nullable=True),
        sa.Column("peak_equity", sa.Text, nullable=True),
        sa.Column("updated_ms", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "live_cursors",
        sa.Column("name", sa.String(160), primary_key=True),
        sa.Column("ts_ms", sa.BigInteger, nullable=False),
        sa.Column("updated_ms", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "live_snapshots",
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("updated_ms", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "live_snapshots",
        "live_cursors",
        "live_day_counters",
        "live_risk_limits",
        "live_strategy_controls",
        "live_positions",
        "live_fills",
        "live_orders",
    ):
        op.drop_table(table)
