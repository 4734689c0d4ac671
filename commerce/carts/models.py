"""Carts and their lines. A cart is a shopper's (``customer_id``) or a guest's (``secret_hash``: the keyed hash of
the one-time secret handed out at creation); it holds one currency, and its totals are the last quote's."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import TenantBase, created_at_column, str_enum, updated_at_column
from core.ids import new_id


class CartStatus(StrEnum):
    OPEN = "open"  # the shopper may change it (and check it out)
    COMPLETED = "completed"  # an order was placed from it: read-only
    EXPIRED = "expired"  # swept after its idle TTL: read-only, its reservations released


class Cart(TenantBase):
    __tablename__ = "carts"
    __table_args__ = (
        CheckConstraint("currency ~ '^[A-Z]{3}$'", "currency"),
        CheckConstraint("version > 0", "version_positive"),
        # A cart belongs to a shopper or to whoever holds its secret; never to both, never to no one.
        CheckConstraint("(customer_id IS NULL) <> (secret_hash IS NULL)", "one_owner"),
        Index("ix_carts_open_expires_at", "expires_at", postgresql_where=text("status = 'open'")),
        Index(None, "customer_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    status: Mapped[CartStatus] = mapped_column(str_enum(CartStatus), default=CartStatus.OPEN)
    customer_id: Mapped[uuid.UUID | None]
    secret_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    currency: Mapped[str] = mapped_column(String(3))
    email: Mapped[str | None] = mapped_column(String(320))
    shipping_address: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    billing_address: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    shipping_rate_id: Mapped[uuid.UUID | None]
    discount_code: Mapped[str | None] = mapped_column(String(64))
    # The last quote (commerce.pricing): per-line totals, shipping, discount, and the five sums below.
    quote: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    subtotal: Mapped[int] = mapped_column(BigInteger, default=0)
    discount_total: Mapped[int] = mapped_column(BigInteger, default=0)
    shipping_total: Mapped[int] = mapped_column(BigInteger, default=0)
    tax_total: Mapped[int] = mapped_column(BigInteger, default=0)
    total: Mapped[int] = mapped_column(BigInteger, default=0)
    order_id: Mapped[uuid.UUID | None]
    version: Mapped[int] = mapped_column(Integer, default=1)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    lines: Mapped[list[CartLine]] = relationship(
        order_by="(CartLine.created_at, CartLine.id)", cascade="all, delete-orphan", passive_deletes=True, lazy="raise"
    )


class CartLine(TenantBase):
    """A variant in a cart. ``variant_id`` is no foreign key: a line outlives its product's deletion, so checkout
    can name the line that is no longer for sale instead of losing it silently."""

    __tablename__ = "cart_lines"
    __table_args__ = (
        UniqueConstraint("cart_id", "variant_id"),
        CheckConstraint("quantity > 0", "quantity_positive"),
        CheckConstraint("unit_price >= 0", "unit_price"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    cart_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("carts.id", ondelete="CASCADE"))
    variant_id: Mapped[uuid.UUID]
    product_id: Mapped[uuid.UUID]
    quantity: Mapped[int] = mapped_column(Integer)
    # The catalog's price the shopper last saw, in the cart's currency: checkout refuses if it changed since.
    unit_price: Mapped[int] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(String(255))
    variant_title: Mapped[str] = mapped_column(String(255))
    sku: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
