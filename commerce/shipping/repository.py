"""Queries of shipping zones and rates."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.ext.asyncio import AsyncSession

from commerce.shipping.models import ShippingRate, ShippingZone


async def rates_in_zones_covering(db: AsyncSession, regions: Sequence[str]) -> list[tuple[ShippingRate, ShippingZone]]:
    """Every rate of every zone that lists one of ``regions``, in zone then rate creation order."""
    query = (
        select(ShippingRate, ShippingZone)
        .join(ShippingZone, ShippingZone.id == ShippingRate.zone_id)
        .where(ShippingZone.regions.overlap(array(list(regions))))
        .order_by(ShippingZone.created_at, ShippingZone.id, ShippingRate.created_at, ShippingRate.id)
    )
    return [(rate, zone) for rate, zone in (await db.execute(query)).all()]
