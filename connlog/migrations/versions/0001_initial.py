"""connlog store: records (partitioned by day on PostgreSQL), identity, journal, seals, state, purges.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "connlog_record",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("received_at", sa.Float(), nullable=False),
        sa.Column("event_time", sa.Float(), nullable=False),
        sa.Column("site", sa.String(length=255), nullable=True),
        sa.Column("session_id", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=True),
        sa.Column("client_mac", sa.String(length=17), nullable=True),
        sa.Column("private_ip", sa.String(length=45), nullable=True),
        sa.Column("private_port", sa.Integer(), nullable=True),
        sa.Column("public_ip", sa.String(length=45), nullable=True),
        sa.Column("public_port_start", sa.Integer(), nullable=True),
        sa.Column("public_port_end", sa.Integer(), nullable=True),
        sa.Column("ap", sa.String(length=255), nullable=True),
        sa.Column("ssid", sa.String(length=64), nullable=True),
        sa.Column("start", sa.Float(), nullable=True),
        sa.Column("stop", sa.Float(), nullable=True),
        sa.Column("duration", sa.Float(), nullable=True),
        sa.Column("input_octets", sa.BigInteger(), nullable=True),
        sa.Column("output_octets", sa.BigInteger(), nullable=True),
        sa.Column("terminate_cause", sa.String(length=64), nullable=True),
        sa.Column("lease_seconds", sa.BigInteger(), nullable=True),
        sa.Column("prev_hash", sa.LargeBinary(), nullable=False),
        sa.Column("chain_hash", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("seq", "day"),
        postgresql_partition_by="RANGE (day)",
    )
    op.create_index("ix_connlog_record_day", "connlog_record", ["day", "seq"])
    op.create_index("ix_connlog_record_nat", "connlog_record", ["public_ip", "public_port_start", "event_time"])
    op.create_index("ix_connlog_record_private_ip", "connlog_record", ["private_ip", "event_time"])
    op.create_index("ix_connlog_record_mac", "connlog_record", ["client_mac", "event_time"])
    op.create_index("ix_connlog_record_session", "connlog_record", ["session_id"])
    op.create_index("ix_connlog_record_site", "connlog_record", ["site", "event_time"])
    op.create_index("ix_connlog_record_ap", "connlog_record", ["ap", "event_time"])

    op.create_table(
        "connlog_identity",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("user_name", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_index("ix_connlog_identity_user", "connlog_identity", ["user_name"])
    op.create_index("ix_connlog_identity_day", "connlog_identity", ["day"])

    op.create_table(
        "connlog_journal",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("operator", sa.String(length=255), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("requisition", sa.String(length=255), nullable=True),
        sa.Column("criteria", sa.Text(), nullable=False),
        sa.Column("result_count", sa.BigInteger(), nullable=False),
        sa.Column("prev_hash", sa.LargeBinary(), nullable=False),
        sa.Column("chain_hash", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_index("ix_connlog_journal_day", "connlog_journal", ["day"])

    op.create_table(
        "connlog_seal",
        sa.Column("stream", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("sealed_at", sa.Float(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("stream", "day"),
    )
    op.create_table(
        "connlog_state",
        sa.Column("stream", sa.String(length=16), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.LargeBinary(), nullable=False),
        sa.Column("head_day", sa.Date(), nullable=True),
        sa.Column("sealed_through", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("stream"),
    )
    op.create_table(
        "connlog_purge",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("before_day", sa.Date(), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("anchor_seq", sa.BigInteger(), nullable=True),
        sa.Column("anchor_hash", sa.LargeBinary(), nullable=True),
        sa.Column("dropped_partitions", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    for table in ("connlog_purge", "connlog_state", "connlog_seal", "connlog_journal", "connlog_identity",
                  "connlog_record"):
        op.drop_table(table)
