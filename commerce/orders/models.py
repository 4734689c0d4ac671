"""Orders: what was sold, to whom, for how much, and what happened to it since.

An order is a snapshot: its lines copy the title, SKU, unit price, discounts and tax lines of the moment it
was placed, so a catalog edit or a deleted product never changes a past order (no foreign keys to the
catalog). Three statuses move independently:

* ``status`` (``open`` -> ``completed`` | ``canceled``), the merchant's view, plus ``archived_at`` as a flag;
* ``payment_status``, derived from the payment ledger by ``billing.payments.status.derive``;
* ``fulfillment_status``, derived from the fulfilments (``fulfilled_quantity`` per line).

Both derived statuses are stored (filters use them) and recomputed whenever their source changes, in the
same transaction. ``cart_id`` is unique: a paid cart can never become two orders, whatever path finalises it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Sequence,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from billing.payments.models import PaymentStatus
from core.db import TenantBase, created_at_column, str_enum, updated_at_column
from core.ids import new_id

# Per-tenant order numbers (the sequence lives in the tenant schema). Unique, increasing; a rolled-back
# finalisation may leave a gap, which is allowed.
ORDER_NUMBERS = Sequence("order_numbers", start=1001, metadata=TenantBase.metadata)
MAX_ORDER_NUMBER = 2**63 - 1  # the sequence and the column are bigint: a filter beyond it can match nothing


class OrderStatus(StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    CANCELED = "canceled"


class FulfillmentStatus(StrEnum):
    """Derived from the lines' fulfilled quantities and the fulfilments' delivery."""

    UNFULFILLED = "unfulfilled"
    PARTIALLY_FULFILLED = "partially_fulfilled"
    FULFILLED = "fulfilled"
    DELIVERED = "delivered"


class Order(TenantBase):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("currency ~ '^[A-Z]{3}$'", "currency"),
        CheckConstraint(
            "subtotal >= 0 AND discount_total >= 0 AND shipping_total >= 0 AND tax_total >= 0 AND total >= 0",
            "amounts_not_negative",
        ),
        Index(None, "created_at", "id"),
        Index(None, "customer_id", "created_at"),
        Index(None, "email"),
        Index(None, "status", "created_at"),
        Index(None, "payment_status", "created_at"),
        Index(None, "fulfillment_status", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    number: Mapped[int] = mapped_column(
        BigInteger, ORDER_NUMBERS, server_default=ORDER_NUMBERS.next_value(), unique=True
    )
    # The cart (and checkout) it came from: unique, the database's backstop against a second order per cart.
    cart_id: Mapped[uuid.UUID | None] = mapped_column(unique=True)
    checkout_id: Mapped[uuid.UUID | None] = mapped_column(unique=True)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    email: Mapped[str] = mapped_column(String(320))
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[OrderStatus] = mapped_column(str_enum(OrderStatus), default=OrderStatus.OPEN)
    payment_status: Mapped[PaymentStatus] = mapped_column(str_enum(PaymentStatus), default=PaymentStatus.UNPAID)
    fulfillment_status: Mapped[FulfillmentStatus] = mapped_column(
        str_enum(FulfillmentStatus), default=FulfillmentStatus.UNFULFILLED
    )
    prices_include_tax: Mapped[bool] = mapped_column(Boolean, default=False)
    tax_exempt: Mapped[bool] = mapped_column(Boolean, default=False)
    # Totals in minor units of ``currency``, as computed by commerce.pricing at checkout.
    subtotal: Mapped[int] = mapped_column(BigInteger)
    discount_total: Mapped[int] = mapped_column(BigInteger, default=0)
    shipping_total: Mapped[int] = mapped_column(BigInteger, default=0)
    tax_total: Mapped[int] = mapped_column(BigInteger, default=0)
    total: Mapped[int] = mapped_column(BigInteger)
    # Snapshots: {"first_name", "last_name", "company", "line1", "line2", "city", "postal_code",
    # "country", "subdivision", "phone"}.
    shipping_address: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    billing_address: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # {"rate_id", "name", "amount", "discount", "tax_lines": [...], "tax", "total", "delivery_estimate"}
    shipping_line: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # {"id", "code", "kind", "amount"} of the discount code applied, if any.
    discount: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # The order's tax summary: [{"name", "rate_bps", "amount"}] over lines and shipping.
    tax_lines: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list, server_default=text("'[]'"))
    note: Mapped[str] = mapped_column(Text, default="", server_default="")  # the shopper's note at checkout
    cancel_reason: Mapped[str | None] = mapped_column(String(32))
    canceled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", order_by="OrderLine.position", cascade="all, delete-orphan", lazy="raise"
    )


# The admin search's email prefix, case-insensitive (commerce.orders.repository._search): a LIKE 'prefix%' on
# lower(email) needs the pattern operator class.
Index(
    "ix_orders_lower_email",
    func.lower(Order.email).label("lower_email"),
    postgresql_ops={"lower_email": "text_pattern_ops"},
)


class OrderLine(TenantBase):
    """One line as sold. ``variant_id``/``product_id`` are references, not foreign keys: the catalog may
    delete them; the snapshot stays."""

    __tablename__ = "order_lines"
    __table_args__ = (
        UniqueConstraint("order_id", "position"),
        CheckConstraint("quantity > 0", "quantity_positive"),
        CheckConstraint("fulfilled_quantity >= 0 AND fulfilled_quantity <= quantity", "fulfilled_within_quantity"),
        CheckConstraint("refunded_quantity >= 0 AND refunded_quantity <= quantity", "refunded_within_quantity"),
        CheckConstraint(
            "unshipped_refunded_quantity >= 0 AND fulfilled_quantity + unshipped_refunded_quantity <= quantity",
            "unshipped_refunded_within_quantity",
        ),
        CheckConstraint(
            "unit_price >= 0 AND subtotal >= 0 AND discount_total >= 0 AND tax_total >= 0 AND total >= 0",
            "amounts_not_negative",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    variant_id: Mapped[uuid.UUID | None] = mapped_column()
    product_id: Mapped[uuid.UUID | None] = mapped_column()
    product_title: Mapped[str] = mapped_column(String(255))
    variant_title: Mapped[str] = mapped_column(String(255))
    sku: Mapped[str | None] = mapped_column(String(255))
    requires_shipping: Mapped[bool] = mapped_column(Boolean, default=True)
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[int] = mapped_column(BigInteger)
    subtotal: Mapped[int] = mapped_column(BigInteger)  # unit_price * quantity
    discount_total: Mapped[int] = mapped_column(BigInteger, default=0)
    tax_total: Mapped[int] = mapped_column(BigInteger, default=0)
    total: Mapped[int] = mapped_column(BigInteger)
    # [{"name", "rate_bps", "amount"}]
    tax_lines: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list, server_default=text("'[]'"))
    # [{"id", "code", "kind", "amount"}]: the share of each order discount allocated to this line.
    discounts: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list, server_default=text("'[]'"))
    fulfilled_quantity: Mapped[int] = mapped_column(Integer, default=0)
    refunded_quantity: Mapped[int] = mapped_column(Integer, default=0)
    # Refunded units that had not shipped: no longer owed, never to ship (their stock promise was released).
    unshipped_refunded_quantity: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))

    order: Mapped[Order] = relationship(back_populates="lines", lazy="raise")

    @property
    def to_fulfil(self) -> int:
        """Units still to ship: neither shipped nor refunded before they shipped."""
        return max(self.quantity - self.fulfilled_quantity - self.unshipped_refunded_quantity, 0)


class OrderEventKind(StrEnum):
    """The order's timeline, shown to the merchant (the tenant-wide event log is ``commerce.events``)."""

    PLACED = "placed"
    PAID = "paid"
    PAYMENT_FAILED = "payment_failed"
    FULFILLED = "fulfilled"
    DELIVERED = "delivered"
    REFUND_REQUESTED = "refund_requested"
    REFUNDED = "refunded"
    REFUND_FAILED = "refund_failed"
    DISPUTED = "disputed"
    CANCELED = "canceled"
    ARCHIVED = "archived"
    UNARCHIVED = "unarchived"
    NOTE_ADDED = "note_added"
    MAIL_SENT = "mail_sent"


