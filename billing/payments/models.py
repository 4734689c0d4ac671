"""The payment ledger of a tenant: what Stripe says happened to each PaymentIntent and refund.

* ``payments`` mirrors one PaymentIntent each (created on the tenant's connected account, a direct charge),
  from the checkout that created it; ``order_id`` is set when the order exists.
* ``payment_events`` is append-only: one row per fact learnt (a Stripe event, or a synchronous read of the
  intent), unique on ``source_key`` (the Stripe event id, or ``sync:<intent>:<status>``), so a duplicated
  webhook or a confirm racing it is recorded once.
* ``refunds`` are the merchant's refund requests and their Stripe refunds. ``payments.amount_refunded``
  counts succeeded refunds only; a check constraint keeps it within what was received.

An order's ``payment_status`` is derived from these rows (``billing.payments.status.derive``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.db import TenantBase, created_at_column, str_enum, updated_at_column
from core.ids import new_id


class PaymentStatus(StrEnum):
    """An order's payment status, derived from its payments and refunds, never set by hand."""

    UNPAID = "unpaid"
    PENDING = "pending"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    VOIDED = "voided"
    FAILED = "failed"


class IntentStatus(StrEnum):
    """Stripe's PaymentIntent statuses, as Stripe names them."""

    REQUIRES_PAYMENT_METHOD = "requires_payment_method"
    REQUIRES_CONFIRMATION = "requires_confirmation"
    REQUIRES_ACTION = "requires_action"
    PROCESSING = "processing"
    REQUIRES_CAPTURE = "requires_capture"
    CANCELED = "canceled"
    SUCCEEDED = "succeeded"


class Payment(TenantBase):
    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("currency ~ '^[A-Z]{3}$'", "currency"),
        CheckConstraint("amount > 0", "amount_positive"),
        CheckConstraint("amount_received >= 0 AND amount_received <= amount", "received_within_amount"),
        CheckConstraint("amount_refunded >= 0 AND amount_refunded <= amount_received", "refunded_within_received"),
        CheckConstraint(
            "application_fee_refunded >= 0 AND application_fee_refunded <= application_fee_amount",
            "fee_refunded_within_fee",
        ),
        Index(None, "order_id"),
        Index(None, "checkout_id"),
        Index(None, "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    checkout_id: Mapped[uuid.UUID | None] = mapped_column()
    cart_id: Mapped[uuid.UUID | None] = mapped_column()
    stripe_account: Mapped[str] = mapped_column(String(255))
    payment_intent_id: Mapped[str] = mapped_column(String(255), unique=True)
    status: Mapped[IntentStatus] = mapped_column(str_enum(IntentStatus))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    amount_received: Mapped[int] = mapped_column(BigInteger, default=0)
    amount_refunded: Mapped[int] = mapped_column(BigInteger, default=0)
    application_fee_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    application_fee_refunded: Mapped[int] = mapped_column(BigInteger, default=0)
    latest_charge: Mapped[str | None] = mapped_column(String(255))
    failure_message: Mapped[str | None] = mapped_column(String(1000))
    disputed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class PaymentEvent(TenantBase):
    """Append-only: never updated, never deleted (but with its payment)."""

    __tablename__ = "payment_events"
    __table_args__ = (Index(None, "payment_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    payment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payments.id", ondelete="CASCADE"))
    # The Stripe event id (evt_...), or ``sync:<payment_intent>:<status>`` for a synchronous read.
    source_key: Mapped[str] = mapped_column(String(255), unique=True)
    type: Mapped[str] = mapped_column(String(100))  # payment_intent.succeeded, charge.refunded, ...
    amount: Mapped[int | None] = mapped_column(BigInteger)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default=text("'{}'"))
    occurred_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # Stripe's ``created``
    created_at: Mapped[datetime] = created_at_column()


class RefundStatus(StrEnum):
    PENDING = "pending"  # requested; Stripe has not confirmed it yet
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


class Refund(TenantBase):
    __tablename__ = "refunds"
    __table_args__ = (
        CheckConstraint("amount > 0", "amount_positive"),
        CheckConstraint("shipping_amount >= 0", "shipping_not_negative"),
        Index(None, "order_id", "created_at"),
        Index(None, "payment_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    payment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payments.id", ondelete="CASCADE"))
    stripe_refund_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    status: Mapped[RefundStatus] = mapped_column(str_enum(RefundStatus), default=RefundStatus.PENDING)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str | None] = mapped_column(String(32))  # duplicate | fraudulent | requested_by_customer | other
    note: Mapped[str | None] = mapped_column(String(1000))
    # [{"order_line_id", "quantity", "amount"}] when refunded by lines.
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list, server_default=text("'[]'"))
    shipping_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    restock_location_id: Mapped[uuid.UUID | None] = mapped_column()
    refund_application_fee: Mapped[bool] = mapped_column(Boolean, default=True)
    failure_reason: Mapped[str | None] = mapped_column(String(255))
    actor_kind: Mapped[str | None] = mapped_column(String(16))
    actor_id: Mapped[uuid.UUID | None] = mapped_column()
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
