"""Queries of shipping zones and rates."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.ext.asyncio import AsyncSession

from commerce.shipping.models import ShippingRate, ShippingZone
from core.pagination import after_row


async def rates_in_zones_covering(db: AsyncSession, regions: Sequence[str]) -> list[tuple[ShippingRate, ShippingZone]]:
    """Every rate of every zone that lists one of ``regions``, in zone then rate creation order."""
    query = (
        select(ShippingRate, ShippingZone)
        .join(ShippingZone, ShippingZone.id == ShippingRate.zone_id)
        .where(ShippingZone.regions.overlap(array(list(regions))))
        .order_by(ShippingZone.created_at, ShippingZone.id, ShippingRate.created_at, ShippingRate.id)
    )
    return [(rate, zone) for rate, zone in (await db.execute(query)).all()]


async def get_zone(db: AsyncSession, zone_id: uuid.UUID, *, lock: bool = False) -> ShippingZone | None:
    query = select(ShippingZone).where(ShippingZone.id == zone_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    found: ShippingZone | None = await db.scalar(query)
    return found


async def list_zones(db: AsyncSession, limit: int, *, after: ShippingZone | None) -> list[ShippingZone]:
    query = select(ShippingZone).order_by(ShippingZone.created_at, ShippingZone.id).limit(limit + 1)
    if after is not None:
        query = query.where(after_row(ShippingZone.created_at, ShippingZone.id, after))
    return list(await db.scalars(query))


async def get_rate(
    db: AsyncSession, rate_id: uuid.UUID, *, zone_id: uuid.UUID | None = None, lock: bool = False
) -> ShippingRate | None:
    query = select(ShippingRate).where(ShippingRate.id == rate_id)
    if zone_id is not None:
        query = query.where(ShippingRate.zone_id == zone_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    found: ShippingRate | None = await db.scalar(query)
    return found


async def list_rates(db: AsyncSession, zone_id: uuid.UUID) -> list[ShippingRate]:
    query = (
        select(ShippingRate).where(ShippingRate.zone_id == zone_id).order_by(ShippingRate.created_at, ShippingRate.id)
    )
    return list(await db.scalars(query))
