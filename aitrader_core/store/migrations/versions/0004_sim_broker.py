"""Simulated broker (paper trading): orders, fills and balances as exact decimal strings.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sim_orders",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("client_id", sa.String(64), nullable=False, unique=True),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("side", sa.String(4), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("tif", sa.String(4), nullable=False),
        sa.Column("qty", sa.Text, nullable=False),
        sa.Column("price", sa.Text, nullable=True),
        sa.Column("stop_price", sa.Text, nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("filled_qty", sa.Text, nullable=False),
        sa.Column("filled_notional", sa.Text, nullable=False),
        sa.Column("fill_count", sa.Integer, nullable=False),
        sa.Column("lock_asset", sa.String(16), nullable=False),
        sa.Column("lock_price", sa.Text, nullable=False),
        sa.Column("triggered", sa.Integer, nullable=False),
        sa.Column("last_bar_ts", sa.BigInteger, nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )
    op.create_index("ix_sim_orders_status_symbol", "sim_orders", ["status", "symbol", "id"])
    op.create_table(
        "sim_fills",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("trade_id", sa.String(64), nullable=False, unique=True),
        sa.Column("order_id", sa.Integer, sa.ForeignKey("sim_orders.id"), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("side", sa.String(4), nullable=False),
        sa.Column("qty", sa.Text, nullable=False),
        sa.Column("price", sa.Text, nullable=False),
        sa.Column("fee", sa.Text, nullable=False),
        sa.Column("fee_asset", sa.String(16), nullable=False),
        sa.Column("ts_ms", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_sim_fills_ts", "sim_fills", ["ts_ms", "id"])
    op.create_index("ix_sim_fills_symbol_ts", "sim_fills", ["symbol", "ts_ms", "id"])
    op.create_table(
        "sim_balances",
        sa.Column("asset", sa.String(16), primary_key=True),
        sa.Column("free", sa.Text, nullable=False),
        sa.Column("locked", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sim_fills")
    op.drop_table("sim_orders")
    op.drop_table("sim_balances")
