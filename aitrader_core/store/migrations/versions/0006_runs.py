"""Run records of the scheduled papermill notebooks.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheduled_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("notebook", sa.String(64), nullable=False),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_ms", sa.BigInteger, nullable=False),
        sa.Column("finished_ms", sa.BigInteger, nullable=True),
        sa.Column("duration_s", sa.Float(53), nullable=True),
        sa.Column("parameters", sa.Text, nullable=False),
        sa.Column("output", sa.Text, nullable=False),
        sa.Column("artefacts", sa.Text, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
    )
    op.create_index("ix_scheduled_runs_started", "scheduled_runs", ["started_ms"])
    op.create_index("ix_scheduled_runs_notebook", "scheduled_runs", ["notebook", "started_ms"])


def downgrade() -> None:
    op.drop_table("scheduled_runs")
