from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import TenantBase, created_at_column, str_enum
from core.ids import new_id


class Holder(StrEnum):
    """Whom a token was issued to."""

    STAFF = "staff"  # a staff member, through /admin/v1/auth/token
    CUSTOMER = "customer"  # a shopper, through an OAuth client (authorization_code)
    CLIENT = "client"  # an OAuth client acting for itself (client_credentials)


class Token(TenantBase):
    """One access token, with its refresh token if any, of one grant (``family_id``).

    Refreshing marks the row ``rotated_at`` and issues a new row in the same family; presenting a rotated
    refresh token again is reuse and revokes the whole family. Only keyed hashes are stored.
    """

    __tablename__ = "tokens"
    __table_args__ = (
        CheckConstraint(
            "(holder = 'staff' AND staff_id IS NOT NULL AND client_id IS NULL AND customer_id IS NULL)"
            " OR (holder = 'customer' AND customer_id IS NOT NULL AND client_id IS NOT NULL AND staff_id IS NULL)"
            " OR (holder = 'client' AND client_id IS NOT NULL AND staff_id IS NULL AND customer_id IS NULL)",
            "holder",
        ),
        Index(None, "family_id"),
        Index(None, "staff_id"),
        Index(None, "customer_id"),
        Index(None, "authorization_code_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    family_id: Mapped[uuid.UUID]
    holder: Mapped[Holder] = mapped_column(str_enum(Holder))
    staff_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_members.id", ondelete="CASCADE"))
    customer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    client_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("oauth_clients.id", ondelete="CASCADE"))
    authorization_code_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("oauth_authorization_codes.id", ondelete="SET NULL")
    )
    scope: Mapped[str] = mapped_column(String(1000), default="")
    access_token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    access_expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    refresh_token_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32), unique=True)
    refresh_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rotated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()

    @property
    def scopes(self) -> list[str]:
        return self.scope.split()
