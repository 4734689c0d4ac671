"""order search and stock commitments

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-06 11:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Expand only: two indexes. The admin search matches an email prefix case-insensitively; the units an order
    # still holds are summed from its ledger rows, found by reference (commerce.inventory.commitments).
    op.create_index(
        "ix_orders_lower_email",
        "orders",
        [sa.func.lower(sa.column("email")).label("lower_email")],
        unique=False,
        postgresql_ops={"lower_email": "text_pattern_ops"},
    )
    op.create_index(
        op.f("ix_inventory_adjustments_reference"),
        "inventory_adjustments",
        ["reference"],
        unique=False,
        postgresql_where=sa.text("reference IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_inventory_adjustments_reference"), table_name="inventory_adjustments")
    op.drop_index("ix_orders_lower_email", table_name="orders")
