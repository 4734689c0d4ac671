"""The job outbox: queued jobs are written in the transaction that queues them, and relayed to the broker.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Expand only: a new table. The previous release never reads it; its jobs went straight to the broker.
    op.create_table(
        "job_outbox",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("kwargs", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=True),
        sa.Column("countdown", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_outbox")),
        schema="public",
    )
    op.create_index(
        "ix_job_outbox_due",
        "job_outbox",
        ["next_attempt_at"],
        unique=False,
        schema="public",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_job_outbox_deferred_tenant",
        "job_outbox",
        ["tenant_id"],
        unique=False,
        schema="public",
        postgresql_where=sa.text("status = 'deferred'"),
    )
    op.create_index(
        "ix_job_outbox_delivered_at",
        "job_outbox",
        ["delivered_at"],
        unique=False,
        schema="public",
        postgresql_where=sa.text("status = 'delivered'"),
    )


def downgrade() -> None:
    op.drop_table("job_outbox", schema="public")
