from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, Index, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column

from core.db import TenantBase, created_at_column, str_enum
from core.ids import new_id


class Purpose(StrEnum):
    STAFF_INVITATION = "staff_invitation"
    PASSWORD_RESET = "password_reset"  # noqa: S105 # pragma: allowlist secret - a purpose, not a password


class ActionToken(TenantBase):
    """A single-use token mailed to someone (invitation, password reset). Only its keyed hash is stored."""

    __tablename__ = "action_tokens"
    __table_args__ = (Index(None, "purpose", "subject_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    purpose: Mapped[Purpose] = mapped_column(str_enum(Purpose))
    subject_id: Mapped[uuid.UUID]  # the staff member or customer it acts for
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()
