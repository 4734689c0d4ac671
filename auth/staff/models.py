from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, DateTime, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import TenantBase, created_at_column, str_enum, updated_at_column
from core.ids import new_id


class StaffRole(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    STAFF = "staff"
    READ_ONLY = "read_only"


class StaffMember(TenantBase):
    """A member of the merchant's team. One table per tenant schema."""

    __tablename__ = "staff_members"
    __table_args__ = (
        CheckConstraint("email = lower(email)", "email_lowercase"),
        CheckConstraint("role IN ('owner', 'admin', 'staff', 'read_only')", "role"),
        # Exactly one owner: the database refuses a second one even if two transfers race (migration 0004).
        Index("uq_staff_members_one_owner", text("(true)"), unique=True, postgresql_where=text("role = 'owner'")),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[StaffRole] = mapped_column(str_enum(StaffRole))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set while an invitation is pending: the member has no password until they accept it.
    invited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def invitation_pending(self) -> bool:
        """Invited and not yet accepted: no password, cannot sign in."""
        return self.invited_at is not None
