"""one owner per shop

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 14:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A unique index over a constant, restricted to owners: a second owner row violates it. Ownership
    # transfers demote the old owner before promoting the new one, in one transaction.
    op.create_index(
        "uq_staff_members_one_owner",
        "staff_members",
        [sa.text("(true)")],
        unique=True,
        postgresql_where=sa.text("role = 'owner'"),
    )


def downgrade() -> None:
    op.drop_index("uq_staff_members_one_owner", table_name="staff_members")
