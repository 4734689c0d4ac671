"""Demo stock for the development shop (``make dev``): one location, every tracked variant stocked there."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from commerce.inventory import repository, service
from commerce.inventory.models import AdjustmentReason
from commerce.inventory.schemas import LevelAdjust, LocationCreate


async def seed_stock(db: AsyncSession) -> int:
    """Stock every tracked variant that has none at the first location (created if there is none); returns how
    many levels were stocked. Every tenth variant is left sold out, so the storefront shows both states."""
    location = await repository.first_location(db)
    if location is None:
        location = await service.create_location(db, LocationCreate(name="Main warehouse"), actor=None)
    stocked = 0
    for index, variant_id in enumerate(await repository.tracked_variants_without_stock(db)):
        quantity = 0 if index % 10 == 9 else 5 + (index * 7) % 36
        if quantity == 0:
            continue
        body = LevelAdjust(
            variant_id=variant_id,
            location_id=location.id,
            delta=quantity,
            reason=AdjustmentReason.RECEIVED,
            reference="demo seed",
        )
        await service.adjust(db, body, actor=None)
        stocked += 1
    return stocked
