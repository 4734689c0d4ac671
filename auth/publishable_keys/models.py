from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ARRAY, DateTime, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import TenantBase, created_at_column
from core.ids import new_id


class PublishableKey(TenantBase):
    """A storefront key (``pk_...``) a merchant may embed in a web page: it grants public catalog reads only.

    Public by design, yet stored like every other secret (a keyed hash bound to the tenant), so a key copied
    to another shop matches nothing there, and a revoked key stops working at once.
    """

    __tablename__ = "publishable_keys"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    secret_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    last_four: Mapped[str] = mapped_column(String(4))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_members.id", ondelete="SET NULL"))
    # Web origins (``https://shop.example.com``) allowed to call the storefront API from a browser with this key.
    allowed_origins: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()
