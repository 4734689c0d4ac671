"""Tenant usage columns, refreshed by the periodic tenants.collect_usage job.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Expand only: nullable columns, so running code of the previous release is unaffected.
    op.add_column("tenants", sa.Column("active_staff_count", sa.Integer(), nullable=True), schema="public")
    op.add_column(
        "tenants", sa.Column("usage_collected_at", sa.DateTime(timezone=True), nullable=True), schema="public"
    )


def downgrade() -> None:
    op.drop_column("tenants", "usage_collected_at", schema="public")
    op.drop_column("tenants", "active_staff_count", schema="public")
