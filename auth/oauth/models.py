from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ARRAY, Boolean, CheckConstraint, DateTime, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import TenantBase, created_at_column, str_enum, updated_at_column
from core.ids import new_id


class ClientKind(StrEnum):
    PUBLIC = "public"  # SPAs and mobile apps: no secret, PKCE S256 required
    CONFIDENTIAL = "confidential"  # server-side storefronts: a client secret


class OAuthClient(TenantBase):
    """A storefront registered by the merchant. ``client_id`` is public; the secret is stored as a keyed hash."""

    __tablename__ = "oauth_clients"
    __table_args__ = (CheckConstraint("(kind = 'confidential') = (secret_hash IS NOT NULL)", "secret_by_kind"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[ClientKind] = mapped_column(str_enum(ClientKind))
    secret_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    redirect_uris: Mapped[list[str]] = mapped_column(ARRAY(Text))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    first_party: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuthorizationCode(TenantBase):
    """A code issued at /oauth/authorize, bound to its client, shopper, redirect URI and PKCE challenge.

    Redeeming it sets ``used_at``; redeeming it again revokes every token it issued (RFC 6749 §4.1.2).
    """

    __tablename__ = "oauth_authorization_codes"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    code_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("oauth_clients.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    redirect_uri: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(String(1000))
    code_challenge: Mapped[str] = mapped_column(String(128))
    code_challenge_method: Mapped[str] = mapped_column(String(8))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()