class OrderEvent(TenantBase):
    __tablename__ = "order_events"
    __table_args__ = (Index(None, "order_id", "created_at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    kind: Mapped[OrderEventKind] = mapped_column(str_enum(OrderEventKind))
    # What happened, e.g. {"note": "..."}, {"amount": 500, "refund_id": "..."}, {"mail": "order_confirmation"}.
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default=text("'{}'"))
    actor_kind: Mapped[str | None] = mapped_column(String(16))
    actor_id: Mapped[uuid.UUID | None] = mapped_column()
    created_at: Mapped[datetime] = created_at_column()


class Fulfillment(TenantBase):
    """A shipment of some or all lines. Creating one commits ``on_hand`` down at ``location_id``."""

    __tablename__ = "fulfillments"
    __table_args__ = (Index(None, "order_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    location_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("inventory_locations.id", ondelete="SET NULL"))
    carrier: Mapped[str | None] = mapped_column(String(100))
    tracking_number: Mapped[str | None] = mapped_column(String(255))
    tracking_url: Mapped[str | None] = mapped_column(String(2048))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()

    lines: Mapped[list[FulfillmentLine]] = relationship(cascade="all, delete-orphan", lazy="raise")


class FulfillmentLine(TenantBase):
    __tablename__ = "fulfillment_lines"
    __table_args__ = (CheckConstraint("quantity > 0", "quantity_positive"),)

    fulfillment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("fulfillments.id", ondelete="CASCADE"), primary_key=True
    )
    order_line_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("order_lines.id", ondelete="CASCADE"), primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer)
