"""Shipping zones and their rates.

A zone covers regions: a whole country (``"FR"``) or one subdivision of it (``"US-CA"``). A rate belongs to one
zone and has an amount per currency; optional conditions (a subtotal range per currency, a weight range in
grams) restrict it, an optional threshold per currency makes it free, and a delivery estimate in days informs
the shopper. Money maps (``{"EUR": 500}``) are JSONB objects of ISO 4217 codes to minor units (``core.money``).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.db import TenantBase, created_at_column, updated_at_column
from core.ids import new_id


class ShippingZone(TenantBase):
    __tablename__ = "shipping_zones"
    __table_args__ = (
        Index(None, "created_at", "id"),
        Index("ix_shipping_zones_regions", "regions", postgresql_using="gin"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    # "FR" (the whole country) or "US-CA" (one subdivision): ISO 3166-1 alpha-2, optionally "-" ISO 3166-2.
    regions: Mapped[list[str]] = mapped_column(ARRAY(String(10)))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class ShippingRate(TenantBase):
    __tablename__ = "shipping_rates"
    __table_args__ = (
        Index(None, "zone_id", "created_at", "id"),
        CheckConstraint("min_weight_grams IS NULL OR min_weight_grams >= 0", "min_weight_grams"),
        CheckConstraint("max_weight_grams IS NULL OR max_weight_grams >= 0", "max_weight_grams"),
        CheckConstraint("min_delivery_days IS NULL OR min_delivery_days >= 0", "min_delivery_days"),
        CheckConstraint("max_delivery_days IS NULL OR max_delivery_days >= 0", "max_delivery_days"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    zone_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("shipping_zones.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    prices: Mapped[dict[str, int]] = mapped_column(JSONB, default=dict)
    # Conditions: a subtotal range per currency (min inclusive, max exclusive) and a weight range in grams.
    min_subtotal: Mapped[dict[str, int]] = mapped_column(JSONB, default=dict, server_default="{}")
    max_subtotal: Mapped[dict[str, int]] = mapped_column(JSONB, default=dict, server_default="{}")
    min_weight_grams: Mapped[int | None] = mapped_column(BigInteger)
    max_weight_grams: Mapped[int | None] = mapped_column(BigInteger)
    free_above: Mapped[dict[str, int]] = mapped_column(JSONB, default=dict, server_default="{}")
    min_delivery_days: Mapped[int | None] = mapped_column(Integer)
    max_delivery_days: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
