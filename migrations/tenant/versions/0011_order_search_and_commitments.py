"""order search, stock commitments, refunded units not shipped

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 11:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Expand only: a defaulted column and its check (existing rows hold 0, which satisfies it), two indexes.
    # Refunded units that had not shipped are no longer owed: the fulfilment status and what is left to ship
    # count them (commerce.orders.models.OrderLine.to_fulfil).
    op.add_column(
        "order_lines",
        sa.Column("unshipped_refunded_quantity", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.create_check_constraint(
        op.f("ck_order_lines_unshipped_refunded_within_quantity"),
        "order_lines",
        "unshipped_refunded_quantity >= 0 AND fulfilled_quantity + unshipped_refunded_quantity <= quantity",
    )
    # The two indexes. The admin search matches an email prefix case-insensitively; the units an order
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
    op.drop_constraint(op.f("ck_order_lines_unshipped_refunded_within_quantity"), "order_lines", type_="check")
    op.drop_column("order_lines", "unshipped_refunded_quantity")
