"""Stripe Connect state, kept in the shared registry (``public``): webhooks map ``account`` -> tenant
without opening any tenant schema."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.db import PublicBase, created_at_column, str_enum, updated_at_column
from core.ids import new_id


class StripeAccount(PublicBase):
    """The tenant's connected account (the merchant is the seller: direct charges, our application fee)."""

    __tablename__ = "stripe_accounts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("public.tenants.id", ondelete="CASCADE"), unique=True)
    account_id: Mapped[str] = mapped_column(String(255), unique=True)
    charges_enabled: Mapped[bool] = mapped_column(default=False)
    payouts_enabled: Mapped[bool] = mapped_column(default=False)
    details_submitted: Mapped[bool] = mapped_column(default=False)
    # {"card_payments": "active", "transfers": "pending"}
    capabilities: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    # Stripe's requirements.currently_due (and past_due): what the merchant must still provide.
    requirements_due: Mapped[list[str]] = mapped_column(JSONB, default=list)
    disabled_reason: Mapped[str | None] = mapped_column(String(255))
    deauthorized_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    synced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class WebhookEndpoint(StrEnum):
    PLATFORM = "platform"  # events of our own account
    CONNECT = "connect"  # events of connected accounts (they carry ``account``)


class EventStatus(StrEnum):
    PENDING = "pending"  # stored, processing queued (or retrying: see attempts and last_error)
    PROCESSED = "processed"
    IGNORED = "ignored"  # a type we do not handle: stored for the record
    UNROUTABLE = "unroutable"  # its account maps to no tenant
    FAILED = "failed"  # retries exhausted or a permanent error: see last_error


class StripeEvent(PublicBase):
    """The webhook inbox: each Stripe event stored once (its id is the key), processed after commit."""

    __tablename__ = "stripe_events"
    __table_args__ = (
        CheckConstraint("endpoint IN ('platform', 'connect')", "endpoint"),
        CheckConstraint("status IN ('pending', 'processed', 'ignored', 'unroutable', 'failed')", "status"),
    )

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    endpoint: Mapped[WebhookEndpoint] = mapped_column(str_enum(WebhookEndpoint))
    type: Mapped[str] = mapped_column(String(255))
    account: Mapped[str | None] = mapped_column(String(255), index=True)
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("public.tenants.id", ondelete="SET NULL"), index=True
    )
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[EventStatus] = mapped_column(str_enum(EventStatus), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = created_at_column()
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
