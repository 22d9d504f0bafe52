"""connlog store: signed interim checkpoints of a day not sealed yet (superseded by the day's seal).

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


def downgrade() -> None:
    op.drop_table("connlog_checkpoint")
