"""Stock: locations, one level per (variant, location), the adjustment ledger and checkout's reservations.

``available = on_hand - committed - reserved`` is a stored generated column, so low-stock filters use an index
and no code computes it twice. ``on_hand``, ``committed`` and ``reserved`` are never negative (check
constraints back the services' conditional updates); ``available`` may be, only for variants that allow
backorders.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Computed,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import TenantBase, created_at_column, str_enum, updated_at_column
from core.ids import new_id


class Location(TenantBase):
    """A place that holds stock (a warehouse, a shop). Locations are deactivated, never deleted: their ledger stays."""

    __tablename__ = "inventory_locations"
    __table_args__ = (Index(None, "created_at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class InventoryLevel(TenantBase):
    """The quantities of one variant at one location. Changed only by conditional ``UPDATE``s (repository)."""

    __tablename__ = "inventory_levels"
    __table_args__ = (
        UniqueConstraint("variant_id", "location_id"),
        CheckConstraint("on_hand >= 0", "on_hand_not_negative"),
        CheckConstraint("committed >= 0", "committed_not_negative"),
        CheckConstraint("reserved >= 0", "reserved_not_negative"),
        Index(None, "location_id", "available"),
        Index(None, "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    variant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("variants.id", ondelete="CASCADE"))
    location_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inventory_locations.id"))
    on_hand: Mapped[int] = mapped_column(Integer, default=0)
    committed: Mapped[int] = mapped_column(Integer, default=0)
    reserved: Mapped[int] = mapped_column(Integer, default=0)
    available: Mapped[int] = mapped_column(Integer, Computed("on_hand - committed - reserved", persisted=True))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class QuantityName(StrEnum):
    ON_HAND = "on_hand"
    COMMITTED = "committed"
    RESERVED = "reserved"


class AdjustmentReason(StrEnum):
    """Why a quantity changed (a fixed list, as Shopify's). The first group is the merchant's; the rest the system's."""

    RECEIVED = "received"
    CORRECTION = "correction"
    CYCLE_COUNT = "cycle_count"
    DAMAGED = "damaged"
    SHRINKAGE = "shrinkage"
    RESTOCK = "restock"
    PROMOTION = "promotion"
    QUALITY_CONTROL = "quality_control"
    OTHER = "other"
    RESERVATION_CREATED = "reservation_created"
    RESERVATION_RELEASED = "reservation_released"
    RESERVATION_EXPIRED = "reservation_expired"
    ORDER_PLACED = "order_placed"  # committed up: units promised to an order
    FULFILLED = "fulfilled"  # on_hand and committed down: units shipped
    ORDER_CANCELED = "order_canceled"  # committed down: the promise released
    REFUND_RESTOCK = "refund_restock"  # on_hand up: refunded units back on the shelf
    REFUND_RELEASE = "refund_release"  # committed down: refunded units the order no longer ships


MERCHANT_REASONS = frozenset(
    {
        AdjustmentReason.RECEIVED,
        AdjustmentReason.CORRECTION,
        AdjustmentReason.CYCLE_COUNT,
        AdjustmentReason.DAMAGED,
        AdjustmentReason.SHRINKAGE,
        AdjustmentReason.RESTOCK,
        AdjustmentReason.PROMOTION,
        AdjustmentReason.QUALITY_CONTROL,
        AdjustmentReason.OTHER,
    }
)


class InventoryAdjustment(TenantBase):
    """One change of one quantity of one level: the append-only ledger (no code updates or deletes a row).

    Ids are plain columns, not foreign keys: the history outlives a deleted product.
    """

    __tablename__ = "inventory_adjustments"
    __table_args__ = (
        Index(None, "level_id", "created_at", "id"),
        Index(None, "variant_id", "created_at", "id"),
        Index(None, "location_id", "created_at", "id"),
        Index(None, "created_at", "id"),
        # What an order still holds is summed from its rows (commerce.inventory.commitments).
        Index(None, "reference", postgresql_where=text("reference IS NOT NULL")),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    level_id: Mapped[uuid.UUID]
    variant_id: Mapped[uuid.UUID]
    location_id: Mapped[uuid.UUID]
    quantity: Mapped[QuantityName] = mapped_column(str_enum(QuantityName))
    delta: Mapped[int] = mapped_column(Integer)
    quantity_after: Mapped[int] = mapped_column(Integer)
    reason: Mapped[AdjustmentReason] = mapped_column(str_enum(AdjustmentReason))
    reference: Mapped[str | None] = mapped_column(String(255))
    actor_kind: Mapped[str | None] = mapped_column(String(16))
    actor_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = created_at_column()


class ReservationStatus(StrEnum):
    ACTIVE = "active"
    RELEASED = "released"
    EXPIRED = "expired"
    COMMITTED = "committed"  # the order was placed: its units moved from reserved to committed


class Reservation(TenantBase):
    """``quantity`` of a variant held for a cart (``reference``) until ``expires_at``.

    ``location_id`` is where the units are held (counted in that level's ``reserved``); it is null when nothing
    is held: an untracked variant, or a backorder with no active location.
    """

    __tablename__ = "inventory_reservations"
    __table_args__ = (
        CheckConstraint("quantity > 0", "quantity_positive"),
        Index("ix_inventory_reservations_active_expires_at", "expires_at", postgresql_where=text("status = 'active'")),
        Index(None, "reference"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    variant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("variants.id", ondelete="CASCADE"))
    location_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("inventory_locations.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(String(255))
    status: Mapped[ReservationStatus] = mapped_column(str_enum(ReservationStatus), default=ReservationStatus.ACTIVE)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
