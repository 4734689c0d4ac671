"""Billing: each tenant's Stripe connected account and the Stripe webhook inbox.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Expand only: new tables, nothing the previous release reads changes.
    op.create_table(
        "stripe_accounts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.String(length=255), nullable=False),
        sa.Column("charges_enabled", sa.Boolean(), nullable=False),
        sa.Column("payouts_enabled", sa.Boolean(), nullable=False),
        sa.Column("details_submitted", sa.Boolean(), nullable=False),
        sa.Column("capabilities", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("requirements_due", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("disabled_reason", sa.String(length=255), nullable=True),
        sa.Column("deauthorized_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["public.tenants.id"],
            name=op.f("fk_stripe_accounts_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_accounts")),
        sa.UniqueConstraint("account_id", name=op.f("uq_stripe_accounts_account_id")),
        sa.UniqueConstraint("tenant_id", name=op.f("uq_stripe_accounts_tenant_id")),
        schema="public",
    )
    op.create_table(
        "stripe_events",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("endpoint", sa.String(length=32), nullable=False),
        sa.Column("type", sa.String(length=255), nullable=False),
        sa.Column("account", sa.String(length=255), nullable=True),
        sa.Column("tenant_id", sa.Uuid(), nullable=True),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("endpoint IN ('platform', 'connect')", name=op.f("ck_stripe_events_endpoint")),
        sa.CheckConstraint(
            "status IN ('pending', 'processed', 'ignored', 'unroutable', 'failed')",
            name=op.f("ck_stripe_events_status"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["public.tenants.id"],
            name=op.f("fk_stripe_events_tenant_id_tenants"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_events")),
        schema="public",
    )
    op.create_index(op.f("ix_stripe_events_account"), "stripe_events", ["account"], unique=False, schema="public")
    op.create_index(op.f("ix_stripe_events_status"), "stripe_events", ["status"], unique=False, schema="public")
    op.create_index(op.f("ix_stripe_events_tenant_id"), "stripe_events", ["tenant_id"], unique=False, schema="public")


def downgrade() -> None:
    op.drop_index(op.f("ix_stripe_events_tenant_id"), table_name="stripe_events", schema="public")
    op.drop_index(op.f("ix_stripe_events_status"), table_name="stripe_events", schema="public")
    op.drop_index(op.f("ix_stripe_events_account"), table_name="stripe_events", schema="public")
    op.drop_table("stripe_events", schema="public")
    op.drop_table("stripe_accounts", schema="public")
