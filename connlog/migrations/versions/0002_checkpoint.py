"""connlog store: signed interim checkpoints of a day not sealed yet (superseded by the day's seal);
per day of arrival, the earliest event time it holds (the search's bounded path to late records).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "connlog_checkpoint",
        sa.Column("stream", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("count", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("made_at", sa.Float(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("stream", "day", "count"),
    )
    op.create_table(
        "connlog_day_bound",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("min_event_time", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )
    if op.get_bind().dialect.name == "postgresql":  # kept by Store.append from now on; filled for the past
        op.execute("INSERT INTO connlog_day_bound (day, min_event_time) "
                   "SELECT day, min(event_time) FROM connlog_record GROUP BY day")


def downgrade() -> None:
    op.drop_table("connlog_day_bound")
    op.drop_table("connlog_checkpoint")
