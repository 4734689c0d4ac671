"""Discount codes and their redemptions.

``code`` is unique per shop regardless of case (a unique index on ``lower(code)``); shoppers may type it in any
case. ``times_used`` counts redemptions and only moves in ``redeem`` (one conditional ``UPDATE``); each
redemption is a row of ``discount_redemptions`` unique per order, so finalizing an order twice redeems once.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Uuid, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.db import TenantBase, created_at_column, str_enum, updated_at_column
from core.ids import new_id


class DiscountKind(StrEnum):
    PERCENTAGE = "percentage"
    FIXED_AMOUNT = "fixed_amount"
    FREE_SHIPPING = "free_shipping"


class Discount(TenantBase):
    __tablename__ = "discounts"
    __table_args__ = (
        Index("uq_discounts_code_lower", text("lower(code)"), unique=True),
        Index(None, "created_at", "id"),
        CheckConstraint("times_used >= 0", "times_used"),
        CheckConstraint("usage_limit IS NULL OR usage_limit > 0", "usage_limit"),
        CheckConstraint("per_customer_limit IS NULL OR per_customer_limit > 0", "per_customer_limit"),
        CheckConstraint("percentage_bps IS NULL OR percentage_bps BETWEEN 1 AND 10000", "percentage_bps"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(64))
    kind: Mapped[DiscountKind] = mapped_column(str_enum(DiscountKind))
    percentage_bps: Mapped[int | None] = mapped_column(Integer)
    amounts: Mapped[dict[str, int]] = mapped_column(JSONB, default=dict, server_default="{}")
    # Both empty: the whole order. Otherwise the lines of these products and of the products in these collections.
    product_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid()), default=list, server_default="{}")
    collection_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid()), default=list, server_default="{}")
    minimum_subtotals: Mapped[dict[str, int]] = mapped_column(JSONB, default=dict, server_default="{}")
    starts_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    usage_limit: Mapped[int | None] = mapped_column(Integer)
    per_customer_limit: Mapped[int | None] = mapped_column(Integer)
    times_used: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class DiscountRedemption(TenantBase):
    """One use of a discount by one order. ``order_id`` is a plain column (orders may be archived or erased;
    the count must stay) and unique: an order redeems a discount at most once."""

    __tablename__ = "discount_redemptions"
    __table_args__ = (
        Index(None, "discount_id", "customer_id"),
        Index(None, "discount_id", "email"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    discount_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("discounts.id", ondelete="RESTRICT"))
    order_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    customer_id: Mapped[uuid.UUID | None]
    email: Mapped[str | None] = mapped_column(String(320))  # lower case; guests' per-customer limit counts by it
    created_at: Mapped[datetime] = created_at_column()
