from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from core.db import TenantBase, created_at_column, updated_at_column
from core.ids import new_id


class Customer(TenantBase):
    """A person known to one tenant's shop: a shopper with an account, a customer the merchant recorded, or both.

    Emails are unique per tenant, case-insensitively (stored lower-case). The sign-in columns belong to
    ``auth.customers``; the merchant's columns (names, phone, tags, consent...) to ``commerce.customers``.
    ``password_hash`` is null for customers the merchant created who never set a password.
    ``erased_at`` is set once, by a GDPR erasure, which anonymises the row in place.
    """

    __tablename__ = "customers"
    __table_args__ = (
        CheckConstraint("email = lower(email)", "email_lowercase"),
        CheckConstraint("version > 0", "version_positive"),
        Index("ix_customers_email_pattern", "email", postgresql_ops={"email": "text_pattern_ops"}),
        Index(None, "created_at", "id"),
        Index("ix_customers_tags", "tags", postgresql_using="gin"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The merchant's record of the person (revision 0006). Server defaults let rows written by older code stand.
    first_name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    last_name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    phone: Mapped[str | None] = mapped_column(String(32))
    external_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list, server_default=text("'{}'"))
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    accepts_marketing: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    marketing_consent_updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    tax_exempt: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    erased_by: Mapped[uuid.UUID | None] = mapped_column()

    @property
    def has_account(self) -> bool:
        """Whether the customer can sign in: they set a password (customers the merchant records have none)."""
        return self.password_hash is not None
