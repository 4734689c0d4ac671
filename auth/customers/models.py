from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import TenantBase, created_at_column, updated_at_column
from core.ids import new_id


class Customer(TenantBase):
    """A shopper with an account at one tenant's shop. Emails are unique per tenant, case-insensitively."""

    __tablename__ = "customers"
    __table_args__ = (CheckConstraint("email = lower(email)", "email_lowercase"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
