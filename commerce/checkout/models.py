"""Checkouts: one per (cart, cart version) that was sent to payment, holding what was quoted and paid for."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.db import TenantBase, created_at_column, str_enum, updated_at_column
from core.ids import new_id


class CheckoutStatus(StrEnum):
    OPEN = "open"  # awaiting payment (its stock reserved, when the shop reserves)
    COMPLETED = "completed"  # paid, and its order exists (``order_id``)
    CANCELED = "canceled"  # superseded by a change of the cart, abandoned, or its intent canceled
    REFUNDING = "refunding"  # paid, but no order could be made (stock or discount gone): the refund is owed
    REFUNDED = "refunded"  # that refund was created at Stripe (``refund_id``)


class Checkout(TenantBase):
    """A cart at one version, quoted and sent to Stripe: the snapshot the order is made from.

    ``(cart_id, cart_version)`` is unique, and the PaymentIntent's idempotency key is derived from that pair:
    checking out an unchanged cart again finds this row and the same intent; a changed cart gets a new row.
    """

    __tablename__ = "checkouts"
    __table_args__ = (
        UniqueConstraint("cart_id", "cart_version"),
        CheckConstraint("amount >= 0", "amount"),
        Index(None, "payment_intent_id", unique=True),
        Index("ix_checkouts_open_created_at", "created_at", postgresql_where=text("status = 'open'")),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    cart_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("carts.id", ondelete="CASCADE"))
    cart_version: Mapped[int] = mapped_column(Integer)
    status: Mapped[CheckoutStatus] = mapped_column(str_enum(CheckoutStatus), default=CheckoutStatus.OPEN)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(BigInteger)
    application_fee_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    # The cart at ``cart_version`` (lines, contact, addresses, discount) and its quote: what the order copies.
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONB)
    quote: Mapped[dict[str, Any]] = mapped_column(JSONB)
    customer_id: Mapped[uuid.UUID | None]
    email: Mapped[str | None] = mapped_column(String(320))
    discount_id: Mapped[uuid.UUID | None]
    # Whether the lines' stock is held (inventory reservations with reference ``checkout:<id>``) and until when.
    reserved_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The connected account the intent lives on: refunds and cancels go to the same account.
    account_id: Mapped[str | None] = mapped_column(String(255))
    payment_intent_id: Mapped[str | None] = mapped_column(String(255))
    order_id: Mapped[uuid.UUID | None]
    # Why a paid checkout could not become an order (``out_of_stock``, ``discount_unavailable``), then its refund.
    failure_code: Mapped[str | None] = mapped_column(String(64))
    refund_id: Mapped[str | None] = mapped_column(String(255))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
